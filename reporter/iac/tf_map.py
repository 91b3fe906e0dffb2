"""Terraform plan resources → inventory rows; see reporter.iac.terraform for how values are read."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

from reporter.iac.build import Builder, Location, canonical
from reporter.iac.model import Plan
from reporter.iac.resolve import Unresolved
from reporter.iac.secrets_check import judge_variables
from reporter.iac.terraform import _config_address, policy_json, unknown_variable_names
from reporter.iac.tf_network import add_subnets

_PIN_ATTRS = {
    "SourceArn": "source_arn",
    "SourceAccount": "source_account",
    "PrincipalOrgID": "principal_org_id",
    "EventSourceToken": "event_source_token",
    "FunctionUrlAuthType": "function_url_auth_type",
}
_KEY = re.compile(r"\[[^\]]*\]$")


class PlanMapper:
    def __init__(self, builder: Builder, plan: Plan) -> None:
        self.b, self.plan = builder, plan
        self.account = builder.add_file(plan.path)
        self.by_type: dict[str, list[dict[str, Any]]] = {}
        self.instances: dict[str, list[str]] = {}
        for res in plan.resources:
            self.by_type.setdefault(str(res.get("type")), []).append(res)
            self.instances.setdefault(_config_address(res["address"]), []).append(res["address"])
        self.by_address = {r["address"]: r for r in plan.resources}
        self.names: dict[str, str] = {}  # deployed function name/ARN → address
        self.role_arns: dict[str, str] = {}  # role address → role ARN used in the inventory
        self.roles: dict[str, dict[str, Any]] = {}
        self.unresolved_policies: dict[str, str] = {}

    # --- values -------------------------------------------------------------------------------
    def attr(self, res: Mapping[str, Any], name: str) -> Any:
        values = res.get("values") or {}
        if values.get(name) is not None:
            return values[name]
        if (self.plan.unknown.get(res["address"]) or {}).get(name):
            return Unresolved(f"{res['address']}.{name}: known only after apply")
        return None

    def targets(self, res: Mapping[str, Any], name: str, kinds: tuple[str, ...]) -> list[str] | Unresolved:
        """Addresses of the ``kinds`` resources attribute ``name`` refers to, per the configuration."""
        found: list[str] = []
        # for_each/count key of this instance: an indexed target is followed to the same key
        key = match.group(0) if (match := _KEY.search(res["address"])) else ""
        for ref in (res.get("references") or {}).get(name, []):
            for config, addresses in self.instances.items():
                if (ref == config or ref.startswith(config + ".")) and self.by_address[addresses[0]][
                    "type"
                ] in kinds:
                    same_key = [a for a in addresses if key and a.endswith(key)]
                    for address in same_key or addresses:
                        if address not in found:
                            found.append(address)
        if not found:
            return Unresolved(f"{res['address']}.{name} refers to nothing this plan defines")
        return found

    def one(self, res: Mapping[str, Any], name: str, kinds: tuple[str, ...], known: Mapping[str, str]) -> Any:
        """The address one attribute designates: by its known value (``known``: value → address), or
        through the configuration's references when the value is known only after apply."""
        value = self.attr(res, name)
        if isinstance(value, str):
            return known.get(value, value)
        found = self.targets(res, name, kinds)
        if isinstance(found, Unresolved):
            return value if isinstance(value, Unresolved) else found
        return (
            found[0]
            if len(found) == 1
            else Unresolved(f"{res['address']}.{name} refers to {len(found)} resources")
        )

    def _block(self, res: Mapping[str, Any], name: str) -> Mapping[str, Any]:
        block = self.attr(res, name)
        return block[0] if isinstance(block, list) and block and isinstance(block[0], Mapping) else {}

    # --- the mapping --------------------------------------------------------------------------
    def map(self) -> None:
        self._each("aws_iam_role", self._role)
        self.names = self._function_names()
        self._each("aws_lambda_function", self._function)
        self._policies()
        handlers: list[tuple[str, Callable[[Mapping[str, Any]], None]]] = [
            ("aws_lambda_permission", self._permission),
            ("aws_lambda_function_url", self._url),
            ("aws_lambda_provisioned_concurrency_config", self._provisioned),
            ("aws_cloudwatch_log_group", self._log_group),
            ("aws_cloudwatch_metric_alarm", self._alarm),
        ]
        for kind, handler in handlers:
            self._each(kind, handler)
        for role in self.roles.values():
            self.b.add("roles", **role)

    def _each(self, kind: str, handler: Callable[[Mapping[str, Any]], None]) -> None:
        """``handler`` on every resource of ``kind``; one with an impossible shape is left out."""
        for res in self.by_type.get(kind, []):
            try:
                handler(res)
            except (ValueError, TypeError, AttributeError, KeyError) as exc:
                self.roles.pop(res["address"], None)
                self.b.malformed(self.plan.path, None, f"resource {res['address']}", exc)

    def _url(self, res: Mapping[str, Any]) -> None:
        fn = self._fn(res)
        if not fn:
            return
        auth = self.attr(res, "authorization_type")
        if isinstance(auth, Unresolved):
            self.b.unknown(fn, "table", "function_urls", auth.reason)
            return
        cors = self._block(res, "cors").get("allow_origins") or []
        self.b.add(
            "function_urls",
            account_id=self.account,
            function_arn=fn,
            qualifier=self.attr(res, "qualifier"),
            url=f"<URL of {res['address']}, assigned at apply>",
            auth_type=str(auth),
            cors_allow_origins=[str(c) for c in cors],
        )

    def _provisioned(self, res: Mapping[str, Any]) -> None:
        fn = self._fn(res)
        requested = self.attr(res, "provisioned_concurrent_executions")
        if fn and isinstance(requested, Unresolved):
            self.b.unknown(fn, "table", "provisioned_concurrency", requested.reason)
        elif fn:
            self.b.add(
                "provisioned_concurrency",
                account_id=self.account,
                function_arn=fn,
                qualifier=str(self.attr(res, "qualifier")),
                requested=requested,
                allocated=None,
                status=None,
            )

    def _log_group(self, res: Mapping[str, Any]) -> None:
        name = self.attr(res, "name")
        if isinstance(name, str) and name.startswith("/aws/lambda/"):
            target = name.removeprefix("/aws/lambda/")
            retention = self.attr(res, "retention_in_days")
            self.b.add(
                "log_groups",
                account_id=self.account,
                log_group=name,
                function_name=self.names.get(target, target),
                retention_days=None if retention in (0, None) else retention,  # 0 = never expires
                stored_bytes=0,
            )

    def _alarm(self, res: Mapping[str, Any]) -> None:
        dims = self.attr(res, "dimensions") or {}
        if isinstance(dims, Mapping) and isinstance(dims.get("FunctionName"), str):
            self.b.add(
                "alarms",
                account_id=self.account,
                alarm_name=res["address"],
                function_name=self.names.get(dims["FunctionName"], dims["FunctionName"]),
                metric_name=str(self.attr(res, "metric_name")),
                namespace=str(self.attr(res, "namespace")),
            )

    def _function_names(self) -> dict[str, str]:
        """Deployed function name/ARN → address (findings name functions by address)."""
        names: dict[str, str] = {}
        for res in self.by_type.get("aws_lambda_function", []):
            names[res["address"]] = res["address"]
            for key in ("function_name", "arn"):
                value = self.attr(res, key)
                if isinstance(value, str):
                    names[value] = res["address"]
        return names

    def _fn(self, res: Mapping[str, Any]) -> str | None:
        address = self.one(res, "function_name", ("aws_lambda_function",), self.names)
        if isinstance(address, str) and address in self.by_address:
            return self.b.function_arn(self.account, address)
        return None

    def _role(self, res: Mapping[str, Any]) -> None:
        address = res["address"]
        arn = self.b.role_arn(self.account, address)
        self.role_arns[address] = arn
        trust = policy_json(self.attr(res, "assume_role_policy"), "assume_role_policy")
        if isinstance(trust, Unresolved):
            self.b.role_problem(arn, f"trust policy: {trust.reason}")
        boundary = self.one(res, "permissions_boundary", ("aws_iam_policy",), {})
        if isinstance(boundary, Unresolved):
            if (
                boundary.reason.endswith("refers to nothing this plan defines")
                and self.attr(res, "permissions_boundary") is None
            ):
                boundary = None
            else:
                self.b.role_problem(arn, f"permissions boundary: {boundary.reason}")
                boundary = f"arn:aws:iam::{self.account}:policy/unresolved-boundary-of-{address}"
        elif isinstance(boundary, str) and boundary in self.by_address:
            boundary = self.b.policy_arn(self.account, boundary)
        inline = []
        for policy in self.attr(res, "inline_policy") or []:
            if isinstance(policy, Mapping) and policy.get("name"):
                inline.append(str(policy["name"]))
                self._inline(arn, str(policy["name"]), policy.get("policy"))
        self.roles[address] = {
            "account_id": self.account,
            "role_arn": arn,
            "role_name": address,
            "path": self.attr(res, "path") or "/",
            "trust_policy": None if isinstance(trust, Unresolved) else canonical(trust),
            "permissions_boundary_arn": boundary,
            "attached_policy_arns": [
                str(a) for a in self.attr(res, "managed_policy_arns") or [] if isinstance(a, str)
            ],
            "inline_policy_names": inline,
        }

    def _inline(self, role_arn: str, name: str, text: Any) -> None:
        document = policy_json(text, f"policy {name}")
        if isinstance(document, Unresolved):
            self.b.role_problem(role_arn, document.reason)
            document = {"Version": "2012-10-17", "Statement": []}
        self.b.policy_document(
            self.account, self.b.inline_key(role_arn, name), name, "inline", document, role_arn
        )

    def _role_of(self, res: Mapping[str, Any]) -> str | None:
        names = {str(self.attr(r, "name")): r["address"] for r in self.by_type.get("aws_iam_role", [])}
        address = self.one(res, "role", ("aws_iam_role",), names)
        return address if isinstance(address, str) and address in self.roles else None

    def _policies(self) -> None:
        for res in self.by_type.get("aws_iam_policy", []):
            document = policy_json(self.attr(res, "policy"), f"policy {res['address']}")
            arn = self.b.policy_arn(self.account, res["address"])
            if isinstance(document, Unresolved):
                self.unresolved_policies[arn] = document.reason
                document = {"Version": "2012-10-17", "Statement": []}
            self.b.policy_document(self.account, arn, res["address"], "customer_managed", document)
        for res in self.by_type.get("aws_iam_role_policy_attachment", []):
            role = self._role_of(res)
            policy = self.one(res, "policy_arn", ("aws_iam_policy",), {})
            if role is None:
                continue
            if isinstance(policy, Unresolved):
                self.b.role_problem(self.roles[role]["role_arn"], f"attached policy: {policy.reason}")
            elif policy in self.by_address:
                self.roles[role]["attached_policy_arns"].append(self.b.policy_arn(self.account, policy))
            else:
                self.roles[role]["attached_policy_arns"].append(str(policy))
        for record in self.roles.values():
            for arn in record["attached_policy_arns"]:
                if arn in self.unresolved_policies:
                    self.b.role_problem(record["role_arn"], self.unresolved_policies[arn])
        for res in self.by_type.get("aws_iam_role_policy", []):
            role = self._role_of(res)
            if role is not None:
                name = str(self.attr(res, "name") or res["address"])
                self.roles[role]["inline_policy_names"].append(name)
                self._inline(self.roles[role]["role_arn"], name, self.attr(res, "policy"))

    def _function(self, res: Mapping[str, Any]) -> None:
        address = res["address"]
        arn = self.b.function_arn(self.account, address)
        self.b.locations[arn] = Location(self.plan.path, None, address)

        known = partial(self.b.known, arn)

        role = self._role_of(res)
        if role is not None:
            self.b.role_locations[arn] = Location(self.plan.path, None, role)
        elif isinstance(value := self.attr(res, "role"), Unresolved):
            self.b.unknown(arn, "table", "roles", value.reason)
        else:
            self.b.unknown(arn, "table", "roles", f"execution role {value} is not defined in this plan")
        vpc = self._block(res, "vpc_config")
        subnets: Any = vpc.get("subnet_ids") if vpc else []
        if vpc and not subnets:
            subnets = self.targets(res, "vpc_config", ("aws_subnet",))
        subnet_ids = known("subnet_ids", subnets)
        if subnet_ids is None:  # whether it is in a VPC at all is unknown: every network rule waits
            self.b.unknown(arn, "table", "subnets", "subnet_ids: known only after apply", adds=True)
        env = self._block(res, "environment").get("variables") or {}
        unknown_env = (self.plan.unknown.get(address) or {}).get("environment")
        variables = {str(k): v for k, v in env.items()} if isinstance(env, Mapping) else {}
        if unknown_env:
            for name in unknown_variable_names(unknown_env):
                variables[name] = Unresolved("known only after apply")
        reserved = known("reserved_concurrency", self.attr(res, "reserved_concurrent_executions"))
        tags: dict[str, str] = {}
        for key, value in (self.attr(res, "tags_all") or self.attr(res, "tags") or {}).items():
            value = known("tags", value, "tag", key)
            if value is not None:
                tags[str(key)] = str(value)
        self.b.add(
            "functions",
            account_id=self.account,
            function_arn=arn,
            name=address,
            runtime=known("runtime", self.attr(res, "runtime")),
            package_type=known("package_type", self.attr(res, "package_type") or "Zip"),
            memory_mb=known("memory_mb", self.attr(res, "memory_size")),
            timeout_s=known("timeout_s", self.attr(res, "timeout")),
            role_arn=self.roles[role]["role_arn"]
            if role
            else f"arn:aws:iam::{self.account}:role/unresolved-role-of-{address}",
            subnet_ids=[str(s) for s in subnet_ids] if isinstance(subnet_ids, list) else None,
            security_group_ids=[str(g) for g in vpc.get("security_group_ids") or [] if isinstance(g, str)],
            layers=[str(x) for x in self.attr(res, "layers") or [] if isinstance(x, str)],
            env_var_names=sorted(variables),
            secret_env_var_names=judge_variables(variables, {}, None, arn, self.b),
            tracing_mode=self._block(res, "tracing_config").get("mode"),
            reserved_concurrency=None if reserved == -1 else reserved,  # -1: unreserved
            snap_start=self._block(res, "snap_start").get("apply_on") or "None",
            tags=tags,
        )
        add_subnets(self, arn, subnet_ids if isinstance(subnet_ids, list) else [])

    def _permission(self, res: Mapping[str, Any]) -> None:
        fn = self._fn(res)
        principal = self.attr(res, "principal")
        if fn is None or principal is None:
            return
        if isinstance(principal, Unresolved):
            self.b.unknown(fn, "table", "function_policies", principal.reason)
            return
        pins = {name: self.attr(res, attr) for name, attr in _PIN_ATTRS.items()}
        sid = str(self.attr(res, "statement_id") or res["address"])
        self.b.permission(
            self.account, fn, sid, str(principal), self.attr(res, "action") or "lambda:InvokeFunction", pins
        )


REGIONAL = (
    "functions",
    "function_policies",
    "function_urls",
    "provisioned_concurrency",
    "subnets",
    "log_groups",
    "alarms",
)


def map_plan(builder: Builder, plan: Plan) -> None:
    mapper = PlanMapper(builder, plan)
    mapper.map()
    if plan.region:  # the provider's region, when the configuration states it as a constant
        for table in REGIONAL:
            for row in builder.records.get(table, []):
                if row["account_id"] == mapper.account:
                    row.setdefault("region", plan.region)
