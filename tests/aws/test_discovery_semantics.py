"""Discovery as real AWS behaves (issue 12, points 1–4).

Organizations, STS and EC2 are moto; what moto cannot produce (a refused call, an answer without
``State``, an account-specific opt-in list) is injected with botocore ``before-call`` /
``after-call`` handlers returning AWS-shaped answers (shapes from botocore's organizations and ec2
service models: ``Account.State``/``Status``, ``Region.OptInStatus``, error ``AccessDeniedException``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import boto3
import botocore.awsrequest
import botocore.loaders
import pytest
from botocore.compat import HTTPHeaders
from moto import mock_aws

from reporter.aws.coverage import discovery_rows
from reporter.aws.crawl import crawl
from reporter.aws.discover import NOT_READ, UNKNOWN_OU, Account, Targets, discover, validate_filters
from reporter.aws.session import HOME_REGIONS, AwsAccess, partition_of_region
from reporter.cli import main
from reporter.collectors.base import Collector, CollectResult, UnitContext
from reporter.errors import CollectionFailed, UserError
from reporter.settings import Settings

Hook = Callable[..., Any]


def _refuse(code: str = "AccessDeniedException", status: int = 400) -> Hook:
    def handler(**_: Any) -> Any:
        response = botocore.awsrequest.AWSResponse("https://x", status, HTTPHeaders(), None)
        return response, {"Error": {"Code": code, "Message": f"refused by the test ({code})"}}

    return handler


class HookedAccess(AwsAccess):
    """AwsAccess whose clients get extra event handlers: {event name: handler}."""

    hooks: dict[str, Hook]

    def client(self, service: str, region: str, creds: Any = None, **kwargs: Any) -> Any:
        made = super().client(service, region, creds, **kwargs)
        for event, handler in self.hooks.items():
            made.meta.events.register(event, handler)
        return made


def _access(hooks: dict[str, Hook] | None = None) -> HookedAccess:
    access = HookedAccess.from_session(boto3.Session(), endpoint_url=None, workers=2)
    assert isinstance(access, HookedAccess)
    access.hooks = hooks or {}
    return access


@pytest.fixture
def org() -> Iterator[dict[str, str]]:
    with mock_aws():
        client = boto3.client("organizations", region_name="us-east-1")
        client.create_organization(FeatureSet="ALL")
        root = client.list_roots()["Roots"][0]["Id"]
        prod = client.create_organizational_unit(ParentId=root, Name="Prod")["OrganizationalUnit"]["Id"]
        ids: dict[str, str] = {}
        for name in ("a", "b", "c", "d"):
            ids[name] = client.create_account(AccountName=name, Email=f"{name}@example.com")[
                "CreateAccountStatus"
            ]["AccountId"]
        client.move_account(AccountId=ids["a"], SourceParentId=root, DestinationParentId=prod)
        client.tag_resource(ResourceId=ids["a"], Tags=[{"Key": "owner", "Value": "team-a"}])
        yield ids


REGIONS = ("us-east-1",)


# --- 1. Account State over the retired Status -------------------------------------------------
def test_state_wins_over_status_and_missing_or_unknown_is_skipped_with_the_value(org: dict[str, str]) -> None:
    states: dict[str, dict[str, str]] = {
        org["a"]: {"State": "SUSPENDED", "Status": "ACTIVE"},  # State decides
        org["b"]: {},  # neither: not crawled (main treated this as ACTIVE)
        org["c"]: {"State": "PENDING_ACTIVATION"},
        org["d"]: {"State": "ACTIVE"},  # Status retired: State alone is enough
    }

    def rewrite(parsed: dict[str, Any], **_: Any) -> None:
        for item in parsed.get("Accounts", []):
            if item["Id"] in states:
                item.pop("State", None)
                item.pop("Status", None)
                item.update(states[item["Id"]])

    access = _access({"after-call.organizations.ListAccounts": rewrite})
    by_id = {a.account_id: a for a in discover(access, Settings(org=True, regions=REGIONS)).accounts}
    assert not by_id[org["a"]].crawlable and by_id[org["a"]].status == "SUSPENDED"
    assert not by_id[org["b"]].crawlable
    assert "missing" in by_id[org["b"]].skip_reason
    assert not by_id[org["c"]].crawlable and "PENDING_ACTIVATION" in by_id[org["c"]].skip_reason
    assert by_id[org["d"]].crawlable
    rows = discovery_rows(by_id[org["c"]])
    assert [(r["status"], r["message"]) for r in rows] == [
        ("skipped", "account state is PENDING_ACTIVATION; not crawled")
    ]


# --- 2. Discovery never crashes ---------------------------------------------------------------
def test_failed_tag_reads_leave_tags_unknown_and_are_shown(org: dict[str, str]) -> None:
    access = _access({"before-call.organizations.ListTagsForResource": _refuse()})
    accounts = discover(access, Settings(org=True, regions=REGIONS)).accounts
    assert accounts and all(a.tags is None for a in accounts)
    rows = discovery_rows(accounts[0])
    assert rows[0]["status"] == "error" and rows[0]["tables"] == ["accounts"]
    assert "tags unknown" in rows[0]["message"] and rows[0]["error_code"] == "AccessDeniedException"


def test_a_failed_ou_walk_means_ou_unknown(org: dict[str, str]) -> None:
    access = _access({"before-call.organizations.ListOrganizationalUnitsForParent": _refuse()})
    accounts = discover(access, Settings(org=True, regions=REGIONS)).accounts
    assert {a.ou_path for a in accounts} == {UNKNOWN_OU}
    assert all("OU path unknown" in a.problems[0][1] for a in accounts)
    assert {a.tags is not None for a in accounts} == {True}
    with pytest.raises(UserError, match="--ou: the OU tree could not be read"):
        discover(access, Settings(ous=("Root/Prod",), regions=REGIONS))


def test_list_accounts_refused_for_org_names_the_permission_exit_2(org: dict[str, str]) -> None:
    access = _access({"before-call.organizations.ListAccounts": _refuse()})
    with pytest.raises(UserError, match="organizations:ListAccounts") as raised:
        discover(access, Settings(org=True, regions=REGIONS))
    assert raised.value.exit_code == 2


def test_nothing_readable_from_organizations_is_exit_3(org: dict[str, str]) -> None:
    access = _access(
        {
            "before-call.organizations.ListAccounts": _refuse(),
            "before-call.organizations.DescribeOrganization": _refuse(),
        }
    )
    with pytest.raises(CollectionFailed, match="nothing could be read") as raised:
        discover(access, Settings(org=True, regions=REGIONS))
    assert raised.value.exit_code == 3


def test_accounts_from_a_member_account_work_without_organizations(org: dict[str, str]) -> None:
    # A member may call DescribeOrganization, not ListAccounts; outside an organization neither.
    for refused in (
        {"before-call.organizations.ListAccounts": _refuse()},
        {
            "before-call.organizations.ListAccounts": _refuse("AWSOrganizationsNotInUseException"),
            "before-call.organizations.DescribeOrganization": _refuse("AWSOrganizationsNotInUseException"),
        },
    ):
        wanted = ("111111111111", "222222222222")
        targets = discover(_access(refused), Settings(accounts=wanted, regions=REGIONS))
        assert [a.account_id for a in targets.accounts] == list(wanted)
        assert {(a.ou_path, a.status, a.crawlable) for a in targets.accounts} == {
            (UNKNOWN_OU, NOT_READ, True)
        }
        assert all(a.tags is None for a in targets.accounts)


def test_an_unexpected_exception_is_one_line_and_exit_4(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Any
) -> None:
    def boom(_: Settings) -> None:
        raise RuntimeError("something the tool did not foresee\nsecond line")

    monkeypatch.setattr("reporter.pipeline.run", boom)
    code = main(["--accounts", "111111111111", "--regions", "us-east-1", "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 4
    assert err.count("\n") == 1 and "Traceback" not in err and "RuntimeError" in err


# --- 3. Regions per account -------------------------------------------------------------------
def _region_probe(ctx: UnitContext) -> CollectResult:
    return CollectResult()


def test_a_region_not_enabled_in_an_account_is_skipped_not_an_error(org: dict[str, str]) -> None:
    """ap-east-1 is opt-in: enabled in account a only (moto answers not-opted-in everywhere)."""
    caller = boto3.client("sts", region_name="us-east-1").get_caller_identity()

    access = _access()
    real_client = AwsAccess.client

    def client(self: HookedAccess, service: str, region: str, creds: Any = None, **kwargs: Any) -> Any:
        made = real_client(self, service, region, creds, **kwargs)
        if service == "ec2" and creds is not None and creds.account_id == org["a"]:
            made.meta.events.register(
                "after-call.ec2.DescribeRegions",
                lambda parsed, **_: [
                    r.update(OptInStatus="opted-in")
                    for r in parsed["Regions"]
                    if r["RegionName"] == "ap-east-1"
                ],
            )
        return made

    HookedAccess.client = client  # type: ignore[method-assign]
    try:
        accounts = tuple(Account(org[k], k, "", "ACTIVE", "Root", "r", None, {}, False) for k in ("a", "b"))
        targets = Targets(
            caller["Arn"],
            caller["Account"],
            "aws",
            "o",
            caller["Account"],
            accounts,
            ("ap-east-1", "us-east-1"),
        )
        probe = Collector("logs", "regional", ("log_groups",), (), _region_probe)
        result = crawl(access, targets, Settings(workers=2), [probe])
    finally:
        del HookedAccess.client
    rows = {(r["account_id"], r["region"], r["collector"]): r for r in result.coverage}
    assert rows[(org["a"], "ap-east-1", "logs")]["status"] == "ok"
    assert rows[(org["b"], "us-east-1", "logs")]["status"] == "ok"
    skipped = rows[(org["b"], "ap-east-1", "discover")]
    assert skipped["status"] == "skipped" and "region not enabled" in skipped["message"]
    assert (org["b"], "ap-east-1", "logs") not in rows
    assert not [r for r in result.coverage if r["status"] == "error"]


def test_regions_not_enabled_for_the_caller_may_still_be_asked_for(org: dict[str, str]) -> None:
    targets = discover(_access(), Settings(org=True, regions=("ap-east-1",)))
    assert targets.regions == ("ap-east-1",)


# --- 4. Partitions from botocore's partition data --------------------------------------------
def test_every_botocore_partition_has_its_home_region_and_pattern() -> None:
    data = botocore.loaders.create_loader().load_data("partitions")["partitions"]
    assert {p["id"] for p in data} >= {"aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-eusc"}
    for p in data:
        assert HOME_REGIONS[p["id"]] == p["outputs"]["implicitGlobalRegion"]
        for region in p["regions"]:
            if not region.endswith("-global"):
                assert partition_of_region(region) == p["id"], region
    assert partition_of_region("eusc-de-east-1") == "aws-eusc"
    assert partition_of_region("us-isob-east-1") == "aws-iso-b"
    assert partition_of_region("eu-isoe-west-1") == "aws-iso-e"
    assert partition_of_region("mars-1") is None
    validate_filters(Settings(accounts=("111111111111",), regions=("eusc-de-east-1", "us-isof-south-1")))
