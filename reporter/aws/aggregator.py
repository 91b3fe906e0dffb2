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
   region) triples with a failure. Steps 1-3 run before the units: the covered account-regions'
   ``config_compliance`` units are dropped from the plan;
4. after the units, ``GetAggregateComplianceDetailsByConfigRule`` with
   ``ComplianceType=NON_COMPLIANT`` at AWS's maximum page size of 100, a few at once, only for
   the triples of covered account-regions whose rule can evaluate a function or a role: the
   rules' scopes are in ``config_rules``, which the ``config`` units have read by then (the
   aggregate APIs do not give them, and reading the details of every non-compliant S3 or EC2
   rule of a Security Hub organization would cost more than the per-account path saves).

Uncovered account-regions (source not SUCCEEDED, region not aggregated, no aggregator, or its
steps 1-3 failed) fall back to the per-account unit, whose coverage row says why. If step 4
fails, no row read from the aggregator is kept and the covered account-regions get an error
row: their LG-CFG-04 verdicts are ``error``, never ``pass`` (:meth:`Aggregation.finish`).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import botocore.config

from reporter.aws.coverage import coverage_row
from reporter.aws.schedule import Unit
from reporter.aws.session import AwsAccess
from reporter.collectors.base import error_code, error_message
from reporter.collectors.common import CALL_ERRORS, items
from reporter.collectors.config_compliance import (
    COLLECTOR,
    COMPLIANCE_PAGE,
    NON_COMPLIANT,
    can_judge_functions_or_roles,
    compliance_row,
)

Key = tuple[str, str]
"""(account id, region)"""
PROBE_THREADS = 8
DETAIL_THREADS = 4
"""Detail reads at once: they share the caller's account-region quota, and botocore's retries
absorb its throttling."""


@dataclass
class Aggregation:
    """What the aggregator covers, why other account-regions are not, and (after :meth:`finish`)
    the rows it delivered."""

    name: str | None = None
    region: str | None = None
    covered: set[Key] = field(default_factory=set)
    reasons: dict[Key, str] = field(default_factory=dict)
    """Why an account-region is read account by account (when the reason is particular to it)."""
    fallback: str = "no Config aggregator of the organization in the caller's account"
    triples: list[tuple[str, str, str]] = field(default_factory=list)
    """(rule, account, region) with a NON_COMPLIANT verdict, in covered account-regions."""
    client: Any = None
    calls: list[int] = field(default_factory=lambda: [0])
    """Calls made (a list: the client's counter adds to it from the probe threads)."""

    def covers(self, unit: Unit) -> bool:
        return unit.collector.name == COLLECTOR.name and (unit.account_id, unit.region) in self.covered

    def finish(self, records: dict[str, list[dict[str, Any]]], coverage: list[dict[str, Any]]) -> None:
        """After the units: read the details, add the rows and a coverage row per covered
        account-region, and say on the per-account units' rows why they were not covered.

        Only rules whose scope can include a function or a role are read (their scopes come from
        the ``config`` units' ``config_rules``; a rule not listed there is read, being unknown),
        as the per-account unit does. A failure drops every row read from the aggregator: the
        covered account-regions then get an error row, so LG-CFG-04 is ``error`` there.
        """
        for row in coverage:
            if row["collector"] == COLLECTOR.name and row["status"] == "ok" and row["message"] is None:
                reason = self.reasons.get((row["account_id"], row["region"]), self.fallback)
                row["message"] = f"read account by account: {reason}"
        if not self.covered:
            return
        scopes = {
            (r["rule_name"], r["account_id"], r["region"]): {
                "Scope": {"ComplianceResourceTypes": r["scope_resource_types"]}
            }
            for r in records.get("config_rules", ())
        }
        wanted = [t for t in self.triples if t not in scopes or can_judge_functions_or_roles(scopes[t])]
        source = f"Config aggregator {self.name} in {self.region}"
        code: str | None = None
        status, message = "ok", f"compliance read from {source}"
        try:
            with ThreadPoolExecutor(max_workers=DETAIL_THREADS) as pool:
                read = list(pool.map(lambda t: _details(self.client, str(self.name), *t), wanted))
        except CALL_ERRORS as exc:
            code, status = error_code(exc), "error"
            message = f"reading compliance from {source} failed: {error_message(exc)}"[:500]
        else:
            records.setdefault("config_compliance", []).extend(row for rows in read for row in rows)
        coverage.extend(
            coverage_row(a, r, COLLECTOR.name, COLLECTOR.tables, status, error_code=code, message=message)
            for a, r in sorted(self.covered)
        )


def read(
    access: AwsAccess,
    caller_account: str,
    probe_regions: Sequence[str],
    units: Sequence[Unit],
    config: botocore.config.Config | None = None,
) -> Aggregation:
    """Which of ``units`` an organization aggregator in ``caller_account`` covers (before the units
    run: the covered ones are dropped); its rows are read by :meth:`Aggregation.finish`."""
    wanted = {(u.account_id, u.region) for u in units if u.collector.name == COLLECTOR.name}
    out = Aggregation()
    if not wanted or not caller_account:
        return out
    lock = threading.Lock()
    clients: dict[str, Any] = {}

    def count() -> None:
        with lock:  # the probe and detail calls run in threads
            out.calls[0] += 1

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
        out.client = client(out.region)
        _plan(out.client, out, aggregator, wanted)
    except CALL_ERRORS as exc:
        where = f" {out.name} in {out.region}" if out.name else ""
        out.fallback = f"reading the Config aggregator{where} failed: {error_code(exc)}: {error_message(exc)}"
        out.covered, out.triples, out.reasons = set(), [], {}
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


def _plan(client: Any, out: Aggregation, aggregator: dict[str, Any], wanted: set[Key]) -> None:
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
    out.triples = [t for t in triples if (t[1], t[2]) in out.covered]


def _details(client: Any, name: str, rule: str, account: str, region: str) -> list[dict[str, Any]]:
    evaluations = items(
        client,
        "get_aggregate_compliance_details_by_config_rule",
        "AggregateEvaluationResults",
        ConfigurationAggregatorName=name,
        ConfigRuleName=rule,
        AccountId=account,
        AwsRegion=region,
        ComplianceType=NON_COMPLIANT[0],
        Limit=COMPLIANCE_PAGE,
    )
    rows = (compliance_row(account, region, rule, e) for e in evaluations)
    return [row for row in rows if row is not None]
