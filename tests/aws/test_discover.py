from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from reporter.aws.discover import DISCOVERY_ACTIONS, discover, validate_filters
from reporter.aws.guard import CallMonitor
from reporter.aws.session import AwsAccess
from reporter.errors import UserError
from reporter.settings import Settings


@pytest.fixture
def org() -> Iterator[dict[str, str]]:
    with mock_aws():
        client = boto3.client("organizations", region_name="us-east-1")
        client.create_organization(FeatureSet="ALL")
        root = client.list_roots()["Roots"][0]["Id"]
        workloads = client.create_organizational_unit(ParentId=root, Name="Workloads")["OrganizationalUnit"][
            "Id"
        ]
        prod = client.create_organizational_unit(ParentId=workloads, Name="Prod")["OrganizationalUnit"]["Id"]
        ids: dict[str, str] = {}
        for name in ("payments", "sandbox", "closed"):
            status = client.create_account(AccountName=name, Email=f"{name}@example.com")[
                "CreateAccountStatus"
            ]
            ids[name] = status["AccountId"]
        client.move_account(AccountId=ids["payments"], SourceParentId=root, DestinationParentId=prod)
        client.tag_resource(ResourceId=ids["payments"], Tags=[{"Key": "owner", "Value": "team-pay"}])
        client.close_account(AccountId=ids["closed"])
        ids["prod_ou"] = prod
        yield ids


def _access() -> AwsAccess:
    return AwsAccess.from_session(boto3.Session(), endpoint_url=None, workers=2)


def test_accounts_ou_paths_tags_and_status(org: dict[str, str]) -> None:
    targets = discover(_access(), Settings(org=True, regions=("us-east-1", "eu-west-1")))
    by_id = {a.account_id: a for a in targets.accounts}
    assert by_id[org["payments"]].ou_path == "Root/Workloads/Prod"
    assert by_id[org["payments"]].ou_id == org["prod_ou"]
    assert by_id[org["payments"]].tags == {"owner": "team-pay"}
    assert by_id[org["sandbox"]].ou_path == "Root"
    assert by_id[org["closed"]].status == "SUSPENDED"
    assert not by_id[org["closed"]].crawlable
    assert targets.organization_id.startswith("o-")
    assert by_id[targets.management_account_id].is_management
    assert targets.regions == ("eu-west-1", "us-east-1")


def test_discovery_calls_exactly_the_actions_it_declares(org: dict[str, str]) -> None:
    monitor = CallMonitor()
    access = AwsAccess.from_session(boto3.Session(), endpoint_url=None, workers=2, monitor=monitor)
    discover(access, Settings(org=True))
    # (endpoint prefix, operation) as the monitor sees it; for these services that is the IAM action
    assert {f"{service}:{operation}" for service, operation in monitor.calls} == set(DISCOVERY_ACTIONS)
    assert not monitor.refused


def test_regions_stay_in_the_callers_partition(org: dict[str, str]) -> None:
    targets = discover(_access(), Settings(org=True))
    assert targets.regions
    assert not [r for r in targets.regions if r.startswith(("cn-", "us-gov-"))]


def test_filters_by_account_and_ou(org: dict[str, str]) -> None:
    targets = discover(_access(), Settings(org=True, accounts=(org["payments"],), regions=("us-east-1",)))
    assert [a.account_id for a in targets.accounts] == [org["payments"]]
    targets = discover(_access(), Settings(org=True, ous=("Root/Workloads",), regions=("us-east-1",)))
    assert [a.account_id for a in targets.accounts] == [org["payments"]]


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (Settings(org=True, accounts=("12345",)), "12-digit"),
        (Settings(org=True, regions=("mars-1",)), "not a region name"),
        (Settings(org=True, workers=0), "--workers"),
    ],
)
def test_malformed_filters(settings: Settings, message: str) -> None:
    with pytest.raises(UserError, match=message):
        validate_filters(settings)


def test_unknown_region_and_account(org: dict[str, str]) -> None:
    with pytest.raises(UserError, match="unknown region"):
        discover(_access(), Settings(org=True, regions=("eu-north-9",)))
    with pytest.raises(UserError, match="not in the organization"):
        discover(_access(), Settings(org=True, accounts=("999999999999",), regions=("us-east-1",)))
    with pytest.raises(UserError, match="no account under"):
        discover(_access(), Settings(org=True, ous=("Root/Nope",), regions=("us-east-1",)))
