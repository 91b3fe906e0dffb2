"""derive_role_tables: typed frames, one facts row per role, errors contained to their role."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pandas as pd

from reporter.iam import derive_role_tables
from reporter.iam.actions import ALL_ACTIONS
from reporter.inventory import SCHEMAS, frame, to_arrow
from tests.iam.documents import GUIDE_BOUNDARY, GUIDE_ROLE_POLICY, LAMBDA_TRUST, allow, deny, policy

ACCOUNT = "123456789012"
ADMIN_ARN = "arn:aws:iam::aws:policy/AdministratorAccess"
BOUNDARY_ARN = f"arn:aws:iam::{ACCOUNT}:policy/lambda-boundary"
WIDE_TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {
                    "Service": ["lambda.amazonaws.com", "ec2.amazonaws.com"],
                    "AWS": "arn:aws:iam::111122223333:root",
                },
                "Action": "sts:AssumeRole",
            },
            {
                "Effect": "Deny",
                "Principal": {"AWS": "arn:aws:iam::444455556666:root"},
                "Action": "sts:AssumeRole",
            },
        ],
    }
)


def _role(
    name: str,
    *,
    inline: Sequence[str] = (),
    attached: Sequence[str] = (),
    boundary: str | None = None,
    trust: str = LAMBDA_TRUST,
    account: str = ACCOUNT,
) -> dict[str, Any]:
    return {
        "account_id": account,
        "role_arn": f"arn:aws:iam::{account}:role/{name}",
        "role_name": name,
        "path": "/",
        "trust_policy": trust,
        "permissions_boundary_arn": boundary,
        "attached_policy_arns": list(attached),
        "inline_policy_names": list(inline),
    }


def _inline(role: str, name: str, document: str | None, account: str = ACCOUNT) -> dict[str, Any]:
    arn = f"arn:aws:iam::{account}:role/{role}"
    return {
        "account_id": account,
        "policy_key": f"{arn}#inline/{name}",
        "policy_name": name,
        "kind": "inline",
        "role_arn": arn,
        "document": document,
    }


def _managed(arn: str, document: str, account: str = ACCOUNT) -> dict[str, Any]:
    return {
        "account_id": account,
        "policy_key": arn,
        "policy_arn": arn,
        "policy_name": arn.rsplit("/", 1)[-1],
        "kind": "aws_managed" if ":aws:policy/" in arn else "customer_managed",
        "document": document,
    }


def _derive(
    roles: list[dict[str, Any]], docs: list[dict[str, Any]]
) -> tuple[pd.DataFrame, dict[str, dict[str, Any]]]:
    out = derive_role_tables(frame("roles", roles), frame("policy_documents", docs))
    assert set(out) == {"role_permissions", "role_facts"}
    for table, df in out.items():
        to_arrow(table, df)  # raises unless the frame fits the schema exactly
        assert list(df.columns) == SCHEMAS[table].names
        assert all(isinstance(dtype, pd.ArrowDtype) for dtype in df.dtypes)
    facts = {
        str(rec["role_arn"]).rsplit("/", 1)[-1]: {str(k): v for k, v in rec.items()}
        for rec in out["role_facts"].to_dict("records")
    }
    assert len(facts) == len(out["role_facts"]) == len(roles)
    return out["role_permissions"], facts


def test_guide_role_end_to_end() -> None:
    roles = [_role("guide", inline=["app"], boundary=BOUNDARY_ARN)]
    docs = [_inline("guide", "app", GUIDE_ROLE_POLICY), _managed(BOUNDARY_ARN, GUIDE_BOUNDARY)]
    perms, facts = _derive(roles, docs)
    f = facts["guide"]
    assert f["analysis_error"] is None or pd.isna(f["analysis_error"])
    assert list(f["dead_grants"]) == ["dynamodb:UpdateItem"]
    assert list(f["boundary_allows_iam"]) == [] and f["has_boundary"]
    assert list(f["write_on_star"]) == [] and list(f["privilege_escalation"]) == []
    assert (
        list(f["trust_principals"]) == ["Service:lambda.amazonaws.com"] and list(f["non_lambda_trust"]) == []
    )
    source = f"arn:aws:iam::{ACCOUNT}:role/guide#inline/app"
    assert set(perms["source"]) == {source}
    dead = perms[perms["blocked_by_boundary"]]
    assert list(dead["action"]) == ["dynamodb:updateitem"]


def test_admin_role_with_wide_trust() -> None:
    roles = [_role("admin", attached=[ADMIN_ARN], trust=WIDE_TRUST, account="210987654321")]
    # AWS-managed documents are collected once, in whichever account listed them first
    docs = [_managed(ADMIN_ARN, policy(allow("*")))]
    perms, facts = _derive(roles, docs)
    f = facts["admin"]
    assert list(f["admin_policy_arns"]) == [ADMIN_ARN] and f["admin_like"]
    assert list(f["wildcard_actions"]) == [f"{ADMIN_ARN}: *"]
    assert list(f["write_on_star"]) == [ALL_ACTIONS]
    assert not f["has_boundary"] and list(f["dead_grants"]) == []
    assert list(f["trust_principals"]) == [
        "Service:lambda.amazonaws.com",
        "Service:ec2.amazonaws.com",
        "AWS:arn:aws:iam::111122223333:root",
    ]
    assert list(f["non_lambda_trust"]) == ["Service:ec2.amazonaws.com", "AWS:arn:aws:iam::111122223333:root"]
    assert perms[["action", "resource", "access_level"]].values.tolist() == [["*", "*", "Unknown"]]


def test_admin_policies_in_any_partition_only() -> None:
    gov = "arn:aws-us-gov:iam::aws:policy/PowerUserAccess"
    lookalike = f"arn:aws:iam::{ACCOUNT}:policy/AdministratorAccess"
    roles = [_role("gov", attached=[gov, lookalike])]
    docs = [_managed(gov, policy(allow("s3:GetObject"))), _managed(lookalike, policy(allow("s3:GetObject")))]
    _, facts = _derive(roles, docs)
    assert list(facts["gov"]["admin_policy_arns"]) == [gov]


def test_errors_stay_with_their_role() -> None:
    roles = [
        _role("broken", inline=["bad"], attached=[ADMIN_ARN], trust=WIDE_TRUST),
        _role("missing", attached=[f"arn:aws:iam::{ACCOUNT}:policy/never-collected"]),
        _role("badtrust", inline=["ok"], trust="{not json"),
        _role("fine", inline=["ok"]),
    ]
    docs = [
        _inline("broken", "bad", '{"Statement": [{"Effect": "Allow", "Action": 7, "Resource": "*"}]}'),
        _managed(ADMIN_ARN, policy(allow("*"))),
        _inline("badtrust", "ok", policy(allow("s3:*"))),
        _inline("fine", "ok", policy(allow("s3:*"))),
    ]
    perms, facts = _derive(roles, docs)
    broken = facts["broken"]
    assert "#inline/bad" in broken["analysis_error"] and "Action" in broken["analysis_error"]
    assert (
        not broken["admin_like"]
        and list(broken["wildcard_actions"]) == []
        and list(broken["write_on_star"]) == []
    )
    # facts that need no policy text are still there for LG-IAM-01 and LG-IAM-08
    assert list(broken["admin_policy_arns"]) == [ADMIN_ARN]
    assert "Service:ec2.amazonaws.com" in list(broken["non_lambda_trust"])
    assert "never-collected: policy document was not collected" in facts["missing"]["analysis_error"]
    assert facts["badtrust"]["analysis_error"].startswith("trust policy: ")
    assert list(facts["badtrust"]["wildcard_actions"]) == [
        f"arn:aws:iam::{ACCOUNT}:role/badtrust#inline/ok: s3:*"
    ]
    assert pd.isna(facts["fine"]["analysis_error"])
    assert set(perms["role_arn"]) == {
        f"arn:aws:iam::{ACCOUNT}:role/badtrust",
        f"arn:aws:iam::{ACCOUNT}:role/fine",
    }


def test_shared_documents_keep_each_roles_policy_keys() -> None:
    text = policy(allow("s3:*"), deny("s3:DeleteBucket"))
    roles = [_role("a", inline=["p"]), _role("b", inline=["p"], boundary=BOUNDARY_ARN)]
    docs = [_inline("a", "p", text), _inline("b", "p", text), _managed(BOUNDARY_ARN, GUIDE_BOUNDARY)]
    perms, facts = _derive(roles, docs)
    assert list(facts["a"]["wildcard_actions"]) == [f"arn:aws:iam::{ACCOUNT}:role/a#inline/p: s3:*"]
    assert list(facts["b"]["wildcard_actions"]) == [f"arn:aws:iam::{ACCOUNT}:role/b#inline/p: s3:*"]
    assert "s3:*" in list(facts["a"]["write_on_star"])[0] and list(facts["b"]["write_on_star"]) == []
    by_role = perms.groupby("role_arn")["source"].unique()
    assert {k: list(v) for k, v in by_role.items()} == {
        f"arn:aws:iam::{ACCOUNT}:role/a": [f"arn:aws:iam::{ACCOUNT}:role/a#inline/p"],
        f"arn:aws:iam::{ACCOUNT}:role/b": [f"arn:aws:iam::{ACCOUNT}:role/b#inline/p"],
    }


def test_blanket_deny_in_another_document_applies_to_rows() -> None:
    roles = [_role("r", inline=["grants", "guard"])]
    docs = [
        _inline("r", "grants", policy(allow(["iam:PassRole", "s3:GetObject"]))),
        _inline(
            "r",
            "guard",
            policy(deny("iam:*"), deny("s3:*", Condition={"Bool": {"aws:SecureTransport": "false"}})),
        ),
    ]
    perms, facts = _derive(roles, docs)
    assert perms[["action", "conditional"]].values.tolist() == [["s3:getobject", True]]
    assert list(facts["r"]["privilege_escalation"]) == []


def test_resource_scoped_deny_in_another_document() -> None:
    roles = [_role("r", inline=["grants", "guard"])]
    docs = [
        _inline("r", "grants", policy(allow("s3:*"))),
        _inline(
            "r", "guard", policy({"Effect": "Deny", "Action": "s3:*", "NotResource": "arn:aws:s3:::mine/*"})
        ),
    ]
    perms, facts = _derive(roles, docs)
    assert list(facts["r"]["write_on_star"]) == []  # confined to one bucket by the other document
    assert perms[["action", "resource"]].values.tolist() == [["s3:*", "arn:aws:s3:::mine/*"]]


def test_blanket_conditioned_deny_in_another_document_makes_facts_conditional() -> None:
    roles = [_role("r", inline=["grants", "guard"])]
    docs = [
        _inline("r", "grants", policy(allow(["s3:PutObject", "sts:AssumeRole"]))),
        _inline("r", "guard", policy(deny("*", Condition={"Bool": {"aws:SecureTransport": "false"}}))),
    ]
    _, facts = _derive(roles, docs)
    assert list(facts["r"]["write_on_star"]) == ["s3:PutObject (conditional)", "sts:AssumeRole (conditional)"]
    assert list(facts["r"]["privilege_escalation"]) == [
        "sts:AssumeRole on * (assume any role that trusts the account) (conditional)"
    ]


def test_empty_inputs_give_empty_typed_tables() -> None:
    perms, facts = _derive([], [])
    assert perms.empty and facts == {}


def test_role_without_identity_policies() -> None:
    roles = [_role("bare", boundary=BOUNDARY_ARN)]
    perms, facts = _derive(roles, [_managed(BOUNDARY_ARN, policy(allow("*")))])
    f = facts["bare"]
    assert perms.empty and pd.isna(f["analysis_error"])
    assert list(f["boundary_allows_iam"]) == ["iam:*", "kms:*"] and list(f["dead_grants"]) == []
    assert not f["admin_like"] and list(f["write_on_star"]) == []


def _bucket_policy(count: int, pattern: str, action: str | list[str] = "s3:*") -> str:
    return policy(allow(action, [pattern.format(i) for i in range(count)]))


def test_policies_at_iam_size_limits_are_analysed() -> None:
    # ~10,000 characters of inline policy against a boundary of overlapping patterns
    inline = _bucket_policy(360, "arn:aws:s3:::bucket-{:03d}/*", ["s3:GetObject", "s3:PutObject"])
    boundary = policy(allow("s3:*", [f"arn:aws:s3:::bucket-{j:02d}*" for j in range(100)]))
    roles = [_role("big", inline=["p"], boundary=BOUNDARY_ARN)]
    perms, facts = _derive(roles, [_inline("big", "p", inline), _managed(BOUNDARY_ARN, boundary)])
    assert pd.isna(facts["big"]["analysis_error"]) and list(facts["big"]["dead_grants"]) == []
    assert len(perms) == 720


def test_combinations_beyond_iam_limits_end_as_analysis_errors() -> None:
    inline = _bucket_policy(650, "arn:aws:s3:::b{}/*")
    boundary = _bucket_policy(700, "arn:aws:s3:::b{}*")
    roles = [_role("huge", inline=["p"], boundary=BOUNDARY_ARN), _role("fine", inline=["p"])]
    docs = [
        _inline("huge", "p", inline),
        _inline("fine", "p", policy(allow("s3:*"))),
        _managed(BOUNDARY_ARN, boundary),
    ]
    perms, facts = _derive(roles, docs)
    assert "too many resource patterns" in facts["huge"]["analysis_error"]
    assert pd.isna(facts["fine"]["analysis_error"]) and set(perms["role_arn"]) == {
        f"arn:aws:iam::{ACCOUNT}:role/fine"
    }


def test_only_aws_managed_documents_are_borrowed_from_another_account() -> None:
    """A document collected in one account stands in for another's only when AWS maintains it."""
    other = "210987654321"
    foreign = f"arn:aws:iam::{other}:policy/their-policy"
    readonly = "arn:aws:iam::aws:policy/ReadOnlyAccess"
    roles = [_role("borrows-customer", attached=[foreign]), _role("borrows-aws", attached=[readonly])]
    docs = [
        _managed(foreign, policy(allow("s3:GetObject")), account=other),
        _managed(readonly, policy(allow("s3:GetObject")), account=other),
    ]
    _, facts = _derive(roles, docs)
    assert "was not collected" in str(facts["borrows-customer"]["analysis_error"])
    assert pd.isna(facts["borrows-aws"]["analysis_error"])


def test_only_execution_roles_are_analysed_when_named() -> None:
    """SSO and service-linked roles no function uses are read, not analysed (issue 12, point 9)."""
    roles = [
        _role("exec", attached=[ADMIN_ARN]),
        _role("AWSReservedSSO_Admin_0123456789abcdef", attached=[ADMIN_ARN]),
    ]
    docs = [_managed(ADMIN_ARN, policy(allow("*")))]
    out = derive_role_tables(
        frame("roles", roles), frame("policy_documents", docs), [f"arn:aws:iam::{ACCOUNT}:role/exec"]
    )
    assert list(out["role_facts"]["role_arn"]) == [f"arn:aws:iam::{ACCOUNT}:role/exec"]
    assert set(out["role_permissions"]["role_arn"]) == {f"arn:aws:iam::{ACCOUNT}:role/exec"}
