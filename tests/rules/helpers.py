"""Small hand-built inventories for rule tests: one function, its role and facts, a few units."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from reporter.aws.crawl import coverage_row
from reporter.inventory import Inventory
from reporter.rules.engine import load_catalog, run_rules
from reporter.settings import Settings

ACCT = "111111111111"
OTHER_ACCT = "222222222222"
REGION = "eu-west-1"
REGION2 = "us-east-1"
RUN_DATE = dt.date(2026, 11, 28)

Records = dict[str, list[dict[str, Any]]]


def fn_arn(name: str, account: str = ACCT, region: str = REGION) -> str:
    return f"arn:aws:lambda:{region}:{account}:function:{name}"


def role_arn(name: str, account: str = ACCT) -> str:
    return f"arn:aws:iam::{account}:role/{name}"


def policy_arn(name: str, account: str = ACCT) -> str:
    return f"arn:aws:iam::{account}:policy/{name}"


ADMIN_ARN = "arn:aws:iam::aws:policy/AdministratorAccess"
POWER_USER_ARN = "arn:aws:iam::aws:policy/PowerUserAccess"


def function(
    name: str, *, account: str = ACCT, region: str = REGION, role: str | None = None, **cols: Any
) -> dict[str, Any]:
    """A Zip python3.13 function outside any VPC, with its own role ``<name>-role``."""
    record: dict[str, Any] = {
        "account_id": account,
        "region": region,
        "function_arn": fn_arn(name, account, region),
        "name": name,
        "runtime": "python3.13",
        "package_type": "Zip",
        "code_size": 1024,
        "role_arn": role_arn(role or f"{name}-role", account),
        "subnet_ids": [],
        "security_group_ids": [],
        "env_var_names": [],
        "secret_env_var_names": [],
        "tags": {},
    }
    record.update(cols)
    return record


def role(
    name: str, *, account: str = ACCT, boundary: str | None = None, attached: Iterable[str] = (), **cols: Any
) -> dict[str, Any]:
    record: dict[str, Any] = {
        "account_id": account,
        "role_arn": role_arn(name, account),
        "role_name": name,
        "path": "/",
        "permissions_boundary_arn": boundary,
        "attached_policy_arns": list(attached),
        "inline_policy_names": [],
    }
    record.update(cols)
    return record


def facts(name: str, *, account: str = ACCT, **cols: Any) -> dict[str, Any]:
    """role_facts of a clean role: nothing risky found."""
    record: dict[str, Any] = {
        "account_id": account,
        "role_arn": role_arn(name, account),
        "admin_policy_arns": [],
        "admin_like": False,
        "wildcard_actions": [],
        "write_on_star": [],
        "privilege_escalation": [],
        "has_boundary": False,
        "boundary_allows_iam": [],
        "dead_grants": [],
        "trust_principals": ["lambda.amazonaws.com"],
        "non_lambda_trust": [],
        "analysis_error": None,
    }
    record.update(cols)
    return record


def with_role(
    fn: dict[str, Any], *, boundary: str | None = None, attached: Iterable[str] = (), **fact_cols: Any
) -> Records:
    """The function plus its role and the role's facts (has_boundary follows ``boundary``)."""
    name = fn["role_arn"].rsplit("/", 1)[1]
    account = fn["account_id"]
    attached = list(attached)
    derived = {
        "has_boundary": boundary is not None,
        "admin_policy_arns": [a for a in attached if a in (ADMIN_ARN, POWER_USER_ARN)],
    }
    return {
        "functions": [fn],
        "roles": [role(name, account=account, boundary=boundary, attached=attached)],
        "role_facts": [facts(name, account=account, **{**derived, **fact_cols})],
    }


def merge(*parts: Mapping[str, Iterable[dict[str, Any]]]) -> Records:
    out: Records = {}
    for part in parts:
        for table, rows in part.items():
            out.setdefault(table, []).extend(rows)
    return out


def unit(
    collector: str,
    tables: Iterable[str],
    *,
    account: str = ACCT,
    region: str = REGION,
    status: str = "ok",
    error_code: str | None = None,
    message: str | None = None,
    resource_arn: str | None = None,
) -> dict[str, Any]:
    """A coverage row, as the crawler writes it."""
    return coverage_row(
        account,
        region,
        collector,
        list(tables),
        status,
        error_code=error_code,
        message=message,
        resource_arn=resource_arn,
        api_calls=1,
        seconds=0.1,
    )


def judge(
    records: Mapping[str, Iterable[dict[str, Any]]], *rule_ids: str, settings: Settings | None = None
) -> pd.DataFrame:
    """Findings of the named rules (all rules when none is named) on the records."""
    wanted = set(rule_ids)
    rules = [r for r in load_catalog() if not wanted or r.id in wanted]
    assert not wanted or len(rules) == len(wanted), f"unknown rule id in {sorted(wanted)}"
    return run_rules(Inventory.from_records(records), settings or Settings(run_date=RUN_DATE), rules=rules)


RULE_IDS = (
    *(f"LG-IAM-0{i}" for i in range(1, 10)),
    "LG-PUB-01",
    "LG-PUB-02",
    *(f"LG-COST-0{i}" for i in range(1, 5)),
    *(f"LG-PERF-0{i}" for i in range(1, 4)),
    *(f"LG-NET-0{i}" for i in range(1, 4)),
    *(f"LG-RT-0{i}" for i in range(1, 4)),
    *(f"LG-CFG-0{i}" for i in range(1, 5)),
)
"""The 28 ids of RULES.md (v1), written out by hand: shared/ is not available to CI. Stable:
reports, waivers and findings files key on them. The one copy the tests compare the catalog,
the demo's truth and the rule tests against."""

ASSERTED: set[tuple[str, str]] = set()
"""(rule id, status) pairs a rule test has asserted a row of that rule to have (see :func:`only`)."""


class _Status(str):
    """A finding's status that records, when a test compares it equal to a status, that it did."""

    __slots__ = ("rule_id",)
    rule_id: str

    def __eq__(self, other: object) -> bool:
        equal = str.__eq__(self, other)
        if equal is True and type(other) is str:
            ASSERTED.add((self.rule_id, other))
        return equal

    __hash__ = str.__hash__


def status_of(rule_id: str, status: str) -> str:
    value = _Status(status)
    value.rule_id = rule_id
    return value


def only(findings: pd.DataFrame, rule_id: str, resource_id: str | None = None) -> dict[str, Any]:
    """The single finding of ``rule_id`` (for ``resource_id``), as a plain dict.

    Its ``status`` records the comparison ``finding["status"] == "fail"`` in :data:`ASSERTED`, so
    tests/rules/conftest.py can tell which rules had a pass and a fail row checked.
    """
    rows = findings[findings["rule_id"] == rule_id]
    if resource_id is not None:
        rows = rows[rows["resource_id"] == resource_id]
    assert len(rows) == 1, f"expected one {rule_id} row for {resource_id}, got {len(rows)}:\n{rows}"
    row = {str(k): (None if pd.isna(v) else v) for k, v in rows.iloc[0].to_dict().items()}
    row["status"] = status_of(rule_id, str(row["status"]))
    return row


def untested(rule_ids: Iterable[str], asserted: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """Rule id → the verdicts (pass, fail) no test asserted for it; empty when every rule has both."""
    seen = set(asserted)
    gaps = {r: [s for s in ("pass", "fail") if (r, s) not in seen] for r in rule_ids}
    return {r: missing for r, missing in gaps.items() if missing}
