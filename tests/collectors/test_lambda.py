from __future__ import annotations

import json
from typing import Any

import boto3
import botocore.exceptions
import pytest
from botocore.stub import Stubber

from reporter.collectors import lambda_
from reporter.collectors.base import Issue
from tests.collectors.helpers import (
    DEFAULT_ACCOUNT,
    REGION,
    RecordingClients,
    assert_calls_declared,
    assert_records_match_schemas,
    assume,
    lambda_role,
    stubbed,
    zip_bytes,
)

SECRET_VALUE = "hunter2-do-not-store"
TOKEN_VALUE = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
PLAIN_VALUE = "orders-table-value"
ARN = f"arn:aws:lambda:{REGION}:{DEFAULT_ACCOUNT}:function:"


def make_function(session: boto3.Session, name: str, role: str, **extra: Any) -> str:
    client = session.client("lambda", region_name=REGION)
    return client.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role,
        Handler="handler.handler",
        Code={"ZipFile": zip_bytes()},
        **extra,
    )["FunctionArn"]


@pytest.fixture
def world(moto: None) -> dict[str, str]:
    """Two functions in the default account: one exposed and in a VPC, one bare."""
    session = boto3.Session(region_name=REGION)
    role = lambda_role(session)
    ec2 = session.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName="fn", Description="fn", VpcId=vpc)["GroupId"]
    exposed = make_function(
        session,
        "exposed",
        role,
        Environment={
            "Variables": {"DB_PASSWORD": SECRET_VALUE, "SETTING": TOKEN_VALUE, "TABLE": PLAIN_VALUE}
        },
        Tags={"CostControl": "HighRisk"},
        VpcConfig={"SubnetIds": [subnet], "SecurityGroupIds": [group]},
        TracingConfig={"Mode": "Active"},
        KMSKeyArn=f"arn:aws:kms:{REGION}:{DEFAULT_ACCOUNT}:key/abc",
    )
    bare = make_function(session, "bare", role)
    client = session.client("lambda")
    client.put_function_concurrency(FunctionName="exposed", ReservedConcurrentExecutions=5)
    client.add_permission(
        FunctionName="exposed", StatementId="public", Action="lambda:InvokeFunction", Principal="*"
    )
    client.add_permission(
        FunctionName="exposed",
        StatementId="bucket",
        Action="lambda:InvokeFunction",
        Principal="s3.amazonaws.com",
        SourceArn="arn:aws:s3:::uploads",
        SourceAccount=DEFAULT_ACCOUNT,
    )
    return {"exposed": exposed, "bare": bare, "subnet": subnet, "group": group, "role": role}


def by_key(records: list[dict[str, Any]], key: str) -> dict[Any, dict[str, Any]]:
    return {r[key]: r for r in records}


def test_moto_functions_policies_and_the_gaps_as_issues(world: dict[str, str]) -> None:
    clients = RecordingClients()
    result = lambda_.collect(clients.context())

    assert_records_match_schemas(result)
    functions = by_key(result.records["functions"], "name")
    assert set(functions) == {"exposed", "bare"}
    exposed, bare = functions["exposed"], functions["bare"]
    assert exposed["function_arn"] == world["exposed"] == ARN + "exposed"
    assert exposed["subnet_ids"] == [world["subnet"]]
    assert exposed["security_group_ids"] == [world["group"]]
    assert exposed["vpc_id"] == "vpc-123abc"  # what moto reports; the rules derive the real one from subnets
    assert bare["vpc_id"] is None and bare["subnet_ids"] == []
    assert exposed["env_var_names"] == ["DB_PASSWORD", "SETTING", "TABLE"]
    assert exposed["secret_env_var_names"] == ["DB_PASSWORD", "SETTING"]
    assert bare["env_var_names"] == [] and bare["secret_env_var_names"] == []
    assert exposed["tags"] == {"CostControl": "HighRisk"} and bare["tags"] == {}
    assert exposed["reserved_concurrency"] == 5 and bare["reserved_concurrency"] is None
    assert exposed["tracing_mode"] == "Active"
    assert exposed["kms_key_arn"].endswith(":key/abc")
    assert (exposed["runtime"], exposed["package_type"], exposed["architectures"]) == (
        "python3.12",
        "Zip",
        ["x86_64"],
    )
    assert exposed["role_arn"] == world["role"]
    assert exposed["memory_mb"] == 128 and exposed["timeout_s"] == 3 and exposed["code_size"] > 0

    policies = by_key(result.records["function_policies"], "sid")
    assert set(policies) == {"public", "bucket"}
    # the collector stores the statement and leaves the judgement to the judge step
    assert all(p.get("is_public") is None for p in policies.values())
    public = json.loads(policies["public"]["statement"])
    assert (public["Sid"], public["Effect"], public["Principal"]) == ("public", "Allow", "*")
    assert public["Action"] == "lambda:InvokeFunction"
    assert policies["public"]["principal"] == '"*"'
    assert policies["public"]["action"] == '"lambda:InvokeFunction"'
    assert policies["public"]["condition"] is None
    assert json.loads(policies["bucket"]["statement"])["Principal"] == {"Service": "s3.amazonaws.com"}
    assert policies["bucket"]["principal"] == '{"Service":"s3.amazonaws.com"}'
    assert json.loads(policies["bucket"]["condition"])["StringEquals"] == {
        "AWS:SourceAccount": DEFAULT_ACCOUNT
    }

    # moto 5.2.5 answers 404 "Not yet implemented" for these two: contained, scoped Issues;
    # neither function has a published version, so provisioned concurrency is not asked for
    issues = {(i.tables, i.resource_arn) for i in result.issues}
    assert issues == {
        (("function_urls",), world["exposed"]),
        (("function_urls",), world["bare"]),
        (("account_concurrency",), None),
    }
    assert {i.error_code for i in result.issues} == {"HTTP404"}
    assert "account_concurrency" not in result.records

    assert_calls_declared(clients.calls, lambda_.COLLECTOR)
    assert clients.calls.count("lambda:ListFunctions") == 1
    assert clients.calls.count("lambda:GetAccountSettings") == 1
    per_function = [
        c for c in clients.calls if c not in ("lambda:ListFunctions", "lambda:GetAccountSettings")
    ]
    # four calls per function without versions or aliases (issue 12 added ListAliases; the listing
    # names the versions, and provisioned concurrency is not asked for without one)
    assert len(per_function) == 2 * 4


def test_environment_values_never_leave_the_collector(world: dict[str, str]) -> None:
    result = lambda_.collect(RecordingClients().context())
    text = repr(result)
    for value in (SECRET_VALUE, TOKEN_VALUE, PLAIN_VALUE):
        assert value not in text


def test_accounts_are_isolated(moto: None) -> None:
    sessions = {DEFAULT_ACCOUNT: boto3.Session(region_name=REGION), "222222222222": assume("222222222222")}
    for account, session in sessions.items():
        make_function(session, f"fn-{account}", lambda_role(session))
    for account, session in sessions.items():
        result = lambda_.collect(RecordingClients(session).context(account))
        rows = result.records["functions"]
        assert [r["name"] for r in rows] == [f"fn-{account}"]
        assert rows[0]["function_arn"].split(":")[4] == account


# --- Stubber: what moto lacks, pagination, failures at chosen calls ------------------------------


def config(name: str, **extra: Any) -> dict[str, Any]:
    return {
        "FunctionName": name,
        "FunctionArn": ARN + name,
        "Runtime": "python3.12",
        "Role": f"arn:aws:iam::{DEFAULT_ACCOUNT}:role/{name}",
        "MemorySize": 256,
        "Timeout": 30,
        "CodeSize": 2048,
        "LastModified": "2026-11-01T10:00:00.000+0000",
        "PackageType": "Zip",
        "Architectures": ["arm64"],
        **extra,
    }


ALL = {"FunctionVersion": "ALL"}


def version(name: str, number: str = "1") -> dict[str, Any]:
    """A published version's entry in ``ListFunctions(FunctionVersion=ALL)``."""
    return config(name, Version=number, FunctionArn=ARN + f"{name}:{number}")


def queue_function(
    stub: Stubber,
    name: str,
    *,
    get: dict[str, Any] | None = None,
    policy: dict[str, Any] | None = None,
    urls: list[dict[str, Any]] | None = None,
    provisioned: list[dict[str, Any]] | None = None,
    qualified: dict[str, dict[str, Any] | None] | None = None,
) -> None:
    """The per-function answers, in the collector's order.

    ``qualified``: published versions (digits: the listing must name them) and aliases (names),
    each with its own policy or None. Provisioned concurrency is asked for only with a version.
    """
    params = {"FunctionName": name}
    stub.add_response("get_function", get or {"Configuration": config(name)}, params)
    queue_policy(stub, name, policy)
    qualified = qualified or {}
    versions = [q for q in qualified if q.isdigit()]
    aliases = [q for q in qualified if not q.isdigit()]
    stub.add_response(
        "list_aliases",
        {"Aliases": [{"Name": a, "AliasArn": f"{ARN}{name}:{a}", "FunctionVersion": "1"} for a in aliases]},
        params,
    )
    for q in (*versions, *aliases):
        queue_policy(stub, name, qualified[q], q)
    stub.add_response("list_function_url_configs", {"FunctionUrlConfigs": urls or []}, params)
    if versions:
        stub.add_response(
            "list_provisioned_concurrency_configs",
            {"ProvisionedConcurrencyConfigs": provisioned or []},
            params,
        )


def queue_policy(
    stub: Stubber, name: str, policy: dict[str, Any] | None, qualifier: str | None = None
) -> None:
    params = {"FunctionName": name, **({"Qualifier": qualifier} if qualifier else {})}
    if policy is None:
        stub.add_client_error(
            "get_policy", "ResourceNotFoundException", "no policy", 404, expected_params=params
        )
    else:
        stub.add_response("get_policy", {"Policy": json.dumps(policy), "RevisionId": "r1"}, params)


def queue_no_qualifiers(stub: Stubber, name: str) -> None:
    stub.add_response("list_aliases", {"Aliases": []}, {"FunctionName": name})


def account_settings(limit: int = 1000, unreserved: int = 900) -> dict[str, Any]:
    return {"AccountLimit": {"ConcurrentExecutions": limit, "UnreservedConcurrentExecutions": unreserved}}


def test_full_call_plan_across_list_pages() -> None:
    ctx, stub = stubbed("lambda")
    stub.add_response("list_functions", {"Functions": [config("a"), version("a")], "NextMarker": "m1"}, ALL)
    stub.add_response(
        "list_functions",
        {"Functions": [config("b", PackageType="Image")]},
        {**ALL, "Marker": "m1"},
    )
    queue_function(
        stub,
        "a",
        get={
            "Configuration": config(
                "a",
                Layers=[{"Arn": f"arn:aws:lambda:{REGION}:{DEFAULT_ACCOUNT}:layer:deps:3"}],
                DeadLetterConfig={"TargetArn": f"arn:aws:sqs:{REGION}:{DEFAULT_ACCOUNT}:dlq"},
                SnapStart={"ApplyOn": "PublishedVersions", "OptimizationStatus": "On"},
            ),
            "Tags": {"LatencyCritical": "true"},
            "Concurrency": {"ReservedConcurrentExecutions": 7},
        },
        urls=[
            {
                "FunctionUrl": "https://abcdefghij.lambda-url.us-east-1.on.aws/",
                "FunctionArn": ARN + "a",
                "AuthType": "NONE",
                "Cors": {"AllowOrigins": ["*"]},
                "CreationTime": "2026-11-01T10:00:00Z",
                "LastModifiedTime": "2026-11-01T10:00:00Z",
            },
            {
                "FunctionUrl": "https://klmnopqrst.lambda-url.us-east-1.on.aws/",
                "FunctionArn": ARN + "a:live",
                "AuthType": "AWS_IAM",
                "CreationTime": "2026-11-01T10:00:00Z",
                "LastModifiedTime": "2026-11-01T10:00:00Z",
            },
        ],
        provisioned=[
            {
                "FunctionArn": ARN + "a:live",
                "RequestedProvisionedConcurrentExecutions": 4,
                "AllocatedProvisionedConcurrentExecutions": 2,
                "AvailableProvisionedConcurrentExecutions": 2,
                "Status": "IN_PROGRESS",
                "LastModified": "2026-11-01T10:00:00Z",
            }
        ],
        qualified={"1": None},
    )
    queue_function(
        stub,
        "b",
        get={
            "Configuration": config("b", PackageType="Image"),
            "Concurrency": {"ReservedConcurrentExecutions": 3},
        },
    )
    stub.add_response("get_account_settings", account_settings(1000, 990), {})

    result = lambda_.collect(ctx)

    stub.assert_no_pending_responses()
    assert_records_match_schemas(result)
    assert result.issues == []
    functions = by_key(result.records["functions"], "name")
    assert set(functions) == {"a", "b"}  # the second page was read
    a = functions["a"]
    assert a["layers"] == [f"arn:aws:lambda:{REGION}:{DEFAULT_ACCOUNT}:layer:deps:3"]
    assert a["dead_letter_target"].endswith(":dlq")
    assert a["snap_start"] == "PublishedVersions"
    assert a["architectures"] == ["arm64"] and a["memory_mb"] == 256 and a["timeout_s"] == 30
    assert functions["b"]["package_type"] == "Image" and functions["b"]["tags"] == {}
    urls = by_key(result.records["function_urls"], "url")
    assert {(u["function_arn"], u["qualifier"], u["auth_type"]) for u in urls.values()} == {
        (ARN + "a", None, "NONE"),
        (ARN + "a", "live", "AWS_IAM"),
    }
    assert urls["https://abcdefghij.lambda-url.us-east-1.on.aws/"]["cors_allow_origins"] == ["*"]
    assert urls["https://klmnopqrst.lambda-url.us-east-1.on.aws/"]["cors_allow_origins"] == []
    [pc] = result.records["provisioned_concurrency"]
    assert (pc["function_arn"], pc["qualifier"], pc["requested"], pc["allocated"], pc["status"]) == (
        ARN + "a",
        "live",
        4,
        2,
        "IN_PROGRESS",
    )
    [account] = result.records["account_concurrency"]
    assert (account["concurrency_limit"], account["unreserved_concurrency"], account["reserved_total"]) == (
        1000,
        990,
        10,
    )


def test_list_functions_failing_on_page_two_raises() -> None:
    ctx, stub = stubbed("lambda")
    stub.add_response("list_functions", {"Functions": [config("a")], "NextMarker": "m1"}, ALL)
    stub.add_client_error(
        "list_functions",
        "TooManyRequestsException",
        "slow down",
        429,
        expected_params={**ALL, "Marker": "m1"},
    )
    with pytest.raises(botocore.exceptions.ClientError):
        lambda_.collect(ctx)
    stub.assert_no_pending_responses()  # and no per-function call was made on the partial list


def test_failing_get_function_keeps_the_listed_row_and_the_other_tables() -> None:
    ctx, stub = stubbed("lambda")
    stub.add_response("list_functions", {"Functions": [config("a"), config("b")]}, ALL)
    stub.add_client_error(
        "get_function", "AccessDeniedException", "denied", 403, expected_params={"FunctionName": "a"}
    )
    policy = {
        "Version": "2012-10-17",
        "Statement": {"Sid": "p", "Effect": "Allow", "Principal": "*", "Action": "lambda:*"},
    }
    stub.add_response("get_policy", {"Policy": json.dumps(policy)}, {"FunctionName": "a"})
    queue_no_qualifiers(stub, "a")
    stub.add_response("list_function_url_configs", {"FunctionUrlConfigs": []}, {"FunctionName": "a"})
    queue_function(
        stub, "b", get={"Configuration": config("b"), "Concurrency": {"ReservedConcurrentExecutions": 2}}
    )
    stub.add_response("get_account_settings", account_settings(), {})

    result = lambda_.collect(ctx)

    stub.assert_no_pending_responses()
    assert_records_match_schemas(result)
    [issue] = result.issues
    assert issue == Issue(("functions",), "AccessDeniedException", issue.message, ARN + "a")
    functions = by_key(result.records["functions"], "name")
    assert functions["a"]["runtime"] == "python3.12"  # from the listing
    assert functions["a"]["tags"] is None and functions["a"]["reserved_concurrency"] is None
    assert functions["b"]["reserved_concurrency"] == 2
    assert [p["sid"] for p in result.records["function_policies"]] == ["p"]  # a single statement object
    assert json.loads(result.records["function_policies"][0]["statement"]) == policy["Statement"]
    # a's reservation is unknown, so the sum would undercount: it is null, not 2
    assert result.records["account_concurrency"][0]["reserved_total"] is None


def test_per_function_failures_are_scoped_to_their_table() -> None:
    ctx, stub = stubbed("lambda")
    stub.add_response("list_functions", {"Functions": [config("a"), version("a")]}, ALL)
    stub.add_response("get_function", {"Configuration": config("a")}, {"FunctionName": "a"})
    stub.add_client_error(
        "get_policy", "TooManyRequestsException", "slow", 429, expected_params={"FunctionName": "a"}
    )
    queue_no_qualifiers(stub, "a")
    queue_policy(stub, "a", None, "1")  # the listing names version 1
    stub.add_client_error("list_function_url_configs", "ServiceException", "boom", 500)
    stub.add_client_error("list_provisioned_concurrency_configs", "AccessDeniedException", "denied", 403)
    stub.add_client_error("get_account_settings", "AccessDeniedException", "denied", 403)

    result = lambda_.collect(ctx)

    assert_records_match_schemas(result)
    assert [(i.tables, i.error_code, i.resource_arn) for i in result.issues] == [
        (("function_policies",), "TooManyRequestsException", ARN + "a"),
        (("function_urls",), "ServiceException", ARN + "a"),
        (("provisioned_concurrency",), "AccessDeniedException", ARN + "a"),
        (("account_concurrency",), "AccessDeniedException", None),
    ]
    assert [f["name"] for f in result.records["functions"]] == ["a"]


def test_function_deleted_after_listing_is_skipped() -> None:
    ctx, stub = stubbed("lambda")
    stub.add_response("list_functions", {"Functions": [config("gone"), config("b")]}, ALL)
    stub.add_client_error(
        "get_function", "ResourceNotFoundException", "gone", 404, expected_params={"FunctionName": "gone"}
    )
    queue_function(stub, "b")
    stub.add_response("get_account_settings", account_settings(), {})

    result = lambda_.collect(ctx)

    stub.assert_no_pending_responses()
    assert result.issues == []
    assert [f["name"] for f in result.records["functions"]] == ["b"]
    assert result.records["account_concurrency"][0]["reserved_total"] == 0


def test_errors_reported_inside_get_function_become_issues() -> None:
    ctx, stub = stubbed("lambda")
    stub.add_response("list_functions", {"Functions": [config("a")]}, ALL)
    queue_function(
        stub,
        "a",
        get={
            "Configuration": config(
                "a", Environment={"Error": {"ErrorCode": "KMSAccessDeniedException", "Message": "no decrypt"}}
            ),
            "TagsError": {
                "ErrorCode": "AccessDeniedException",
                "Message": "User is not authorized to perform lambda:ListTags on this resource"
                " because no policy allows it",
            },
        },
    )
    stub.add_response("get_account_settings", account_settings(), {})

    result = lambda_.collect(ctx)

    assert_records_match_schemas(result)
    assert sorted((i.error_code, i.tables, i.resource_arn) for i in result.issues) == [
        ("AccessDeniedException", ("functions",), ARN + "a"),
        ("KMSAccessDeniedException", ("functions",), ARN + "a"),
    ]
    [row] = result.records["functions"]
    assert row["tags"] is None
    assert row["env_var_names"] is None and row["secret_env_var_names"] is None


def test_policies_of_versions_and_aliases_are_read_and_name_their_qualifier() -> None:
    """AddPermission with a Qualifier: the statement lives on that alias/version only (AWS semantics)."""
    ctx, stub = stubbed("lambda")
    stub.add_response("list_functions", {"Functions": [config("a"), version("a")]}, ALL)
    public = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "pub",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "lambda:InvokeFunction",
                "Resource": ARN + "a:live",
            }
        ],
    }
    queue_function(stub, "a", qualified={"1": None, "live": public})
    stub.add_response("get_account_settings", account_settings(), {})

    result = lambda_.collect(ctx)

    stub.assert_no_pending_responses()
    assert_records_match_schemas(result)
    assert not result.issues
    [row] = result.records["function_policies"]
    assert (row["function_arn"], row["qualifier"], row["sid"]) == (ARN + "a", "live", "pub")
    # the statement is stored whole; whether it is public is judged from it (reporter/rules/derive.py)
    assert json.loads(row["statement"])["Principal"] == "*"


def test_a_failed_alias_listing_makes_the_policies_unknown() -> None:
    ctx, stub = stubbed("lambda")
    stub.add_response("list_functions", {"Functions": [config("a")]}, ALL)
    stub.add_response("get_function", {"Configuration": config("a")}, {"FunctionName": "a"})
    queue_policy(stub, "a", None)
    stub.add_client_error(
        "list_aliases", "AccessDeniedException", "denied", 403, expected_params={"FunctionName": "a"}
    )
    stub.add_response("list_function_url_configs", {"FunctionUrlConfigs": []}, {"FunctionName": "a"})
    stub.add_response("get_account_settings", account_settings(), {})

    result = lambda_.collect(ctx)

    assert [(i.tables, i.error_code, i.resource_arn) for i in result.issues] == [
        (("function_policies",), "AccessDeniedException", ARN + "a")
    ]


def test_unreadable_policy_document_is_an_issue() -> None:
    ctx, stub = stubbed("lambda")
    stub.add_response("list_functions", {"Functions": [config("a")]}, ALL)
    stub.add_response("get_function", {"Configuration": config("a")}, {"FunctionName": "a"})
    stub.add_response("get_policy", {"Policy": "{not json"}, {"FunctionName": "a"})
    queue_no_qualifiers(stub, "a")
    stub.add_response("list_function_url_configs", {"FunctionUrlConfigs": []}, {"FunctionName": "a"})
    stub.add_response("get_account_settings", account_settings(), {})

    result = lambda_.collect(ctx)

    assert [(i.tables, i.error_code) for i in result.issues] == [(("function_policies",), "InvalidPolicy")]
    assert "function_policies" not in result.records


def test_arn_helpers() -> None:
    assert lambda_.unqualified_arn(ARN + "f:live") == ARN + "f"
    assert lambda_.unqualified_arn(ARN + "f") == ARN + "f"
    assert lambda_.qualifier(ARN + "f:7") == "7"
    assert lambda_.qualifier(ARN + "f") is None


def test_provisioned_concurrency_is_read_only_for_functions_with_a_published_version() -> None:
    ctx, stub = stubbed("lambda")
    # "b" has only $LATEST: provisioned concurrency cannot exist on it, so it is not asked for
    stub.add_response("list_functions", {"Functions": [config("a"), version("a", "3"), config("b")]}, ALL)
    queue_function(stub, "a", provisioned=[], qualified={"3": None})
    stub.add_response("get_function", {"Configuration": config("b")}, {"FunctionName": "b"})
    stub.add_client_error(
        "get_policy", "ResourceNotFoundException", "none", 404, expected_params={"FunctionName": "b"}
    )
    queue_no_qualifiers(stub, "b")
    stub.add_response("list_function_url_configs", {"FunctionUrlConfigs": []}, {"FunctionName": "b"})
    stub.add_response("get_account_settings", account_settings(), {})

    result = lambda_.collect(ctx)

    stub.assert_no_pending_responses()
    assert [f["name"] for f in result.records["functions"]] == ["a", "b"]  # the version is not a function
    assert result.issues == []
