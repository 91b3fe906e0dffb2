"""High-volume seeding calls made straight on moto's backends, skipping the HTTP round trip.

Through boto3 under ``mock_aws`` one call costs ~2 ms of CPU (botocore serialization, signing,
moto's request parsing and response rendering, botocore parsing); the backend method behind
it costs ~0.05 ms. Roles, policies, functions, log groups and alarms are created here, with
the same backend methods moto's request handlers call and the same argument shapes, so moto
still validates them (policy documents, role existence, names). The low-volume setup
(Organizations, STS, EC2 networking, AWS Config) stays on boto3.
"""

from __future__ import annotations

import base64
import json
from typing import Any


class DirectSeeder:
    """The backends of one account (moto 5.2.5 signatures)."""

    def __init__(self, account_id: str) -> None:
        from moto.iam.models import iam_backends

        self.account_id = account_id
        # Typed Any: moto's annotations do not always match what its own handlers pass.
        self.iam: Any = iam_backends[account_id]["global"]

    def _lambda(self, region: str) -> Any:
        from moto.awslambda.models import lambda_backends

        return lambda_backends[self.account_id][region]

    # --- IAM --------------------------------------------------------------------------------
    def create_policy(self, name: str, document: str, description: str) -> tuple[str, str]:
        policy = self.iam.create_policy(
            description=description, path="/", policy_document=document, policy_name=name, tags=[]
        )
        return str(policy.arn), str(policy.id)

    def create_role(
        self,
        name: str,
        trust: dict[str, Any],
        path: str,
        boundary_arn: str | None,
        description: str,
        role_id: str | None = None,
    ) -> tuple[str, str]:
        """Create a role; ``role_id`` replaces the id moto draws (moto keys its roles by id)."""
        before = len(self.iam.roles)
        role = self.iam.create_role(
            role_name=name,
            assume_role_policy_document=json.dumps(trust),
            path=path,
            permissions_boundary=boundary_arn,
            description=description,
            tags=[],
            max_session_duration="3600",
        )
        if role_id is not None and role_id != role.id:
            if role_id in self.iam.roles:
                raise RuntimeError(f"role id {role_id} of {name} is taken")
            self.iam.roles[role_id] = self.iam.roles.pop(role.id)
            role.id = role_id
        if len(self.iam.roles) != before + 1:
            raise RuntimeError(f"the id drawn for role {name} was already taken")
        return str(role.arn), str(role.id)

    def attach_role_policy(self, role_name: str, policy_arn: str) -> None:
        self.iam.attach_role_policy(policy_arn, role_name)

    def put_role_policy(self, role_name: str, policy_name: str, document: str) -> None:
        self.iam.put_role_policy(role_name, policy_name, document)

    # --- Lambda -----------------------------------------------------------------------------
    def create_function(self, region: str, request: dict[str, Any]) -> str:
        """``request`` as CreateFunction's JSON body (a ZipFile travels base64-encoded)."""
        body = dict(request)
        code = dict(body.get("Code", {}))
        if isinstance(code.get("ZipFile"), bytes):
            code["ZipFile"] = base64.b64encode(code["ZipFile"]).decode()
        body["Code"] = code
        return str(self._lambda(region).create_function(body).function_arn)

    def put_function_concurrency(self, region: str, name: str, reserved: int) -> None:
        self._lambda(region).put_function_concurrency(name, reserved)

    def publish_alias(self, region: str, name: str, alias: str) -> None:
        backend = self._lambda(region)
        version = backend.publish_version(name, "")
        backend.create_alias(alias, name, str(version.version), "", None)

    def add_permission(
        self, region: str, name: str, request: dict[str, Any], qualifier: str | None = None
    ) -> None:
        self._lambda(region).add_permission(name, qualifier, json.dumps(request))

    def create_function_url_config(self, region: str, name: str, request: dict[str, Any]) -> None:
        self._lambda(region).create_function_url_config(name, request)

    # --- logs and alarms --------------------------------------------------------------------
    def create_log_group(self, region: str, name: str, retention_days: int | None) -> None:
        from moto.logs.models import logs_backends

        backend: Any = logs_backends[self.account_id][region]
        backend.create_log_group(name, {})
        if retention_days is not None:
            backend.put_retention_policy(name, retention_days)

    def put_lambda_alarm(self, region: str, function_name: str, metric: str) -> None:
        from moto.cloudwatch.models import cloudwatch_backends

        backend: Any = cloudwatch_backends[self.account_id][region]
        backend.put_metric_alarm(
            name=f"{function_name}-{metric.lower()}",
            namespace="AWS/Lambda",
            metric_name=metric,
            comparison_operator="GreaterThanOrEqualToThreshold",
            evaluation_periods=1,
            period=300,
            threshold=1.0,
            statistic="Sum",
            description=f"{metric} of {function_name}",
            dimensions=[{"Name": "FunctionName", "Value": function_name}],
            alarm_actions=[],
        )


class DirectEc2:
    """moto's EC2 backend of one account-region, for building demo VPCs."""

    def __init__(self, account_id: str, region: str) -> None:
        from moto.ec2.models import ec2_backends

        self.backend: Any = ec2_backends[account_id][region]

    def create_vpc(self, cidr: str, name: str) -> str:
        return str(self.backend.create_vpc(cidr, tags=[{"Key": "Name", "Value": name}]).id)

    def create_internet_gateway(self, vpc_id: str) -> str:
        igw = self.backend.create_internet_gateway()
        self.backend.attach_internet_gateway(igw.id, vpc_id)
        return str(igw.id)

    def create_subnet(self, vpc_id: str, cidr: str, zone: str, name: str) -> str:
        subnet = self.backend.create_subnet(
            vpc_id, cidr, availability_zone=zone, tags={"subnet": {"Name": name}}
        )
        return str(subnet.id)

    def create_route_table(self, vpc_id: str, name: str) -> str:
        return str(self.backend.create_route_table(vpc_id, [{"Key": "Name", "Value": name}]).id)

    def main_route_table(self, vpc_id: str) -> str:
        tables = self.backend.describe_route_tables(
            filters={"vpc-id": [vpc_id], "association.main": ["true"]}
        )
        return str(tables[0].id)

    def create_transit_gateway(self, vpc_id: str, subnet_id: str, name: str) -> str:
        tgw = self.backend.create_transit_gateway(name, tags=[{"Key": "Name", "Value": name}])
        self.backend.create_transit_gateway_vpc_attachment(tgw.id, vpc_id, [subnet_id])
        return str(tgw.id)

    def create_default_route(self, route_table_id: str, target: str) -> None:
        kinds = {"nat-": "nat_gateway_id", "tgw-": "transit_gateway_id"}
        kind = next((k for prefix, k in kinds.items() if target.startswith(prefix)), "gateway_id")
        self.backend.create_route(route_table_id, "0.0.0.0/0", **{kind: target})

    def associate_route_table(self, route_table_id: str, subnet_id: str) -> None:
        self.backend.associate_route_table(route_table_id, subnet_id=subnet_id)

    def create_nat_gateway(self, subnet_id: str) -> str:
        address = self.backend.allocate_address(domain="vpc")
        return str(
            self.backend.create_nat_gateway(subnet_id=subnet_id, allocation_id=address.allocation_id).id
        )

    def create_security_group(self, name: str, description: str, vpc_id: str) -> str:
        return str(self.backend.create_security_group(name, description, vpc_id).id)
