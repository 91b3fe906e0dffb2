from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import boto3
import moto.iam.models
import pytest
from moto import mock_aws

from reporter.collectors import iam
from tests.collectors.helpers import (
    DEFAULT_ACCOUNT,
    RecordingClients,
    assert_calls_declared,
    assert_records_match_schemas,
    assume,
    stubbed,
)

BASIC = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}


def doc(action: str) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": "*"}]}


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


@pytest.fixture
def iam_moto(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """moto with only the one AWS-managed policy these tests attach (all 1,600 cost ~1.5 s)."""
    data = json.loads(moto.iam.models.aws_managed_policies_data)
    monkeypatch.setattr(
        moto.iam.models,
        "aws_managed_policies_data",
        json.dumps({"AWSLambdaBasicExecutionRole": data["AWSLambdaBasicExecutionRole"]}),
    )
    with mock_aws(config={"iam": {"load_aws_managed_policies": True}}):
        yield


@pytest.fixture
def world(iam_moto: None) -> dict[str, str]:
    client = boto3.client("iam")
    custom = client.create_policy(PolicyName="orders", Path="/app/", PolicyDocument=json.dumps(doc("s3:*")))
    custom_arn = custom["Policy"]["Arn"]
    client.create_policy_version(
        PolicyArn=custom_arn, PolicyDocument=json.dumps(doc("s3:GetObject")), SetAsDefault=True
    )
    boundary_arn = client.create_policy(PolicyName="boundary", PolicyDocument=json.dumps(doc("s3:Get*")))[
        "Policy"
    ]["Arn"]
    client.create_policy(PolicyName="unused", PolicyDocument=json.dumps(doc("ec2:*")))
    role_arn = client.create_role(
        RoleName="fn",
        Path="/lambda/",
        AssumeRolePolicyDocument=json.dumps(TRUST),
        PermissionsBoundary=boundary_arn,
    )["Role"]["Arn"]
    client.attach_role_policy(RoleName="fn", PolicyArn=custom_arn)
    client.attach_role_policy(RoleName="fn", PolicyArn=BASIC)
    client.put_role_policy(RoleName="fn", PolicyName="admin", PolicyDocument=json.dumps(doc("*")))
    client.create_role(RoleName="plain", AssumeRolePolicyDocument=json.dumps(TRUST))
    return {"role": role_arn, "custom": custom_arn, "boundary": boundary_arn}


def test_roles_and_their_documents(world: dict[str, str]) -> None:
    clients = RecordingClients()
    result = iam.collect(clients.context())

    assert_records_match_schemas(result)
    assert result.issues == []
    roles = {r["role_name"]: r for r in result.records["roles"]}
    assert set(roles) == {"fn", "plain"}
    fn = roles["fn"]
    assert fn["role_arn"] == world["role"] == f"arn:aws:iam::{DEFAULT_ACCOUNT}:role/lambda/fn"
    assert fn["path"] == "/lambda/"
    assert fn["trust_policy"] == canonical(TRUST)
    assert fn["permissions_boundary_arn"] == world["boundary"]
    assert sorted(fn["attached_policy_arns"]) == sorted([world["custom"], BASIC])
    assert fn["inline_policy_names"] == ["admin"]
    assert fn["create_date"].tzinfo is not None
    assert roles["plain"]["permissions_boundary_arn"] is None and roles["plain"]["attached_policy_arns"] == []

    documents = {d["policy_key"]: d for d in result.records["policy_documents"]}
    inline_key = f"{world['role']}#inline/admin"
    # only what some role uses: the unattached policy is not recorded
    assert set(documents) == {inline_key, world["custom"], world["boundary"], BASIC}
    inline = documents[inline_key]
    assert (inline["kind"], inline["role_arn"], inline["policy_arn"], inline["policy_name"]) == (
        "inline",
        world["role"],
        None,
        "admin",
    )
    assert inline["document"] == canonical(doc("*"))
    custom = documents[world["custom"]]
    assert (custom["kind"], custom["policy_name"], custom["version_id"]) == (
        "customer_managed",
        "orders",
        "v2",
    )
    assert custom["document"] == canonical(doc("s3:GetObject"))  # the default version, not v1
    assert custom["document_sha256"] == hashlib.sha256(custom["document"].encode()).hexdigest()
    basic = documents[BASIC]
    assert (basic["kind"], basic["policy_name"]) == ("aws_managed", "AWSLambdaBasicExecutionRole")
    assert "logs:PutLogEvents" in basic["document"]

    assert_calls_declared(clients.calls, iam.COLLECTOR)
    assert clients.calls == ["iam:GetAccountAuthorizationDetails"]


def test_policies_missing_from_the_details_are_fetched(world: dict[str, str]) -> None:
    clients = RecordingClients()
    client = clients("iam")

    def drop_boundary(parsed: dict[str, Any], **_: Any) -> None:
        parsed["Policies"] = [p for p in parsed.get("Policies", []) if p["Arn"] != world["boundary"]]

    client.meta.events.register("after-call.iam.GetAccountAuthorizationDetails", drop_boundary)
    result = iam.collect(clients.context())

    assert_records_match_schemas(result)
    boundary = {d["policy_key"]: d for d in result.records["policy_documents"]}[world["boundary"]]
    assert (boundary["policy_name"], boundary["version_id"]) == ("boundary", "v1")
    assert boundary["document"] == canonical(doc("s3:Get*"))
    assert clients.calls == ["iam:GetAccountAuthorizationDetails", "iam:GetPolicy", "iam:GetPolicyVersion"]
    assert_calls_declared(clients.calls, iam.COLLECTOR)


def test_accounts_are_isolated(iam_moto: None) -> None:
    other = assume("222222222222")
    boto3.client("iam").create_role(RoleName="mine", AssumeRolePolicyDocument=json.dumps(TRUST))
    other.client("iam").create_role(RoleName="theirs", AssumeRolePolicyDocument=json.dumps(TRUST))
    mine = iam.collect(RecordingClients().context())
    theirs = iam.collect(RecordingClients(other).context("222222222222"))
    assert [r["role_name"] for r in mine.records["roles"]] == ["mine"]
    assert [r["role_arn"] for r in theirs.records["roles"]] == ["arn:aws:iam::222222222222:role/theirs"]


def test_paginated_details_undecodable_documents_and_failed_fetches() -> None:
    ctx, stub = stubbed("iam")
    role_arn = f"arn:aws:iam::{DEFAULT_ACCOUNT}:role/fn"
    listed = f"arn:aws:iam::{DEFAULT_ACCOUNT}:policy/listed"
    missing = f"arn:aws:iam::{DEFAULT_ACCOUNT}:policy/missing"
    role = {
        "Path": "/",
        "RoleName": "fn",
        "RoleId": "AROAEXAMPLEEXAMPLE01",
        "Arn": role_arn,
        "CreateDate": "2026-01-01T00:00:00Z",
        # on the wire IAM documents are URL-encoded JSON; botocore decodes what it can
        "AssumeRolePolicyDocument": quote(json.dumps(TRUST)),
        "RolePolicyList": [{"PolicyName": "broken", "PolicyDocument": "%7B%22Version%22%3A"}],
        "AttachedManagedPolicies": [{"PolicyName": "listed", "PolicyArn": listed}],
        "PermissionsBoundary": {
            "PermissionsBoundaryType": "PermissionsBoundaryPolicy",
            "PermissionsBoundaryArn": missing,
        },
    }
    policy = {
        "Arn": listed,  # no PolicyName, as moto answers
        "DefaultVersionId": "v3",
        "PolicyVersionList": [
            {"Document": quote(json.dumps(doc("sqs:*"))), "VersionId": "v1", "IsDefaultVersion": False},
            {
                "Document": quote(json.dumps(doc("sqs:SendMessage"))),
                "VersionId": "v3",
                "IsDefaultVersion": True,
            },
        ],
    }
    filters = {"Filter": ["Role", "LocalManagedPolicy", "AWSManagedPolicy"]}
    stub.add_response(
        "get_account_authorization_details",
        {"RoleDetailList": [role], "IsTruncated": True, "Marker": "m"},
        filters,
    )
    stub.add_response(
        "get_account_authorization_details",
        {"Policies": [policy], "IsTruncated": False},
        {**filters, "Marker": "m"},
    )
    stub.add_client_error("get_policy", "NoSuchEntity", "gone", 404, expected_params={"PolicyArn": missing})

    result = iam.collect(ctx)

    stub.assert_no_pending_responses()
    assert_records_match_schemas(result)
    [issue] = result.issues
    assert (issue.tables, issue.error_code, issue.resource_arn) == (
        ("policy_documents",),
        "NoSuchEntity",
        missing,
    )
    [row] = result.records["roles"]
    assert row["trust_policy"] == canonical(TRUST)
    documents = {d["policy_key"]: d for d in result.records["policy_documents"]}
    assert set(documents) == {f"{role_arn}#inline/broken", listed}
    assert documents[f"{role_arn}#inline/broken"]["document"] == "%7B%22Version%22%3A"  # kept raw
    assert documents[listed]["policy_name"] == "listed"  # derived from the ARN
    assert (documents[listed]["version_id"], documents[listed]["document"]) == (
        "v3",
        canonical(doc("sqs:SendMessage")),
    )


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ({"b": 1, "a": [1, 2]}, '{"a":[1,2],"b":1}'),
        ('{"b": 1, "a": 2}', '{"a":2,"b":1}'),
        (quote('{"b": 1, "a": 2}'), '{"a":2,"b":1}'),
        ("%7Bbroken", "%7Bbroken"),
        (None, None),
    ],
)
def test_document_text(given: Any, stored: str | None) -> None:
    assert iam.document_text(given) == stored


def test_policy_name_from_arn() -> None:
    assert iam.policy_name_from_arn("arn:aws:iam::aws:policy/service-role/AWSLambdaRole") == "AWSLambdaRole"
    assert iam.policy_name_from_arn(f"arn:aws:iam::{DEFAULT_ACCOUNT}:policy/x") == "x"
