"""CloudFormation resources (plain, SAM-expanded or CDK output) → inventory rows (reporter.iac.build).

A function's ``name`` is its logical id: that is what a template's author knows it by, what a
waiver names, and what ``Ref`` returns here (an explicit ``FunctionName`` is remembered so that a
log group or alarm naming it still finds the function).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

from reporter.iac.build import Builder, Location, canonical
from reporter.iac.cfn_attached import AttachedResources, _int
from reporter.iac.resolve import Resolver, Unresolved, first_unresolved
from reporter.iac.secrets_check import judge_variables

# Type → (name property, ARN pattern, what Ref returns: "name" | "arn").
_ARNS: dict[str, tuple[str, str, str]] = {
    "AWS::Lambda::Function": ("", "arn:{p}:lambda:{r}:{a}:function:{n}", "name"),
    "AWS::IAM::Role": ("", "arn:{p}:iam::{a}:role/{n}", "name"),
    "AWS::IAM::ManagedPolicy": ("ManagedPolicyName", "arn:{p}:iam::{a}:policy/{n}", "arn"),
    "AWS::DynamoDB::Table": ("TableName", "arn:{p}:dynamodb:{r}:{a}:table/{n}", "name"),
    "AWS::S3::Bucket": ("BucketName", "arn:{p}:s3:::{n}", "name"),
    "AWS::SQS::Queue": ("QueueName", "arn:{p}:sqs:{r}:{a}:{n}", "name"),
    "AWS::SNS::Topic": ("TopicName", "arn:{p}:sns:{r}:{a}:{n}", "arn"),
    "AWS::KMS::Key": ("", "arn:{p}:kms:{r}:{a}:key/{n}", "name"),
    "AWS::SecretsManager::Secret": ("Name", "arn:{p}:secretsmanager:{r}:{a}:secret:{n}", "arn"),
    "AWS::Logs::LogGroup": ("LogGroupName", "arn:{p}:logs:{r}:{a}:log-group:{n}:*", "name"),
    "AWS::Kinesis::Stream": ("Name", "arn:{p}:kinesis:{r}:{a}:stream/{n}", "name"),
    "AWS::StepFunctions::StateMachine": (
        "StateMachineName",
        "arn:{p}:states:{r}:{a}:stateMachine:{n}",
        "arn",
    ),
    "AWS::Events::Rule": ("Name", "arn:{p}:events:{r}:{a}:rule/{n}", "name"),
}


class TemplateMapper(AttachedResources):
    """Maps one template's resources into ``builder`` under placeholder account ``account``."""

    def __init__(
        self,
        builder: Builder,
        path: str,
        body: Mapping[str, Any],
        lines: Mapping[str, int],
        labels: Mapping[str, str],
    ) -> None:
        self.b = builder
        self.path = path
        self.account = builder.add_file(path)
        self.lines, self.labels = lines, labels
        resources = body.get("Resources")
        self.resources: dict[str, Mapping[str, Any]] = {
            str(k): v
            for k, v in (resources.items() if isinstance(resources, Mapping) else ())
            if isinstance(v, Mapping)
        }
        self.r = Resolver(
            body,
            account=self.account,
            region=builder.region,
            partition=builder.partition,
            resource_ref=self._resource_ref,
        )
        self.deployed_names: dict[str, str] = {}
        self.subnets: dict[str, dict[str, Any]] = {}
        self.associations: dict[str, str] = {}
        self.routes: dict[str, tuple[str, str]] = {}
        self.roles: dict[str, dict[str, Any]] = {}
        for logical, res in self.resources.items():
            if res.get("Type") == "AWS::Lambda::Function":
                name = self._props(res).get("FunctionName")
                if isinstance(name, str):
                    self.deployed_names[str(name)] = logical

    # --- references ---------------------------------------------------------------------------
    def _resource_ref(self, logical: str, attribute: str | None) -> Any:
        res = self.resources.get(logical)
        if res is None:
            return None
        kind = str(res.get("Type"))
        name_prop, pattern, ref_gives = _ARNS.get(kind, ("", "", "name"))
        name: Any = logical
        if name_prop:
            given = self._props(res).get(name_prop)
            if isinstance(given, str):
                name = str(given)
        arn = pattern.format(p=self.b.partition, r=self.b.region, a=self.account, n=name) if pattern else None
        if attribute is None:
            return arn if ref_gives == "arn" and arn else name
        if attribute == "Arn" and arn:
            return arn
        return f"{logical}.{attribute}"

    @staticmethod
    def _props(res: Mapping[str, Any]) -> Mapping[str, Any]:
        props = res.get("Properties")
        return props if isinstance(props, Mapping) else {}

    def _exists(self, res: Mapping[str, Any]) -> bool:
        condition = res.get("Condition")
        if condition is None:
            return True
        # An unresolved condition keeps the resource: leaving it out would hide its findings.
        return self.r.condition(str(condition)) is not False

    # --- the mapping --------------------------------------------------------------------------
    def map(self) -> None:
        live = {k: v for k, v in self.resources.items() if self._exists(v)}
        handlers = {"AWS::IAM::Role": "_role", "AWS::Lambda::Function": "_function"}
        # Roles first (functions and policies attach to them), then functions, then the rest.
        for wanted in ("AWS::IAM::Role", "AWS::Lambda::Function", None):
            for logical, res in live.items():
                kind = str(res.get("Type"))
                handler = handlers.get(kind) if wanted else _LATER.get(kind)
                if handler and (wanted is None or kind == wanted):
                    try:
                        getattr(self, handler)(logical, self.r.value(self._props(res)))
                    except (ValueError, TypeError, AttributeError, KeyError) as exc:
                        self.roles.pop(logical, None)
                        self.b.malformed(
                            self.path, self.lines.get(logical), f"resource {logical} ({kind})", exc
                        )
        for role in self.roles.values():
            self.b.add("roles", **role)
        self._subnets()

    def _role(self, logical: str, props: Mapping[str, Any]) -> None:
        arn = self.b.role_arn(self.account, logical)
        trust = props.get("AssumeRolePolicyDocument")
        problem = first_unresolved(trust)
        if problem:
            self.b.role_problem(arn, f"trust policy: {problem.reason}")
        boundary = props.get("PermissionsBoundary")
        if isinstance(boundary, Unresolved):
            self.b.role_problem(arn, f"permissions boundary: {boundary.reason}")
            boundary = f"arn:{self.b.partition}:iam::{self.account}:policy/unresolved-boundary-of-{logical}"
        attached = [a for a in props.get("ManagedPolicyArns") or [] if isinstance(a, str)]
        for item in props.get("ManagedPolicyArns") or []:
            if isinstance(item, Unresolved):
                self.b.role_problem(arn, f"managed policy: {item.reason}")
        inline = []
        for policy in props.get("Policies") or []:
            if isinstance(policy, Mapping) and isinstance(policy.get("PolicyName"), str):
                inline.append(policy["PolicyName"])
                self._inline(arn, policy["PolicyName"], policy.get("PolicyDocument"))
        self.roles[logical] = {
            "account_id": self.account,
            "role_arn": arn,
            "role_name": logical,
            "path": props.get("Path") if isinstance(props.get("Path"), str) else "/",
            "trust_policy": canonical(trust) if trust and not problem else None,
            "permissions_boundary_arn": boundary if isinstance(boundary, str) else None,
            "attached_policy_arns": attached,
            "inline_policy_names": inline,
        }

    def _inline(self, role_arn: str, name: str, document: Any) -> None:
        problem = first_unresolved(document)
        if problem:
            self.b.role_problem(role_arn, f"policy {name}: {problem.reason}")
            document = {"Version": "2012-10-17", "Statement": []}
        self.b.policy_document(
            self.account, self.b.inline_key(role_arn, name), name, "inline", document, role_arn
        )

    def _role_names(self, props: Mapping[str, Any], key: str) -> list[str]:
        """Logical ids of this file's roles that ``props[key]`` names (Ref gives the logical id)."""
        return [str(n) for n in props.get(key) or [] if isinstance(n, str) and str(n) in self.roles]

    def _policy(self, logical: str, props: Mapping[str, Any]) -> None:  # AWS::IAM::Policy
        name = props.get("PolicyName") if isinstance(props.get("PolicyName"), str) else logical
        for role in self._role_names(props, "Roles"):
            arn = self.roles[role]["role_arn"]
            self.roles[role]["inline_policy_names"].append(name)
            self._inline(arn, str(name), props.get("PolicyDocument"))

    def _role_policy(self, logical: str, props: Mapping[str, Any]) -> None:  # AWS::IAM::RolePolicy
        self._policy(logical, {**props, "Roles": [props.get("RoleName")]})

    def _managed_policy(self, logical: str, props: Mapping[str, Any]) -> None:
        arn = str(self._resource_ref(logical, None))
        document = props.get("PolicyDocument")
        problem = first_unresolved(document)
        users = self._role_names(props, "Roles")
        if problem:
            for role in users:
                self.b.role_problem(self.roles[role]["role_arn"], f"policy {logical}: {problem.reason}")
            document = {"Version": "2012-10-17", "Statement": []}
        self.b.policy_document(self.account, arn, logical, "customer_managed", document)
        for role in users:
            self.roles[role]["attached_policy_arns"].append(arn)

    def _function(self, logical: str, props: Mapping[str, Any]) -> None:
        arn = self.b.function_arn(self.account, logical)
        self.b.locations[arn] = Location(
            self.path, self.lines.get(logical), logical, self.labels.get(logical, "")
        )
        row: dict[str, Any] = {"account_id": self.account, "function_arn": arn, "name": logical}

        known = partial(self.b.known, arn)

        row["package_type"] = known("package_type", props.get("PackageType", "Zip"))
        row["runtime"] = known("runtime", props.get("Runtime"))
        row["architectures"] = known("architectures", props.get("Architectures", ["x86_64"]))
        row["memory_mb"] = _int(known("memory_mb", props.get("MemorySize", 128)))
        row["timeout_s"] = _int(known("timeout_s", props.get("Timeout", 3)))
        role = props.get("Role")
        if isinstance(role, Unresolved) or role is None:
            self.b.unknown(
                arn, "table", "roles", "execution role: " + (role.reason if role else "none given")
            )
            role = f"arn:{self.b.partition}:iam::{self.account}:role/unresolved-role-of-{logical}"
        elif str(role) not in {r["role_arn"] for r in self.roles.values()}:
            self.b.unknown(arn, "table", "roles", f"execution role {role} is not defined in this file")
        row["role_arn"] = str(role)
        for role_logical, record in self.roles.items():
            if record["role_arn"] == row["role_arn"]:
                self.b.role_locations[arn] = Location(self.path, self.lines.get(role_logical), role_logical)
        vpc: Mapping[str, Any] = props["VpcConfig"] if isinstance(props.get("VpcConfig"), Mapping) else {}
        subnets = known("subnet_ids", vpc.get("SubnetIds", []))
        row["subnet_ids"] = [str(s) for s in subnets] if isinstance(subnets, list) else None
        if subnets is None:  # whether it is in a VPC at all is unknown: every network rule waits
            row["vpc_id"] = "unresolved"
            problem = first_unresolved(vpc.get("SubnetIds"))
            detail = problem.reason if problem else "known only at deploy"
            self.b.unknown(arn, "table", "subnets", f"subnet_ids: {detail}", adds=True)
        groups = vpc.get("SecurityGroupIds", [])
        row["security_group_ids"] = (
            [str(g) for g in groups if isinstance(g, str)] if isinstance(groups, list) else []
        )
        row["layers"] = [str(x) for x in props.get("Layers", []) if isinstance(x, str)]
        variables = _get(_get(props, "Environment"), "Variables") or {}
        raw_vars = _get(_get(self._raw(logical), "Environment"), "Variables") or {}
        if isinstance(variables, Unresolved):
            self.b.unknown(arn, "column", "secret_env_var_names", f"environment: {variables.reason}")
            variables = {}
        row["env_var_names"] = sorted(str(k) for k in variables)
        row["secret_env_var_names"] = judge_variables(variables, raw_vars, self.r, arn, self.b)
        row["kms_key_arn"] = props.get("KmsKeyArn") if isinstance(props.get("KmsKeyArn"), str) else None
        row["tracing_mode"] = (props.get("TracingConfig") or {}).get("Mode")
        row["dead_letter_target"] = (props.get("DeadLetterConfig") or {}).get("TargetArn")
        row["reserved_concurrency"] = _int(
            known("reserved_concurrency", props.get("ReservedConcurrentExecutions"))
        )
        row["snap_start"] = known("snap_start", (props.get("SnapStart") or {}).get("ApplyOn", "None"))
        tags: dict[str, str] = {}
        for tag in props.get("Tags") or []:
            if isinstance(tag, Mapping) and isinstance(tag.get("Key"), str):
                value = known("tags", tag.get("Value"), "tag", tag["Key"])
                if value is not None:
                    tags[tag["Key"]] = str(value)
        row["tags"] = tags
        for column in ("tracing_mode", "dead_letter_target"):
            if not isinstance(row[column], str):
                row[column] = None
        self.b.add("functions", **row)

    def _raw(self, logical: str) -> Mapping[str, Any]:
        return self._props(self.resources[logical])


_LATER: dict[str, str] = {
    "AWS::IAM::Policy": "_policy",
    "AWS::IAM::RolePolicy": "_role_policy",
    "AWS::IAM::ManagedPolicy": "_managed_policy",
    "AWS::Lambda::Permission": "_permission",
    "AWS::Lambda::Url": "_url",
    "AWS::Lambda::Alias": "_provisioned",
    "AWS::Lambda::Version": "_provisioned",
    "AWS::Logs::LogGroup": "_log_group",
    "AWS::CloudWatch::Alarm": "_alarm",
    "AWS::EC2::Subnet": "_subnet",
    "AWS::EC2::SubnetRouteTableAssociation": "_subnet_route",
    "AWS::EC2::Route": "_route",
}


def _get(value: Any, key: str) -> Any:
    return value.get(key) if isinstance(value, Mapping) else None
