"""Config compliance from an organization aggregator in the caller's account, in a few calls.

Account by account, reading the rules' NON_COMPLIANT verdicts costs a call per rule and region at
Config's low request rate. An organization aggregator already holds them: where one in the
caller's account (read with the starting credentials, as ``crawl._assume_all`` reads the
management account) covers an account-region, its ``config_compliance`` rows come from here and
its per-account ``config_compliance`` unit does not run.

Call plan (botocore config model; every listing paginated by NextToken):

1. ``DescribeConfigurationAggregators`` in the probed regions (the home region, then the caller's
   enabled ones), all at once; the first region in that order holding an aggregator with an
   ``OrganizationAggregationSource`` (``AllAwsRegions`` or ``AwsRegions``) is used, and its
   first aggregator by name;
2. ``DescribeConfigurationAggregatorSourcesStatus``: only sources whose ``LastUpdateStatus`` is
   SUCCEEDED are trusted (FAILED: errors moving data; OUTDATED: not the most recent). An
   ORGANIZATION source stands for every account of its region, an ACCOUNT source for its own;
3. ``DescribeAggregateComplianceByConfigRules`` filtered to NON_COMPLIANT: the (rule, account,
   region) triples with a failure;
4. ``GetAggregateComplianceDetailsByConfigRule`` with ``ComplianceType=NON_COMPLIANT`` at AWS's
   maximum page size of 100, only for those triples in covered account-regions.

Uncovered account-regions (source not SUCCEEDED, region not aggregated, no aggregator, or the
aggregator read failed: any failure drops its partial rows) fall back to the per-account unit,
whose coverage row says why (:meth:`Aggregation.annotate`).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import botocore.config

from reporter.aws.coverage import coverage_row
from reporter.aws.schedule import Unit
from reporter.aws.session import AwsAccess
from reporter.collectors.base import error_code, error_message
from reporter.collectors.common import CALL_ERRORS, items
from reporter.collectors.config_compliance import COLLECTOR, COMPLIANCE_PAGE, NON_COMPLIANT, compliance_row

Key = tuple[str, str]
"""(account id, region)"""
PROBE_THREADS = 8


@dataclass
class Aggregation:
    """What the aggregator delivered: rows for the covered account-regions, and why others are not."""

    name: str | None = None
    region: str | None = None
    covered: set[Key] = field(default_factory=set)
    records: list[dict[str, Any]] = field(default_factory=list)
    reasons: dict[Key, str] = field(default_factory=dict)
    """Why an account-region is read account by account (when the reason is particular to it)."""
    fallback: str = "no Config aggregator of the organization in the caller's account"
    calls: int = 0

    def covers(self, unit: Unit) -> bool:
        return unit.collector.name == COLLECTOR.name and (unit.account_id, unit.region) in self.covered

    def coverage_rows(self) -> list[dict[str, Any]]:
        """The ok row of each covered account-region, naming the source."""
        return [
            coverage_row(
                account,
                region,
                COLLECTOR.name,
                COLLECTOR.tables,
                "ok",
                message=f"compliance read from Config aggregator {self.name} in {self.region}",
            )
            for account, region in sorted(self.covered)
        ]

    def annotate(self, coverage: Iterable[dict[str, Any]]) -> None:
        """Say on each per-account compliance unit's ok row why the aggregator did not cover it."""
        for row in coverage:
            if row["collector"] == COLLECTOR.name and row["status"] == "ok" and row["message"] is None:
                reason = self.reasons.get((row["account_id"], row["region"]), self.fallback)
                row["message"] = f"read account by account: {reason}"


def read(
    access: AwsAccess,
    caller_account: str,
    probe_regions: Sequence[str],
    units: Sequence[Unit],
    config: botocore.config.Config | None = None,
) -> Aggregation:
    """The compliance rows an organization aggregator in ``caller_account`` holds for ``units``."""
    wanted = {(u.account_id, u.region) for u in units if u.collector.name == COLLECTOR.name}
    out = Aggregation()
    if not wanted or not caller_account:
        return out
    counter = [0]
    lock = threading.Lock()
    clients: dict[str, Any] = {}

    def count() -> None:
        with lock:  # the probe calls run in threads
            counter[0] += 1

    def client(region: str) -> Any:
        if region not in clients:
            clients[region] = access.client(
                "config",
                region,
                access.starting_credentials(caller_account),
                on_call=count,
                config=config,
            )
        return clients[region]

    try:
        found = _find(client, probe_regions)
        if found is None:
            return out
        out.region, aggregator = found
        out.name = str(aggregator["ConfigurationAggregatorName"])
        _read(client(out.region), out, aggregator, wanted)
    except CALL_ERRORS as exc:
        where = f" {out.name} in {out.region}" if out.name else ""
        out.fallback = f"reading the Config aggregator{where} failed: {error_code(exc)}: {error_message(exc)}"
        out.covered, out.records, out.reasons = set(), [], {}
    finally:
        out.calls = counter[0]
    return out


def _find(client: Any, regions: Sequence[str]) -> tuple[str, dict[str, Any]] | None:
    """The first region in ``regions`` order holding an organization aggregator, with it.

    The regions are asked at once: one call each, but the crawl's units wait for the answer, so
    it costs the slowest region's latency rather than their sum. A region that cannot answer
    matters only when no region holds an aggregator (its error is then raised).
    """
    if not regions:
        return None
    for region in regions:
        client(region)  # built here, in one thread: AwsAccess serialises client creation anyway

    def org_aggregators(region: str) -> list[dict[str, Any]]:
        found = items(client(region), "describe_configuration_aggregators", "ConfigurationAggregators")
        return [a for a in found if a.get("OrganizationAggregationSource")]

    with ThreadPoolExecutor(max_workers=min(PROBE_THREADS, len(regions))) as pool:
        futures = [pool.submit(org_aggregators, region) for region in regions]
    failure: BaseException | None = None
    for region, future in zip(regions, futures, strict=True):
        error = future.exception()
        if error is not None:
            failure = failure or error
            continue
        if aggregators := future.result():
            return region, min(aggregators, key=lambda a: str(a["ConfigurationAggregatorName"]))
    if failure is not None:
        raise failure
    return None


def _read(client: Any, out: Aggregation, aggregator: dict[str, Any], wanted: set[Key]) -> None:
    name = out.name
    source = aggregator["OrganizationAggregationSource"]
    regions = None if source.get("AllAwsRegions") else set(source.get("AwsRegions") or ())
    org_ok: set[str] = set()
    accounts_ok: set[Key] = set()
    failed: dict[Key | str, str] = {}
    for status in items(
        client,
        "describe_configuration_aggregator_sources_status",
        "AggregatedSourceStatusList",
        ConfigurationAggregatorName=name,
    ):
        region, state = str(status.get("AwsRegion")), status.get("LastUpdateStatus")
        organization = status.get("SourceType") == "ORGANIZATION"
        key: Key = (str(status.get("SourceId")), region)
        if state != "SUCCEEDED":
            error = status.get("LastErrorCode") or "no error code"
            failed[region if organization else key] = f"its source last updated {state} ({error})"
        elif organization:
            org_ok.add(region)
        else:
            accounts_ok.add(key)
    for key in wanted:
        account, region = key
        if regions is not None and region not in regions:
            out.reasons[key] = f"Config aggregator {name} does not aggregate {region}"
        elif key in failed or (region in failed and key not in accounts_ok):
            out.reasons[key] = f"Config aggregator {name}: {failed.get(key) or failed[region]}"
        elif region in org_ok or key in accounts_ok:
            out.covered.add(key)
        else:
            out.reasons[key] = f"Config aggregator {name} reports no source status for {account}/{region}"
    if not out.covered:
        return
    # in AWS's order, once each
    triples = dict.fromkeys(
        (str(c["ConfigRuleName"]), str(c["AccountId"]), str(c["AwsRegion"]))
        for c in items(
            client,
            "describe_aggregate_compliance_by_config_rules",
            "AggregateComplianceByConfigRules",
            ConfigurationAggregatorName=name,
            Filters={"ComplianceType": NON_COMPLIANT[0]},
        )
    )
    for rule, account, region in triples:
        if (account, region) not in out.covered:
            continue
        for evaluation in items(
            client,
            "get_aggregate_compliance_details_by_config_rule",
            "AggregateEvaluationResults",
            ConfigurationAggregatorName=name,
            ConfigRuleName=rule,
            AccountId=account,
            AwsRegion=region,
            ComplianceType=NON_COMPLIANT[0],
            Limit=COMPLIANCE_PAGE,
        ):
            row = compliance_row(account, region, rule, evaluation)
            if row is not None:
                out.records.append(row)
