"""Parsing policy documents: every valid shape, and hostile input ending as PolicyError only."""

from __future__ import annotations

import json
from typing import Any

import pytest

from reporter.iam.policy import MAX_DOCUMENT_CHARS, MAX_STATEMENTS, PolicyError, parse_policy
from tests.iam.documents import GUIDE_BOUNDARY, GUIDE_ROLE_POLICY


def _doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def test_guide_documents_parse() -> None:
    role = parse_policy(GUIDE_ROLE_POLICY)
    assert [s.sid for s in role.statements] == [
        "AllowLogging",
        "AllowS3ObjectAccess",
        "AllowDynamoDBItemAccess",
    ]
    assert role.statements[2].actions == ("dynamodb:updateitem", "dynamodb:getitem")
    boundary = parse_policy(GUIDE_BOUNDARY)
    deny = boundary.statements[2]
    assert (deny.effect, deny.actions, deny.resources) == ("Deny", ("iam:*", "kms:*"), ("*",))


def test_json_string_and_mapping_give_the_same_statements() -> None:
    doc = _doc({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"})
    assert parse_policy(doc) == parse_policy(json.dumps(doc))


def test_statement_as_single_object_and_strings_or_lists() -> None:
    single = parse_policy({"Statement": {"Effect": "Allow", "Action": "S3:GetObject", "Resource": "*"}})
    listed = parse_policy({"Statement": [{"Effect": "Allow", "Action": ["s3:getobject"], "Resource": ["*"]}]})
    assert single.statements == listed.statements
    assert single.version is None
    assert single.statements[0].actions == ("s3:getobject",)  # actions are case-insensitive: lowered


def test_not_elements_and_resources_keep_their_case() -> None:
    st = parse_policy(
        _doc({"Effect": "Deny", "NotAction": ["iam:*", "kms:*"], "NotResource": "arn:aws:s3:::Bucket/*"})
    ).statements[0]
    assert st.not_action and st.not_resource
    assert st.actions == ("iam:*", "kms:*")
    assert st.resources == ("arn:aws:s3:::Bucket/*",)


def test_principals_of_every_kind() -> None:
    trust = parse_policy(
        _doc(
            {
                "Effect": "Allow",
                "Principal": {
                    "Service": ["lambda.amazonaws.com", "ec2.amazonaws.com"],
                    "AWS": "arn:aws:iam::111122223333:root",
                    "Federated": "cognito-identity.amazonaws.com",
                },
                "Action": "sts:AssumeRole",
            },
            {"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"},
        )
    )
    assert trust.statements[0].principals == (
        ("Service", "lambda.amazonaws.com"),
        ("Service", "ec2.amazonaws.com"),
        ("AWS", "arn:aws:iam::111122223333:root"),
        ("Federated", "cognito-identity.amazonaws.com"),
    )
    assert trust.statements[1].principals == (("AWS", "*"),)
    assert trust.statements[0].resources is None


def test_condition_marks_the_statement_conditional() -> None:
    conditioned = _doc(
        {
            "Effect": "Allow",
            "Action": "s3:*",
            "Resource": "*",
            "Condition": {
                "Bool": {"aws:SecureTransport": True},
                "NumericLessThan": {"s3:max-keys": [10, "20"]},
            },
        }
    )
    assert parse_policy(conditioned).statements[0].conditional
    empty = _doc({"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Condition": {}})
    assert not parse_policy(empty).statements[0].conditional


def test_unknown_but_well_formed_actions_are_kept() -> None:
    # A newer action than the bundled database, or a typo IAM itself accepts: not an error.
    st = parse_policy(_doc({"Effect": "Allow", "Action": "newservice:DoThing", "Resource": "*"})).statements[
        0
    ]
    assert st.actions == ("newservice:dothing",)


HOSTILE: list[tuple[str, object]] = [
    ("invalid JSON", '{"Statement": [}'),
    ("list at top", "[]"),
    ("list at top (decoded)", [{"Effect": "Allow"}]),
    ("number at top", "42"),
    ("null", None),
    ("bytes that are not a policy", b"\xff\xfe"),
    ("empty string", ""),
    ("10 MB document", '{"Statement": [' + " " * 10_000_000 + "]}"),
    ("1000-deep nesting", "[" * 1000 + "]" * 1000),
    ("1000-deep nesting in a mapping", {"Statement": json.loads("[" * 900 + "]" * 900)}),
    ("100000-deep nesting", "[" * 100_000),
    ("huge integer", '{"Version": ' + "9" * 5000 + "}"),
    ("no Statement", {"Version": "2012-10-17"}),
    ("bad Version", {"Version": "2020-01-01", "Statement": []}),
    ("unknown top-level element", {"Statement": [], "Extra": 1}),
    ("statement not an object", {"Statement": ["Allow"]}),
    ("lower-case effect", _doc({"Effect": "allow", "Action": "s3:*", "Resource": "*"})),
    ("missing effect", _doc({"Action": "s3:*", "Resource": "*"})),
    ("number where action expected", _doc({"Effect": "Allow", "Action": 7, "Resource": "*"})),
    ("number in action list", _doc({"Effect": "Allow", "Action": ["s3:GetObject", 7], "Resource": "*"})),
    ("number where resource expected", _doc({"Effect": "Allow", "Action": "s3:*", "Resource": 3.5})),
    ("null resource", _doc({"Effect": "Allow", "Action": "s3:*", "Resource": None})),
    ("object where action expected", _doc({"Effect": "Allow", "Action": {"a": 1}, "Resource": "*"})),
    ("empty action list", _doc({"Effect": "Allow", "Action": [], "Resource": "*"})),
    ("malformed action", _doc({"Effect": "Allow", "Action": "s3 GetObject", "Resource": "*"})),
    ("action without service", _doc({"Effect": "Allow", "Action": "GetObject", "Resource": "*"})),
    (
        "both Action and NotAction",
        _doc({"Effect": "Allow", "Action": "a:b", "NotAction": "a:c", "Resource": "*"}),
    ),
    ("neither Action nor NotAction", _doc({"Effect": "Allow", "Resource": "*"})),
    ("unknown statement element", _doc({"Effect": "Allow", "Action": "a:b", "Resource": "*", "Foo": 1})),
    ("lower-case element name", _doc({"effect": "Allow", "Action": "a:b", "Resource": "*"})),
    (
        "condition not an object",
        _doc({"Effect": "Allow", "Action": "a:b", "Resource": "*", "Condition": "x"}),
    ),
    (
        "condition value object",
        _doc({"Effect": "Allow", "Action": "a:b", "Resource": "*", "Condition": {"A": {"k": {}}}}),
    ),
    ("principal of unknown type", _doc({"Effect": "Allow", "Action": "a:b", "Principal": {"Bogus": "x"}})),
    ("principal as number", _doc({"Effect": "Allow", "Action": "a:b", "Principal": 5})),
    ("non-string key", {"Statement": [], 1: "x"}),
    ("set in a mapping", {"Statement": [{"Effect": "Allow", "Action": {"a:b"}, "Resource": "*"}]}),
    (
        "too many statements",
        {"Statement": [{"Effect": "Allow", "Action": "a:b", "Resource": "*"}] * (MAX_STATEMENTS + 1)},
    ),
    ("resource too long", _doc({"Effect": "Allow", "Action": "a:b", "Resource": "a" * 10_000})),
    ("object that is not a mapping", object()),
]


@pytest.mark.parametrize(("name", "document"), HOSTILE, ids=[name for name, _ in HOSTILE])
def test_hostile_documents_raise_policy_error_only(name: str, document: object) -> None:
    with pytest.raises(PolicyError) as caught:
        parse_policy(document)
    message = str(caught.value)
    assert message and "\n" not in message and len(message) < 200


def test_size_limit_is_checked_before_decoding() -> None:
    text = json.dumps({"Statement": [], "Id": "x" * MAX_DOCUMENT_CHARS})
    with pytest.raises(PolicyError, match="larger than"):
        parse_policy(text)


def test_too_much_text_is_refused_whatever_the_form() -> None:
    big = {"Statement": [{"Effect": "Allow", "Action": "a:b", "Resource": ["r" * 4000] * 6}]}
    for document in (big, json.dumps(big)):
        with pytest.raises(PolicyError, match="characters of text"):
            parse_policy(document)


def test_largest_policy_iam_accepts_is_not_refused() -> None:
    # 10,240 characters: the most IAM allows for a role's inline policies together
    resources = [f"arn:aws:s3:::bucket-{i:05d}/*" for i in range(370)]
    document = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": resources}],
        },
        indent=4,
    )
    assert len("".join(document.split())) > 10_000
    assert len(parse_policy(document).statements[0].resources or ()) == 370
