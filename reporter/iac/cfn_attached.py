"""CloudFormation resources around a function (permissions, URLs, aliases, log groups, alarms,
subnets and routes) → inventory rows; mixed into reporter.iac.cfn_map.TemplateMapper."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reporter.iac.build import Builder, ShapeError, _shown
from reporter.iac.resolve import Resolver, Unresolved
from reporter.iac.routes import ROUTE_KEYS, route_target


class AttachedResources:
    """Needs, from the mapper: b, account, r, resources, deployed_names, subnets, associations, routes."""

    b: Builder
    account: str
    r: Resolver
    resources: dict[str, Mapping[str, Any]]
    deployed_names: dict[str, str]
    subnets: dict[str, dict[str, Any]]
    associations: dict[str, str]
    routes: dict[str, tuple[str, str]]

    def _function_of(self, value: Any) -> str | None:
        """The function ARN a FunctionName/TargetFunctionArn value designates, if in this file."""
        if not isinstance(value, str):
            return None
        for logical, res in self.resources.items():
            if res.get("Type") != "AWS::Lambda::Function":
                continue
            arn = self.b.function_arn(self.account, logical)
            if (
                value in (logical, arn)
                or value.startswith(arn + ":")
                or self.deployed_names.get(value) == logical
            ):
                return arn
        return None

    def _permission(self, logical: str, props: Mapping[str, Any]) -> None:
        fn = self._function_of(props.get("FunctionName"))
        if fn is None:
            return
        principal = props.get("Principal")
        if isinstance(principal, Unresolved):
            self.b.unknown(fn, "table", "function_policies", f"permission {logical}: {principal.reason}")
            return
        pins = {k: props.get(k) for k in ("SourceArn", "SourceAccount", "PrincipalOrgID", "EventSourceToken")}
        pins["FunctionUrlAuthType"] = props.get("FunctionUrlAuthType")
        action = props.get("Action", "lambda:InvokeFunction")
        self.b.permission(self.account, fn, logical, str(principal), action, pins)

    def _url(self, logical: str, props: Mapping[str, Any]) -> None:
        fn = self._function_of(props.get("TargetFunctionArn"))
        if fn is None:
            return
        auth = props.get("AuthType")
        if isinstance(auth, Unresolved):
            self.b.unknown(fn, "table", "function_urls", f"function URL {logical}: AuthType: {auth.reason}")
            return
        cors = (props.get("Cors") or {}).get("AllowOrigins") or []
        self.b.add(
            "function_urls",
            account_id=self.account,
            function_arn=fn,
            qualifier=props.get("Qualifier") if isinstance(props.get("Qualifier"), str) else None,
            url=f"<URL of {logical}, assigned at deploy>",
            auth_type=str(auth),
            cors_allow_origins=[str(c) for c in cors if isinstance(c, str)],
        )

    def _provisioned(self, logical: str, props: Mapping[str, Any]) -> None:  # Alias or Version
        fn = self._function_of(props.get("FunctionName"))
        config = props.get("ProvisionedConcurrencyConfig")
        if fn is None or not isinstance(config, Mapping):
            return
        requested = config.get("ProvisionedConcurrentExecutions")
        if isinstance(requested, Unresolved):
            self.b.unknown(fn, "table", "provisioned_concurrency", f"{logical}: {requested.reason}")
            return
        qualifier = props.get("Name") if isinstance(props.get("Name"), str) else logical
        self.b.add(
            "provisioned_concurrency",
            account_id=self.account,
            function_arn=fn,
            qualifier=qualifier,
            requested=_int(requested),
            allocated=None,
            status=None,
        )

    def _log_group(self, logical: str, props: Mapping[str, Any]) -> None:
        name = props.get("LogGroupName")
        if not isinstance(name, str) or not name.startswith("/aws/lambda/"):
            return
        target = name.removeprefix("/aws/lambda/")
        function = self.deployed_names.get(target, target)
        retention = props.get("RetentionInDays")
        if isinstance(retention, Unresolved):
            fn = self._function_of(function)
            if fn:
                self.b.unknown(fn, "table", "log_groups", f"log group {logical}: {retention.reason}")
            return
        self.b.add(
            "log_groups",
            account_id=self.account,
            log_group=name,
            function_name=function,
            retention_days=_int(retention),
            stored_bytes=0,
        )

    def _alarm(self, logical: str, props: Mapping[str, Any]) -> None:
        for dim in props.get("Dimensions") or []:
            if (
                isinstance(dim, Mapping)
                and dim.get("Name") == "FunctionName"
                and isinstance(dim.get("Value"), str)
            ):
                name = self.deployed_names.get(dim["Value"], dim["Value"])
                self.b.add(
                    "alarms",
                    account_id=self.account,
                    alarm_name=logical,
                    function_name=name,
                    metric_name=str(props.get("MetricName")),
                    namespace=str(props.get("Namespace")),
                )

    def _subnet(self, logical: str, props: Mapping[str, Any]) -> None:
        zone = props.get("AvailabilityZone")
        self.subnets[logical] = {
            "account_id": self.account,
            "subnet_id": logical,
            "vpc_id": props.get("VpcId") if isinstance(props.get("VpcId"), str) else None,
            "availability_zone": zone if isinstance(zone, str) else None,
        }

    def _subnet_route(self, logical: str, props: Mapping[str, Any]) -> None:
        if isinstance(props.get("SubnetId"), str) and isinstance(props.get("RouteTableId"), str):
            self.associations[props["SubnetId"]] = props["RouteTableId"]

    def _route(self, logical: str, props: Mapping[str, Any]) -> None:
        if props.get("DestinationCidrBlock") != "0.0.0.0/0" or not isinstance(props.get("RouteTableId"), str):
            return
        for key in ROUTE_KEYS:
            if isinstance(props.get(key), str):
                self.routes[props["RouteTableId"]] = (key, props[key])
                return

    def _route_target(self, kind: str | None, target: str | None) -> str | None:
        if kind is None or target is None:
            return None
        vpn = self.resources.get(target, {}).get("Type") == "AWS::EC2::VPNGateway"
        return route_target(kind, target, vpn_gateway=vpn)

    def _subnets(self) -> None:
        """Subnet rows with their default route; a function's subnet the file does not define, or
        whose route table it does not say, leaves the rules reading it unresolved."""
        for sid, row in self.subnets.items():
            table = self.associations.get(sid)
            kind, target = self.routes.get(table, (None, None)) if table else (None, None)
            self.b.add(
                "subnets",
                **row,
                route_table_id=table,
                route_table_is_main=False,
                default_route_target=self._route_target(kind, target),
                nat_default_route=kind == "NatGatewayId",
                igw_default_route=kind == "GatewayId",
            )
        for fn in self.b.records.get("functions", []):
            if fn["account_id"] != self.account:
                continue
            for sid in fn.get("subnet_ids") or []:
                if sid not in self.subnets:
                    self.b.unknown(
                        fn["function_arn"], "table", "subnets", f"subnet {sid} is not defined in this file"
                    )
                elif self.subnets[sid]["availability_zone"] is None:
                    self.b.unknown(
                        fn["function_arn"],
                        "table",
                        "subnets",
                        f"the Availability Zone of subnet {sid} is known only at deploy",
                    )
                elif sid not in self.associations:
                    self.b.unknown(
                        fn["function_arn"],
                        "column",
                        "default_route_target",
                        f"subnet {sid} has no route table association in this file",
                    )


def _int(value: Any) -> int | None:
    """An integer property (CloudFormation accepts "30" for 30); anything else is a malformed
    template, raised as ShapeError rather than read as "not set"."""
    if value is None or isinstance(value, Unresolved):
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    raise ShapeError(f"expected a number, found {_shown(value)}")
