from __future__ import annotations

from typing import Any

import pytest

from reporter.iam.public_access import statement_is_public

ACCOUNT = "123456789012"


def allow(principal: Any, condition: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Sid": "s",
        "Effect": "Allow",
        "Principal": principal,
        "Action": "lambda:InvokeFunction",
        "Resource": f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:f",
    }
    if condition is not None:
        statement["Condition"] = condition
    statement.update(extra)
    return statement


@pytest.mark.parametrize(
    "principal",
    ["*", {"AWS": "*"}, {"AWS": ["arn:aws:iam::111122223333:root", "*"]}, {"Service": "s3.amazonaws.com"}],
)
def test_open_principals_without_conditions_are_public(principal: Any) -> None:
    assert statement_is_public(allow(principal))


@pytest.mark.parametrize(
    "principal",
    [
        {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
        {"AWS": ACCOUNT},
        {"AWS": [f"arn:aws:iam::{ACCOUNT}:role/caller", "arn:aws:iam::111122223333:root"]},
        None,
    ],
)
def test_named_principals_are_not_public(principal: Any) -> None:
    assert not statement_is_public(allow(principal))


def test_deny_is_never_public() -> None:
    assert not statement_is_public({**allow("*"), "Effect": "Deny"})


def test_allow_with_not_principal_is_public() -> None:
    statement = allow(None)
    del statement["Principal"]
    statement["NotPrincipal"] = {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}
    assert statement_is_public(statement)


@pytest.mark.parametrize(
    "condition",
    [
        {"StringEquals": {"AWS:SourceAccount": ACCOUNT}},  # keys match case-insensitively
        {"StringEquals": {"aws:sourceaccount": ACCOUNT}},
        {"ArnLike": {"AWS:SourceArn": f"arn:aws:execute-api:us-east-1:{ACCOUNT}:abc123/*/GET/orders"}},
        {"ArnEquals": {"aws:SourceArn": f"arn:aws:sns:us-east-1:{ACCOUNT}:topic"}},
        {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}},
        {"StringLike": {"aws:PrincipalOrgPaths": "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/*"}},
        {"StringEquals": {"aws:PrincipalAccount": [ACCOUNT, "111122223333"]}},
        {"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/*"}},
        {"StringEquals": {"aws:SourceOwner": ACCOUNT}},
        {"StringEquals": {"lambda:EventSourceToken": "amzn1.ask.skill.1234"}},
        {"ForAnyValue:StringEquals": {"aws:SourceAccount": ACCOUNT}},
        # an unrelated condition next to a pin still leaves it pinned
        {"StringEquals": {"lambda:FunctionUrlAuthType": "NONE", "aws:SourceAccount": ACCOUNT}},
    ],
)
def test_pinning_conditions_make_wildcard_private(condition: dict[str, Any]) -> None:
    assert not statement_is_public(allow("*", condition))
    assert not statement_is_public(allow({"Service": "sns.amazonaws.com"}, condition))


@pytest.mark.parametrize(
    "condition",
    [
        {"StringLike": {"aws:SourceAccount": "*"}},  # wildcard-only values pin nothing
        {"StringLike": {"aws:SourceAccount": [ACCOUNT, "*"]}},  # any value may match
        {"ArnLike": {"aws:SourceArn": "arn:aws:execute-api:us-east-1:*:*"}},  # any account
        {"ArnLike": {"aws:SourceArn": "arn:aws:s3:::my-bucket"}},  # bucket ARNs name no account
        {"StringNotEquals": {"aws:SourceAccount": ACCOUNT}},  # everyone but one account
        {"StringEqualsIfExists": {"aws:SourceAccount": ACCOUNT}},  # absent key passes
        {"Null": {"aws:SourceAccount": "false"}},  # any account, as long as there is one
        {"ForAllValues:StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}},  # empty key passes
        {"StringLike": {"aws:PrincipalOrgPaths": "*/r-ab12/*"}},
        {"StringEquals": {"lambda:FunctionUrlAuthType": "NONE"}},  # not a pinning key
        {"StringEquals": {"aws:SourceAccount": []}},
    ],
)
def test_conditions_that_pin_nothing_leave_it_public(condition: dict[str, Any]) -> None:
    assert statement_is_public(allow("*", condition))


def test_s3_principal_needs_the_source_account() -> None:
    bucket_only = {"ArnLike": {"AWS:SourceArn": "arn:aws:s3:::my-bucket"}}
    with_account = {**bucket_only, "StringEquals": {"AWS:SourceAccount": ACCOUNT}}
    assert statement_is_public(allow({"Service": "s3.amazonaws.com"}, bucket_only))
    assert not statement_is_public(allow({"Service": "s3.amazonaws.com"}, with_account))


def test_malformed_condition_pins_nothing() -> None:
    assert statement_is_public(allow("*", {"StringEquals": "aws:SourceAccount"}))
    assert statement_is_public(allow("*", "not a condition"))  # type: ignore[arg-type]
