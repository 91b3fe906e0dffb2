"""The judge step: derived tables and columns recomputed from what was collected."""

from __future__ import annotations

from typing import Any

import pytest

from reporter.collectors.common import canonical_json
from reporter.inventory import DERIVED_COLUMNS, DERIVED_TABLES, Inventory
from reporter.rules.derive import JUDGE, derive
from reporter.rules.engine import load_catalog, run_rules
from reporter.settings import Settings
from tests.rules.helpers import (
    ACCT,
    ADMIN_ARN,
    REGION,
    RUN_DATE,
    fn_arn,
    function,
    only,
    role,
    role_arn,
    unit,
)

ADMIN_DOCUMENT = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}


def _policy_row(name: str, sid: str, statement: dict[str, Any] | str | None, **cols: Any) -> dict[str, Any]:
    """A function_policies row as the collector writes it; ``statement`` may be a broken text."""
    text = canonical_json(statement) if isinstance(statement, dict) else statement
    parsed = statement if isinstance(statement, dict) else {}
    return {
        "account_id": ACCT,
        "region": REGION,
        "function_arn": fn_arn(name),
        "sid": sid,
        "effect": parsed.get("Effect"),
        "principal": canonical_json(parsed.get("Principal")),
        "action": canonical_json(parsed.get("Action")),
        "condition": None,
        "statement": text,
        **cols,
    }


def _allow(principal: Any, condition: dict[str, Any] | None = None, effect: str = "Allow") -> dict[str, Any]:
    statement = {"Effect": effect, "Principal": principal, "Action": "lambda:InvokeFunction"}
    return statement | ({"Condition": condition} if condition else {})


# Cases from AWS's Lambda resource-policy docs and Security Hub control Lambda.1.
PUBLIC_CASES = [
    ("star", _allow("*"), True),
    ("aws-star", _allow({"AWS": "*"}), True),
    ("service-unpinned", _allow({"Service": "s3.amazonaws.com"}), True),
    (
        "service-pinned",
        _allow({"Service": "s3.amazonaws.com"}, {"StringEquals": {"AWS:SourceAccount": ACCT}}),
        False,
    ),
    ("account", _allow({"AWS": f"arn:aws:iam::{ACCT}:root"}), False),
    ("deny-star", _allow("*", effect="Deny"), False),
]


def _collected(records: dict[str, list[dict[str, Any]]]) -> Inventory:
    return Inventory.from_records(records)


def test_is_public_is_judged_from_the_stored_statement_not_taken_from_the_row() -> None:
    # every row arrives with the opposite of the right verdict, as stale evidence would
    rows = [_policy_row("api", sid, st, is_public=not public) for sid, st, public in PUBLIC_CASES]
    collected = _collected({"function_policies": rows})
    judged = derive(collected)
    got = dict(zip(judged["function_policies"]["sid"], judged["function_policies"]["is_public"], strict=True))
    assert got == {sid: public for sid, _, public in PUBLIC_CASES}
    # the collected inventory is left as it was
    assert collected["function_policies"]["is_public"].tolist() == [not p for _, _, p in PUBLIC_CASES]


def _admin_role() -> dict[str, list[dict[str, Any]]]:
    # api's execution role: only the roles of functions are analysed (issue 12, role scope)
    return {
        "functions": [function("api")],
        "roles": [role("api-role", attached=[ADMIN_ARN], trust_policy=canonical_json(TRUST))],
        "policy_documents": [
            {
                "account_id": ACCT,
                "policy_key": ADMIN_ARN,
                "policy_arn": ADMIN_ARN,
                "policy_name": "AdministratorAccess",
                "kind": "aws_managed",
                "document": canonical_json(ADMIN_DOCUMENT),
            }
        ],
    }


def test_role_tables_are_recomputed_from_roles_and_documents() -> None:
    stale = {
        "account_id": ACCT,
        "role_arn": role_arn("api-role"),
        "admin_like": False,
        "wildcard_actions": [],
    }
    collected = _collected({**_admin_role(), "role_facts": [stale]})
    judged = derive(collected)
    [facts] = judged["role_facts"].to_dict("records")
    assert facts["admin_like"] and list(facts["admin_policy_arns"]) == [ADMIN_ARN]
    assert list(facts["wildcard_actions"]) == [f"{ADMIN_ARN}: *"]
    assert set(judged["role_permissions"]["source"]) == {ADMIN_ARN}


def test_a_role_whose_document_was_not_collected_is_an_analysis_error_not_a_clean_role() -> None:
    collected = _collected(
        {
            "functions": [function("api")],
            "roles": [role("api-role", attached=[ADMIN_ARN], trust_policy=canonical_json(TRUST))],
        }
    )
    [facts] = derive(collected)["role_facts"].to_dict("records")
    assert facts["analysis_error"] and ADMIN_ARN in facts["analysis_error"]
    assert not facts["admin_like"]


@pytest.mark.parametrize("broken", ["{not json", '["a list"]', None])
def test_an_unreadable_statement_is_an_error_for_its_function_never_a_pass(broken: str | None) -> None:
    records = {
        "coverage": [unit("lambda", ["functions", "function_policies"])],
        "functions": [function("api"), function("other")],
        "function_policies": [
            _policy_row("api", "broken", broken, is_public=False),
            _policy_row("other", "fine", _allow({"AWS": f"arn:aws:iam::{ACCT}:root"})),
        ],
    }
    judged = derive(_collected(records))
    [problem] = judged["coverage"][judged["coverage"]["collector"] == JUDGE].to_dict("records")
    assert (problem["status"], problem["resource_arn"]) == ("error", fn_arn("api"))
    assert list(problem["tables"]) == ["function_policies"]
    [rule] = [r for r in load_catalog() if r.id == "LG-PUB-01"]
    findings = run_rules(judged, Settings(run_date=RUN_DATE), rules=[rule])
    assert only(findings, "LG-PUB-01", "api")["status"] == "error"
    assert only(findings, "LG-PUB-01", "other")["status"] == "pass"


def test_every_declared_derivation_is_computed() -> None:
    collected = _collected({**_admin_role(), "function_policies": [_policy_row("api", "s", _allow("*"))]})
    judged = derive(collected)
    for table in DERIVED_TABLES:
        assert not judged[table].empty, table
    for table, columns in DERIVED_COLUMNS.items():
        for column in columns:
            assert judged[table][column].notna().all(), (table, column)


def test_a_role_no_function_uses_is_read_but_not_analysed() -> None:
    records = _admin_role()
    records["functions"] = []
    judged = derive(_collected(records))
    assert judged["role_facts"].empty and judged["role_permissions"].empty
    assert len(judged["roles"]) == 1
