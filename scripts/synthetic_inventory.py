"""The synthetic inventory of the rules benchmarks (scripts/bench_rules.py, bench_rules_scale.py).

``synthetic_inventory(functions, roles, accounts)``: functions spread over the accounts × 4 regions,
execution roles (half with a boundary) with inline policies from ``documents`` templates, SSO and
service-linked roles no function uses, resource policies, URLs, subnets, Config, logs, alarms, and
a few failed coverage units, so every rule and the error rows have work to do.
"""

from __future__ import annotations

import json
import random
from typing import Any

import pandas as pd
import pyarrow as pa

from reporter.inventory import SCHEMAS, Inventory

REGIONS = ("us-east-1", "eu-west-1", "eu-central-1", "ap-southeast-2")
DOCUMENTS = 200
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
RUNTIMES = ("python3.13", "python3.12", "nodejs22.x", "python3.9", "java21", "nodejs18.x", "dotnet8")


class Rows:
    """Column-wise records of one inventory table (per-row dicts cost seconds at this size)."""

    def __init__(self, table: str) -> None:
        self.table = table
        self.columns: dict[str, list[Any]] = {name: [] for name in SCHEMAS[table].names}
        self.count = 0

    def add(self, **values: Any) -> None:
        for name, column in self.columns.items():
            column.append(values.get(name))
        self.count += 1

    def frame(self) -> pd.DataFrame:
        arrow = pa.Table.from_pydict(self.columns, schema=SCHEMAS[self.table])
        return arrow.to_pandas(types_mapper=pd.ArrowDtype)


def _json(doc: dict[str, Any]) -> str:
    return json.dumps(doc, sort_keys=True, separators=(",", ":"))


def _allow(action: str | list[str], resource: str = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def _document(i: int) -> str:
    """Inline policy template i: scoped grants, plus wildcard, escalation or conditional ones."""
    statements = [
        _allow(["logs:CreateLogStream", "logs:PutLogEvents"]),
        _allow(["s3:GetObject", "s3:PutObject"], f"arn:aws:s3:::bucket-{i}/*"),
        _allow(["dynamodb:GetItem", "dynamodb:UpdateItem"], f"arn:aws:dynamodb:*:*:table/table-{i}"),
    ]
    if i % 10 == 0:
        statements.append(_allow("sqs:*"))
    if i % 25 == 0:
        statements.append(_allow(["iam:PassRole", "lambda:CreateFunction"]))
    if i % 7 == 0:
        condition = {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}
        statements.append(_allow("sns:Publish", Condition=condition))
    return _json({"Version": "2012-10-17", "Statement": statements})


BOUNDARY = _json(
    {
        "Version": "2012-10-17",
        "Statement": [
            _allow(["logs:*", "s3:GetObject", "s3:PutObject", "dynamodb:GetItem", "sqs:*"]),
            {"Effect": "Deny", "Action": ["iam:*", "kms:*"], "Resource": "*"},
        ],
    }
)
STAR = _json({"Version": "2012-10-17", "Statement": [_allow("*")]})
TRUST = _json(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)


def _unused_roles(accts: list[str], count: int, role_rows: Rows) -> None:
    """SSO permission-set roles and service-linked roles: read, never an execution role."""
    for i in range(count):
        a = accts[i % len(accts)]
        sso = i % 2 == 0
        name = f"AWSReservedSSO_Team{i}_{i:016x}" if sso else f"AWSServiceRoleForService{i}"
        path = "/aws-reserved/sso.amazonaws.com/" if sso else f"/aws-service-role/svc{i}.amazonaws.com/"
        role_rows.add(
            account_id=a,
            role_arn=f"arn:aws:iam::{a}:role{path}{name}",
            role_name=name,
            path=path,
            trust_policy=TRUST,
            permissions_boundary_arn=None,
            attached_policy_arns=[ADMIN],
            inline_policy_names=[],
        )


def _iam(accts: list[str], roles: int, documents: int) -> tuple[Rows, Rows, list[list[str]]]:
    role_rows, docs = Rows("roles"), Rows("policy_documents")
    for a in accts:
        for name, text in (("Boundary", BOUNDARY), ("LooseBoundary", STAR)):
            arn = f"arn:aws:iam::{a}:policy/{name}"
            docs.add(
                account_id=a,
                policy_key=arn,
                policy_arn=arn,
                policy_name=name,
                kind="customer_managed",
                document=text,
            )
        docs.add(
            account_id=a,
            policy_key=ADMIN,
            policy_arn=ADMIN,
            policy_name="AdministratorAccess",
            kind="aws_managed",
            document=STAR,
        )
    by_account: list[list[str]] = [[] for _ in accts]
    for i in range(roles):
        a = accts[i % len(accts)]
        arn = f"arn:aws:iam::{a}:role/role-{i}"
        by_account[i % len(accts)].append(arn)
        boundary = None if i % 2 else f"arn:aws:iam::{a}:policy/{'Loose' if i % 20 == 0 else ''}Boundary"
        role_rows.add(
            account_id=a,
            role_arn=arn,
            role_name=f"role-{i}",
            path="/",
            trust_policy=TRUST,
            permissions_boundary_arn=boundary,
            attached_policy_arns=[ADMIN] if i % 97 == 0 else [],
            inline_policy_names=["app"],
        )
        docs.add(
            account_id=a,
            policy_key=f"{arn}#inline/app",
            policy_name="app",
            kind="inline",
            role_arn=arn,
            document=_document(i % documents),
        )
    return role_rows, docs, by_account


def _lambda(accts: list[str], functions: int, roles: list[list[str]], rng: random.Random) -> list[Rows]:
    fns, pols, urls, logs, alarms, warm = (
        Rows(t)
        for t in (
            "functions",
            "function_policies",
            "function_urls",
            "log_groups",
            "alarms",
            "provisioned_concurrency",
        )
    )
    for i in range(functions):
        a, region = accts[i % len(accts)], REGIONS[(i // len(accts)) % len(REGIONS)]
        name = f"fn-{i}"
        arn = f"arn:aws:lambda:{region}:{a}:function:{name}"
        where = {"account_id": a, "region": region}
        vpc = i % 5 < 2
        secret = i % 13 == 0
        tags = (
            {"CostControl": "HighRisk"}
            if i % 10 == 0
            else ({"LatencyCritical": "true"} if i % 10 == 1 else {})
        )
        fns.add(
            **where,
            function_arn=arn,
            name=name,
            runtime=RUNTIMES[i % len(RUNTIMES)],
            package_type="Image" if i % 50 == 0 else "Zip",
            code_size=rng.randrange(1, 30) << 20,
            role_arn=rng.choice(roles[i % len(accts)]),
            vpc_id="vpc-1" if vpc else None,
            subnet_ids=[f"subnet-{i % 3}", f"subnet-{(i + 1) % 3}"] if vpc else [],
            security_group_ids=["sg-1"] if vpc else [],
            env_var_names=["STAGE", "DB_PASSWORD"] if secret else ["STAGE"],
            secret_env_var_names=["DB_PASSWORD"] if secret else [],
            reserved_concurrency=rng.choice([None, 2, 5, 50]) if i % 10 == 0 else None,
            tags=tags,
        )
        if i % 3 == 0:
            public = i % 30 == 0
            pols.add(
                **where,
                function_arn=arn,
                sid="invoke",
                effect="Allow",
                action='"lambda:InvokeFunction"',
                principal='"*"' if public else '{"Service":"s3.amazonaws.com"}',
                is_public=public,
            )
        if i % 10 == 0:
            urls.add(
                **where,
                function_arn=arn,
                url=f"https://{i}.on.aws/",
                auth_type="NONE" if i % 20 == 0 else "AWS_IAM",
            )
        if i % 5 != 4:
            logs.add(
                **where,
                log_group=f"/aws/lambda/{name}",
                function_name=name,
                retention_days=None if i % 2 else 30,
                stored_bytes=10**6,
            )
        if i % 3 == 1:
            alarms.add(
                **where,
                alarm_name=f"{name}-errors",
                function_name=name,
                metric_name="Errors",
                namespace="AWS/Lambda",
            )
        if i % 20 == 1:
            warm.add(**where, function_arn=arn, qualifier="live", requested=2, allocated=2, status="READY")
    return [fns, pols, urls, logs, alarms, warm]


def _units(accts: list[str], rng: random.Random) -> list[Rows]:
    concurrency, subnets, recorders, rules, coverage = (
        Rows(t) for t in ("account_concurrency", "subnets", "config_recorders", "config_rules", "coverage")
    )
    collectors = {
        "lambda": [
            "functions",
            "function_policies",
            "function_urls",
            "provisioned_concurrency",
            "account_concurrency",
        ],
        "config": ["config_recorders", "config_rules"],
        "config_compliance": ["config_compliance"],
        "ec2": ["subnets"],
        "logs": ["log_groups"],
        "cloudwatch": ["alarms"],
    }
    for n, (a, r) in enumerate((a, r) for a in accts for r in REGIONS):
        where = {"account_id": a, "region": r}
        concurrency.add(**where, concurrency_limit=1000, unreserved_concurrency=rng.choice([50, 400, 900]))
        for s in range(3):
            target = "nat-1" if s else "igw-1"
            subnets.add(
                **where,
                subnet_id=f"subnet-{s}",
                vpc_id="vpc-1",
                availability_zone=f"{r}{'ab'[s % 2]}",
                route_table_id=f"rtb-{s}",
                default_route_target=target,
                nat_default_route=bool(s),
            )
        recorders.add(
            **where,
            recorder_name="default",
            recording=n % 7 != 0,
            all_supported=True,
            include_global=r == "us-east-1",
        )
        rules.add(
            **where,
            rule_name="lambda-inside-vpc",
            source_owner="AWS",
            source_identifier="LAMBDA_INSIDE_VPC",
            state="ACTIVE",
        )
        for name, tables in collectors.items():
            failed = n % 40 == 3 and name == "logs"  # a few throttled units: error rows
            coverage.add(
                **where,
                collector=name,
                tables=tables,
                status="error" if failed else "ok",
                error_code="ThrottlingException" if failed else None,
            )
    for a in accts:
        coverage.add(
            account_id=a, region="global", collector="iam", tables=["roles", "policy_documents"], status="ok"
        )
    return [concurrency, subnets, recorders, rules, coverage]


def synthetic_inventory(
    functions: int,
    roles: int,
    accounts: int,
    seed: int = 7,
    documents: int = DOCUMENTS,
    unused_roles: int = 0,
) -> Inventory:
    rng = random.Random(seed)
    accts = [f"{100000000000 + i}" for i in range(accounts)]
    names = Rows("accounts")
    for i, a in enumerate(accts):
        names.add(account_id=a, name=f"acct-{i}", status="ACTIVE", ou_path=f"Root/OU{i % 5}")
    role_rows, docs, by_account = _iam(accts, roles, documents)
    _unused_roles(accts, unused_roles, role_rows)
    inventory = Inventory()
    for rows in [names, role_rows, docs, *_lambda(accts, functions, by_account, rng), *_units(accts, rng)]:
        inventory[rows.table] = rows.frame()
    return inventory
