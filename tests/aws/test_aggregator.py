"""Config compliance from an organization aggregator (reporter/aws/aggregator.py).

moto lacks the aggregate compliance APIs, so the aggregator's answers are botocore Stubber pages
shaped per the config service model (multi-page with NextToken); the crawl-level test runs the
rest of the crawl (discovery of regions, assume) on moto.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from reporter.aws import aggregator
from reporter.aws.crawl import crawl
from reporter.aws.discover import Account, Targets
from reporter.aws.schedule import Unit
from reporter.aws.session import AwsAccess
from reporter.collectors import config_compliance
from reporter.collectors.base import Collector, CollectResult, UnitContext
from reporter.inventory import frame
from reporter.settings import Settings

CALLER = "999999999999"
A, B = "111111111111", "222222222222"
HOME, EU = "us-east-1", "eu-west-1"
AGG = "org-aggregator"
WHEN = dt.datetime(2026, 11, 27, 6, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def one_detail_read_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    # the details of one aggregator share one Stubber client, whose answers are queued in order
    monkeypatch.setattr(aggregator, "DETAIL_THREADS", 1)


def rules_row(rule: str, account: str, region: str, *types: str) -> dict[str, Any]:
    return {"rule_name": rule, "account_id": account, "region": region, "scope_resource_types": list(types)}


class StubbedAccess:
    """Hands out one Stubber-backed config client per region; counts calls like AwsAccess does."""

    def __init__(self, regions: tuple[str, ...] = (HOME, EU)) -> None:
        session = boto3.Session(aws_access_key_id="k", aws_secret_access_key="s", region_name=HOME)
        self.clients = {r: session.client("config", region_name=r) for r in regions}
        self.stubs = {r: Stubber(c) for r, c in self.clients.items()}
        for stub in self.stubs.values():
            stub.activate()
        self.callers: list[str] = []

    def starting_credentials(self, account_id: str) -> str:
        self.callers.append(account_id)
        return account_id

    def client(
        self, service: str, region: str, creds: Any = None, *, on_call: Any = None, config: Any = None
    ) -> Any:
        assert service == "config" and creds == CALLER
        client = self.clients[region]
        if on_call is not None:
            # first: the Stubber's own before-call handler answers, and later handlers are not run
            client.meta.events.register_first("before-call.*.*", lambda **_: on_call())
        return client


def org_aggregator(name: str = AGG, **source: Any) -> dict[str, Any]:
    return {
        "ConfigurationAggregatorName": name,
        "ConfigurationAggregatorArn": f"arn:aws:config:{HOME}:{CALLER}:config-aggregator/config-aggregator-x",
        "OrganizationAggregationSource": {
            "RoleArn": f"arn:aws:iam::{CALLER}:role/aggregator",
            **(source or {"AllAwsRegions": True}),
        },
        "CreationTime": WHEN,
        "LastUpdatedTime": WHEN,
    }


def status(region: str, state: str, source_id: str = "o-test", kind: str = "ORGANIZATION") -> dict[str, Any]:
    row: dict[str, Any] = {
        "SourceId": source_id,
        "SourceType": kind,
        "AwsRegion": region,
        "LastUpdateStatus": state,
        "LastUpdateTime": WHEN,
    }
    if state != "SUCCEEDED":
        row["LastErrorCode"] = "AccessDenied"
        row["LastErrorMessage"] = "not authorized"
    return row


def by_rule(rule: str, account: str, region: str) -> dict[str, Any]:
    return {
        "ConfigRuleName": rule,
        "Compliance": {
            "ComplianceType": "NON_COMPLIANT",
            "ComplianceContributorCount": {"CappedCount": 2, "CapExceeded": False},
        },
        "AccountId": account,
        "AwsRegion": region,
    }


def result(rule: str, account: str, region: str, rtype: str, rid: str) -> dict[str, Any]:
    return {
        "EvaluationResultIdentifier": {
            "EvaluationResultQualifier": {
                "ConfigRuleName": rule,
                "ResourceType": rtype,
                "ResourceId": rid,
                "EvaluationMode": "DETECTIVE",
            },
            "OrderingTimestamp": WHEN,
        },
        "ComplianceType": "NON_COMPLIANT",
        "ResultRecordedTime": WHEN,
        "ConfigRuleInvokedTime": WHEN,
        "Annotation": "not in a VPC",
        "AccountId": account,
        "AwsRegion": region,
    }


def queue_aggregators(stub: Stubber, *aggregators: dict[str, Any]) -> None:
    stub.add_response(
        "describe_configuration_aggregators", {"ConfigurationAggregators": [], "NextToken": "a"}, {}
    )
    stub.add_response(
        "describe_configuration_aggregators",
        {"ConfigurationAggregators": list(aggregators)},
        {"NextToken": "a"},
    )


def queue_statuses(stub: Stubber, *statuses: dict[str, Any]) -> None:
    name = {"ConfigurationAggregatorName": AGG}
    stub.add_response(
        "describe_configuration_aggregator_sources_status",
        {"AggregatedSourceStatusList": list(statuses[:1]), "NextToken": "s"},
        name,
    )
    stub.add_response(
        "describe_configuration_aggregator_sources_status",
        {"AggregatedSourceStatusList": list(statuses[1:])},
        {**name, "NextToken": "s"},
    )


def details_params(rule: str, account: str, region: str, token: str | None = None) -> dict[str, Any]:
    params: dict[str, Any] = {
        "ConfigurationAggregatorName": AGG,
        "ConfigRuleName": rule,
        "AccountId": account,
        "AwsRegion": region,
        "ComplianceType": "NON_COMPLIANT",
        "Limit": 100,
    }
    return {**params, "NextToken": token} if token else params


def units(*keys: tuple[str, str]) -> list[Unit]:
    return [Unit(account, region, config_compliance.COLLECTOR) for account, region in keys]


def test_covered_and_uncovered_account_regions() -> None:
    access = StubbedAccess()
    home = access.stubs[HOME]
    account_only = {
        k: v for k, v in org_aggregator("account-only").items() if k != "OrganizationAggregationSource"
    }
    account_only["AccountAggregationSources"] = [{"AccountIds": [A], "AllAwsRegions": True}]
    queue_aggregators(home, account_only, org_aggregator())
    # the organization source of eu-west-1 last failed; account B has its own SUCCEEDED source there
    queue_statuses(
        home,
        status(HOME, "SUCCEEDED"),
        status(EU, "FAILED"),
        status(EU, "SUCCEEDED", source_id=B, kind="ACCOUNT"),
    )
    filters = {"ConfigurationAggregatorName": AGG, "Filters": {"ComplianceType": "NON_COMPLIANT"}}
    home.add_response(
        "describe_aggregate_compliance_by_config_rules",
        {
            "AggregateComplianceByConfigRules": [by_rule("vpc", A, HOME), by_rule("vpc", A, EU)],
            "NextToken": "c",
        },
        filters,
    )
    home.add_response(
        "describe_aggregate_compliance_by_config_rules",
        {"AggregateComplianceByConfigRules": [by_rule("roles", B, EU), by_rule("s3", B, HOME)]},
        {**filters, "NextToken": "c"},
    )
    home.add_response(
        "get_aggregate_compliance_details_by_config_rule",
        {
            "AggregateEvaluationResults": [
                result("vpc", A, HOME, "AWS::Lambda::Function", "orders"),
                result("vpc", A, HOME, "AWS::S3::Bucket", "logs"),
            ],
            "NextToken": "d",
        },
        details_params("vpc", A, HOME),
    )
    home.add_response(
        "get_aggregate_compliance_details_by_config_rule",
        {"AggregateEvaluationResults": [result("vpc", A, HOME, "AWS::Lambda::Function", "billing")]},
        details_params("vpc", A, HOME, "d"),
    )
    home.add_response(
        "get_aggregate_compliance_details_by_config_rule",
        {"AggregateEvaluationResults": [result("roles", B, EU, "AWS::IAM::Role", "AROAEXAMPLE")]},
        details_params("roles", B, EU),
    )

    wanted = units((A, HOME), (B, HOME), (A, EU), (B, EU))
    got = aggregator.read(access, CALLER, [HOME, EU], wanted)  # type: ignore[arg-type]

    assert (got.name, got.region, got.calls[0]) == (AGG, HOME, 6)  # 2 + 2 + 2 pages
    assert got.covered == {(A, HOME), (B, HOME), (B, EU)}
    assert got.reasons == {(A, EU): f"Config aggregator {AGG}: its source last updated FAILED (AccessDenied)"}
    # (vpc, A, eu-west-1) is not covered: its details are never asked for
    assert got.triples == [("vpc", A, HOME), ("roles", B, EU), ("s3", B, HOME)]
    assert [(u.account_id, u.region) for u in wanted if not got.covers(u)] == [(A, EU)]

    # after the units: s3's scope (from config_rules) cannot include a function or a role
    records: dict[str, list[dict[str, Any]]] = {
        "config_rules": [rules_row("s3", B, HOME, "AWS::S3::Bucket"), rules_row("vpc", A, HOME)]
    }
    coverage = [
        {"collector": "config_compliance", "status": "ok", "message": None, "account_id": A, "region": EU}
    ]
    got.finish(records, coverage)

    home.assert_no_pending_responses()
    assert got.calls == [9]  # and 3 detail pages
    assert [
        (r["account_id"], r["region"], r["rule_name"], r["resource_id"]) for r in records["config_compliance"]
    ] == [
        (A, HOME, "vpc", "orders"),
        (A, HOME, "vpc", "billing"),
        (B, EU, "roles", "AROAEXAMPLE"),
    ]
    assert {r["compliance"] for r in records["config_compliance"]} == {"NON_COMPLIANT"}
    frame("config_compliance", records["config_compliance"])
    assert coverage[0]["message"] == (
        f"read account by account: Config aggregator {AGG}: its source last updated FAILED (AccessDenied)"
    )
    rows = coverage[1:]
    assert [(r["account_id"], r["region"], r["status"], r["tables"]) for r in rows] == [
        (A, HOME, "ok", ["config_compliance"]),
        (B, EU, "ok", ["config_compliance"]),
        (B, HOME, "ok", ["config_compliance"]),
    ]
    assert {r["message"] for r in rows} == {f"compliance read from Config aggregator {AGG} in {HOME}"}
    assert access.callers and set(access.callers) == {CALLER}  # the starting credentials


def test_regions_the_aggregator_does_not_aggregate_fall_back() -> None:
    access = StubbedAccess()
    home = access.stubs[HOME]
    queue_aggregators(home, org_aggregator(AwsRegions=[HOME]))
    queue_statuses(home, status(HOME, "SUCCEEDED"), status(HOME, "SUCCEEDED", source_id=A, kind="ACCOUNT"))
    home.add_response(
        "describe_aggregate_compliance_by_config_rules",
        {"AggregateComplianceByConfigRules": []},
        {"ConfigurationAggregatorName": AGG, "Filters": {"ComplianceType": "NON_COMPLIANT"}},
    )
    got = aggregator.read(access, CALLER, [HOME], units((A, HOME), (A, EU)))  # type: ignore[arg-type]
    home.assert_no_pending_responses()
    assert got.covered == {(A, HOME)} and got.triples == []
    assert got.reasons == {(A, EU): f"Config aggregator {AGG} does not aggregate {EU}"}


def test_no_aggregator_in_any_probed_region() -> None:
    access = StubbedAccess()
    for region in (HOME, EU):
        queue_aggregators(access.stubs[region])
    got = aggregator.read(access, CALLER, [HOME, EU], units((A, HOME)))  # type: ignore[arg-type]
    for stub in access.stubs.values():
        stub.assert_no_pending_responses()
    assert got.name is None and got.covered == set() and got.calls == [4]
    rows = [
        {"collector": "config_compliance", "status": "ok", "message": None, "account_id": A, "region": HOME}
    ]
    got.finish({}, rows)
    assert rows[0]["message"] == (
        "read account by account: no Config aggregator of the organization in the caller's account"
    )


def test_a_failed_aggregator_read_covers_nothing() -> None:
    access = StubbedAccess()
    home = access.stubs[HOME]
    queue_aggregators(home, org_aggregator())
    queue_statuses(home, status(HOME, "SUCCEEDED"), status(EU, "SUCCEEDED"))
    home.add_client_error(
        "describe_aggregate_compliance_by_config_rules", "ThrottlingException", "Rate exceeded", 400
    )
    got = aggregator.read(access, CALLER, [HOME], units((A, HOME), (A, EU)))  # type: ignore[arg-type]
    home.assert_no_pending_responses()
    assert got.covered == set() and got.triples == [] and got.reasons == {}
    assert got.fallback.startswith(
        f"reading the Config aggregator {AGG} in {HOME} failed: ThrottlingException: "
    )


def test_failed_details_make_the_covered_account_regions_errors_and_keep_no_row() -> None:
    access = StubbedAccess()
    home = access.stubs[HOME]
    queue_aggregators(home, org_aggregator())
    queue_statuses(home, status(HOME, "SUCCEEDED"), status(EU, "SUCCEEDED"))
    home.add_response(
        "describe_aggregate_compliance_by_config_rules",
        {"AggregateComplianceByConfigRules": [by_rule("vpc", A, HOME), by_rule("vpc", A, EU)]},
        {"ConfigurationAggregatorName": AGG, "Filters": {"ComplianceType": "NON_COMPLIANT"}},
    )
    home.add_response(
        "get_aggregate_compliance_details_by_config_rule",
        {"AggregateEvaluationResults": [result("vpc", A, HOME, "AWS::Lambda::Function", "orders")]},
        details_params("vpc", A, HOME),
    )
    home.add_client_error(
        "get_aggregate_compliance_details_by_config_rule", "AccessDeniedException", "not authorized", 400
    )
    got = aggregator.read(access, CALLER, [HOME], units((A, HOME), (A, EU)))  # type: ignore[arg-type]
    assert got.covered == {(A, HOME), (A, EU)}
    records: dict[str, list[dict[str, Any]]] = {}
    coverage: list[dict[str, Any]] = []
    got.finish(records, coverage)
    home.assert_no_pending_responses()
    assert records == {}  # the first rule's rows are dropped with the failure
    assert [(c["account_id"], c["region"], c["status"], c["error_code"], c["tables"]) for c in coverage] == [
        (A, EU, "error", "AccessDeniedException", ["config_compliance"]),
        (A, HOME, "error", "AccessDeniedException", ["config_compliance"]),
    ]
    assert coverage[0]["message"].startswith(
        f"reading compliance from Config aggregator {AGG} in {HOME} failed: "
    )


def test_nothing_is_read_without_compliance_units() -> None:
    got = aggregator.read(StubbedAccess(), CALLER, [HOME], [])  # type: ignore[arg-type]
    assert got.calls == [0] and got.covered == set()


# --- crawl level -------------------------------------------------------------------------------


def _per_account(ctx: UnitContext) -> CollectResult:
    """Stands in for the per-account compliance unit: one row naming where it ran."""
    out = CollectResult()
    out.add(
        "config_compliance",
        {
            "account_id": ctx.account_id,
            "region": ctx.region,
            "rule_name": "per-account",
            "resource_type": "AWS::Lambda::Function",
            "resource_id": "f",
            "compliance": "NON_COMPLIANT",
            "annotation": None,
        },
    )
    return out


class CrawlAccess(AwsAccess):
    """A real AwsAccess on moto, but the caller's config clients are the stubbed ones."""

    stubbed: StubbedAccess

    def client(self, service: str, region: str, creds: Any = None, **kwargs: Any) -> Any:
        if service == "config":
            return self.stubbed.client(service, region, CALLER, on_call=kwargs.get("on_call"))
        return super().client(service, region, creds, **kwargs)

    def starting_credentials(self, account_id: str) -> Any:
        if account_id == CALLER:
            return CALLER
        return super().starting_credentials(account_id)


@pytest.fixture
def moto_targets() -> Iterator[tuple[Targets, list[str]]]:
    with mock_aws():
        org = boto3.client("organizations", region_name=HOME)
        org.create_organization(FeatureSet="ALL")
        ids = [
            org.create_account(AccountName=f"a{i}", Email=f"a{i}@x.com")["CreateAccountStatus"]["AccountId"]
            for i in range(2)
        ]
        caller = boto3.client("sts", region_name=HOME).get_caller_identity()
        accounts = tuple(Account(i, f"acct-{i}", "", "ACTIVE", "Root", "r-1", None, {}, False) for i in ids)
        yield Targets(caller["Arn"], CALLER, "aws", "o-test", CALLER, accounts, (HOME, EU)), ids


def test_crawl_takes_covered_regions_from_the_aggregator_and_says_so(
    moto_targets: tuple[Targets, list[str]],
) -> None:
    targets, (first, second) = moto_targets
    access = CrawlAccess.from_session(boto3.Session(), endpoint_url=None, workers=4)
    assert isinstance(access, CrawlAccess)
    access.stubbed = StubbedAccess()
    home = access.stubbed.stubs[HOME]
    queue_aggregators(home, org_aggregator(AwsRegions=[HOME]))
    queue_statuses(home, status(HOME, "SUCCEEDED"))
    home.add_response(
        "describe_aggregate_compliance_by_config_rules",
        {"AggregateComplianceByConfigRules": [by_rule("vpc", first, HOME)]},
        {"ConfigurationAggregatorName": AGG, "Filters": {"ComplianceType": "NON_COMPLIANT"}},
    )
    home.add_response(
        "get_aggregate_compliance_details_by_config_rule",
        {"AggregateEvaluationResults": [result("vpc", first, HOME, "AWS::Lambda::Function", "orders")]},
        details_params("vpc", first, HOME),
    )
    stand_in = Collector(
        config_compliance.COLLECTOR.name,
        "regional",
        ("config_compliance",),
        ("config:DescribeConfigRules",),
        _per_account,
    )

    got = crawl(access, targets, Settings(workers=4), [stand_in])

    home.assert_no_pending_responses()
    rows = {(c["account_id"], c["region"]): c for c in got.coverage if c["collector"] == "config_compliance"}
    assert set(rows) == {(a, r) for a in (first, second) for r in (HOME, EU)}
    for account in (first, second):
        assert rows[(account, HOME)]["status"] == "ok"
        assert rows[(account, HOME)]["message"] == f"compliance read from Config aggregator {AGG} in {HOME}"
        assert rows[(account, EU)]["status"] == "ok"
        assert rows[(account, EU)]["message"] == (
            f"read account by account: Config aggregator {AGG} does not aggregate {EU}"
        )
    compliance = sorted(
        (r["account_id"], r["region"], r["rule_name"]) for r in got.records["config_compliance"]
    )
    assert compliance == sorted(
        [(first, HOME, "vpc"), (first, EU, "per-account"), (second, EU, "per-account")]
    )
    frame("coverage", got.coverage)


def test_probed_regions_are_asked_at_once_and_an_unanswering_one_is_skipped() -> None:
    access = StubbedAccess()
    access.stubs[HOME].add_client_error(
        "describe_configuration_aggregators", "AccessDeniedException", "not authorized", 400
    )
    eu = access.stubs[EU]
    queue_aggregators(eu, org_aggregator())
    queue_statuses(eu, status(HOME, "SUCCEEDED"), status(EU, "OUTDATED"))
    eu.add_response(
        "describe_aggregate_compliance_by_config_rules",
        {"AggregateComplianceByConfigRules": []},
        {"ConfigurationAggregatorName": AGG, "Filters": {"ComplianceType": "NON_COMPLIANT"}},
    )
    got = aggregator.read(access, CALLER, [HOME, EU], units((A, HOME), (A, EU)))  # type: ignore[arg-type]
    for stub in access.stubs.values():
        stub.assert_no_pending_responses()
    assert (got.name, got.region, got.covered) == (AGG, EU, {(A, HOME)})
    assert got.reasons == {
        (A, EU): f"Config aggregator {AGG}: its source last updated OUTDATED (AccessDenied)"
    }

    # no region answers: nothing is covered, and the fallback says why
    access = StubbedAccess()
    for stub in access.stubs.values():
        stub.add_client_error("describe_configuration_aggregators", "AccessDeniedException", "no", 400)
    got = aggregator.read(access, CALLER, [HOME, EU], units((A, HOME)))  # type: ignore[arg-type]
    assert got.covered == set() and got.fallback.startswith(
        "reading the Config aggregator failed: AccessDeniedException"
    )
