"""Seed one account-region: VPCs and routes, functions with everything hanging off them, AWS Config."""

from __future__ import annotations

import functools
import io
import ipaddress
import zipfile
from dataclasses import dataclass, field
from typing import Any

import boto3
import botocore.exceptions

from reporter.demo.direct import DirectEc2, DirectSeeder
from reporter.demo.spec import AccountSpec, ConfigRuleSpec, ConfigSpec, FunctionSpec, NetworkSpec

LARGE_PACKAGE_BYTES = 10 * 1024 * 1024 + 512 * 1024
"""Just over the 10 MB CodeSize threshold of LG-PERF-02."""
ALIAS = "live"
_HANDLERS = {"java": "com.example.Handler::handleRequest", "ruby": "app.handler", "nodejs": "index.handler"}


@dataclass
class SeededRegion:
    subnets: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)
    """(network key, subnet name) → (subnet id, availability zone)."""
    function_arns: dict[str, str] = field(default_factory=dict)
    rejected_rules: list[tuple[str, str, str]] = field(default_factory=list)
    """(rule name, source identifier, error message) of rules AWS refused."""


@functools.cache
def _package(large: bool) -> bytes:
    """A real zip; the large one stores its payload uncompressed so CodeSize stays over 10 MB."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED if large else zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("index.py", "def handler(event, context):\n    return {'ok': True}\n")
        if large:
            zf.writestr("model/weights.bin", bytes(LARGE_PACKAGE_BYTES))
    return buf.getvalue()


def _handler(runtime: str) -> str:
    for prefix, handler in _HANDLERS.items():
        if runtime.startswith(prefix):
            return handler
    return "index.handler"


class ClientMaker:
    """Clients for one identity, all from one shared boto3 Session.

    A Session caches the parsed service models: creating every account's clients from the same
    one avoids re-reading the (large) botocore JSON models per account, most of seeding's cost.
    """

    def __init__(self, session: boto3.Session, credentials: dict[str, str]) -> None:
        self.session = session
        self.credentials = credentials
        self._cache: dict[tuple[str, str], Any] = {}

    def __call__(self, service: str, region: str) -> Any:
        key = (service, region)
        if key not in self._cache:
            creds = self.credentials
            self._cache[key] = self.session.client(  # type: ignore[call-overload]
                service,
                region_name=region,
                aws_access_key_id=creds.get("aws_access_key_id"),
                aws_secret_access_key=creds.get("aws_secret_access_key"),
                aws_session_token=creds.get("aws_session_token"),
            )
        return self._cache[key]


class RegionSeeder:
    def __init__(
        self, clients: ClientMaker, direct: DirectSeeder, account_id: str, region: str, org_id: str
    ) -> None:
        self.clients = clients
        self.direct = direct
        self.account_id = account_id
        self.region = region
        self.org_id = org_id
        self.result = SeededRegion()
        self._security_groups: dict[str, str] = {}

    def client(self, service: str) -> Any:
        return self.clients(service, self.region)

    def run(self, spec: AccountSpec, role_arns: dict[str, str]) -> SeededRegion:
        for net in spec.networks:
            if net.region == self.region:
                self._network(net)
        for fn in spec.functions:
            if fn.region == self.region:
                self._function(fn, role_arns[fn.role])
        for cfg in spec.config:
            if cfg.region == self.region:
                self._config(cfg)
        return self.result

    # --- network ----------------------------------------------------------------------------
    def _network(self, net: NetworkSpec) -> None:
        ec2 = DirectEc2(self.account_id, self.region)
        vpc_id = ec2.create_vpc(net.cidr, net.key)
        blocks = ipaddress.ip_network(net.cidr).subnets(new_prefix=24)
        routes = {s.route for s in net.subnets} | {net.main_route}
        targets: dict[str, str] = {}
        if routes & {"nat", "igw"}:
            targets["igw"] = ec2.create_internet_gateway(vpc_id)
        if "nat" in routes:
            zone = f"{self.region}{net.subnets[0].az}"
            public = ec2.create_subnet(vpc_id, str(next(blocks)), zone, f"{net.key}-public")
            self._route_table(ec2, vpc_id, public, f"{net.key}-public", targets["igw"])
            targets["nat"] = ec2.create_nat_gateway(public)
        for sub in net.subnets:
            zone = f"{self.region}{sub.az}"
            subnet_id = ec2.create_subnet(vpc_id, str(next(blocks)), zone, f"{net.key}-{sub.name}")
            self.result.subnets[(net.key, sub.name)] = (subnet_id, zone)
            if sub.route == "tgw" and "tgw" not in targets:
                targets["tgw"] = ec2.create_transit_gateway(vpc_id, subnet_id, f"{net.key}-egress")
            if sub.route != "main":
                self._route_table(ec2, vpc_id, subnet_id, f"{net.key}-{sub.name}", targets.get(sub.route))
        if net.main_route in targets:
            ec2.create_default_route(ec2.main_route_table(vpc_id), targets[net.main_route])
        self._security_groups[net.key] = ec2.create_security_group(f"{net.key}-lambda", "Lambda ENIs", vpc_id)

    @staticmethod
    def _route_table(ec2: DirectEc2, vpc_id: str, subnet_id: str, name: str, target: str | None) -> None:
        table = ec2.create_route_table(vpc_id, name)
        if target:
            ec2.create_default_route(table, target)
        ec2.associate_route_table(table, subnet_id)

    # --- functions --------------------------------------------------------------------------
    def _function(self, fn: FunctionSpec, role_arn: str) -> None:
        direct, region = self.direct, self.region
        request: dict[str, Any] = {
            "FunctionName": fn.name,
            "Role": role_arn,
            "MemorySize": fn.memory,
            "Timeout": fn.timeout,
            "Architectures": [fn.architecture],
            "Description": fn.description,
            "Tags": dict(fn.tags),
        }
        if fn.runtime is None:
            image = f"{self.account_id}.dkr.ecr.{region}.amazonaws.com/{fn.name}:2026.11"
            request.update(PackageType="Image", Code={"ImageUri": image})
        else:
            request.update(
                Runtime=fn.runtime, Handler=_handler(fn.runtime), Code={"ZipFile": _package(fn.large_package)}
            )
        if fn.env:
            request["Environment"] = {"Variables": dict(fn.env)}
        if fn.snap_start:
            request["SnapStart"] = {"ApplyOn": "PublishedVersions"}
        if fn.network:
            subnet_ids = [self.result.subnets[(fn.network, s)][0] for s in fn.subnets]
            request["VpcConfig"] = {
                "SubnetIds": subnet_ids,
                "SecurityGroupIds": [self._security_groups[fn.network]],
            }
        self.result.function_arns[fn.name] = direct.create_function(region, request)
        if fn.reserved is not None:
            direct.put_function_concurrency(region, fn.name, fn.reserved)
        if fn.provisioned or fn.snap_start or any(p.qualifier == ALIAS for p in fn.permissions):
            direct.publish_alias(region, fn.name, ALIAS)
        for perm in fn.permissions:
            statement: dict[str, Any] = {
                "StatementId": perm.sid,
                "Action": perm.action,
                "Principal": perm.principal,
            }
            if perm.source_account:
                statement["SourceAccount"] = self.account_id
            if perm.source_arn:
                statement["SourceArn"] = perm.source_arn.replace("<ACCOUNT>", self.account_id)
            if perm.principal_org:
                statement["PrincipalOrgID"] = self.org_id
            direct.add_permission(region, fn.name, statement, perm.qualifier)
        if fn.url_auth:
            origins = ["*"] if fn.url_auth == "NONE" else ["https://app.example.com"]
            direct.create_function_url_config(
                region, fn.name, {"AuthType": fn.url_auth, "Cors": {"AllowOrigins": origins}}
            )
        if fn.log_group:
            direct.create_log_group(region, f"/aws/lambda/{fn.name}", fn.log_retention)
        for metric in fn.alarms:
            direct.put_lambda_alarm(region, fn.name, metric)

    # --- AWS Config -------------------------------------------------------------------------
    def _config(self, cfg: ConfigSpec) -> None:
        config = self.client("config")
        if cfg.recorder:
            config.put_configuration_recorder(
                ConfigurationRecorder={
                    "name": "default",
                    "roleARN": f"arn:aws:iam::{self.account_id}:role/aws-service-role/"
                    "config.amazonaws.com/AWSServiceRoleForConfig",
                    "recordingGroup": _recording_group(cfg),
                }
            )
            config.put_delivery_channel(
                DeliveryChannel={"name": "default", "s3BucketName": f"config-history-{self.account_id}"}
            )
            if cfg.recorder == "recording":
                config.start_configuration_recorder(ConfigurationRecorderName="default")
        for rule in cfg.rejected_rules:
            try:
                config.put_config_rule(ConfigRule=_rule_body(rule))
            except botocore.exceptions.ClientError as exc:
                self.result.rejected_rules.append((rule.name, rule.identifier, str(exc)))
            else:
                raise RuntimeError(f"AWS Config accepted {rule.identifier}: the demo expects a refusal")
        for rule in cfg.rules:
            config.put_config_rule(ConfigRule=_rule_body(rule))


def _recording_group(cfg: ConfigSpec) -> dict[str, Any]:
    if cfg.exclude_types:
        return {
            "allSupported": False,
            "includeGlobalResourceTypes": False,
            "exclusionByResourceTypes": {"resourceTypes": list(cfg.exclude_types)},
            "recordingStrategy": {"useOnly": "EXCLUSION_BY_RESOURCE_TYPES"},
        }
    return {"allSupported": True, "includeGlobalResourceTypes": cfg.include_global}


def _rule_body(rule: ConfigRuleSpec) -> dict[str, Any]:
    body: dict[str, Any] = {
        "ConfigRuleName": rule.name,
        "Source": {"Owner": "AWS", "SourceIdentifier": rule.identifier},
    }
    if rule.input_parameters:
        body["InputParameters"] = rule.input_parameters
    scope: dict[str, Any] = {}
    if rule.scope_types:
        scope["ComplianceResourceTypes"] = list(rule.scope_types)
    if rule.scope_tag:
        scope["TagKey"], scope["TagValue"] = rule.scope_tag
    if scope:
        body["Scope"] = scope
    return body
