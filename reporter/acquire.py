"""Collection: discover → assume → crawl → typed inventory with derived tables and a manifest."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import boto3

from reporter.aws.crawl import Progress, crawl
from reporter.aws.discover import discover
from reporter.aws.guard import CallMonitor
from reporter.aws.session import AwsAccess
from reporter.collectors import COLLECTORS
from reporter.collectors.base import Collector
from reporter.errors import CollectionFailed
from reporter.gc_tuning import fewer_collections
from reporter.iam import derive_role_tables
from reporter.inventory import Inventory
from reporter.settings import Settings
from reporter.snapshot import Manifest, new_manifest


@dataclass
class Collected:
    inventory: Inventory
    manifest: Manifest
    monitor: CallMonitor


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def collect(
    settings: Settings,
    *,
    session: boto3.Session | None = None,
    collectors: Sequence[Collector] = COLLECTORS,
    progress: Progress | None = None,
) -> Collected:
    """Crawl the targets of ``settings``; raises CollectionFailed when no unit succeeded."""
    started = now_utc()
    monitor = CallMonitor()
    if session is None:
        access = AwsAccess.create(
            profile=settings.profile,
            endpoint_url=settings.endpoint_url,
            workers=settings.workers,
            monitor=monitor,
        )
    else:
        access = AwsAccess.from_session(
            session, endpoint_url=settings.endpoint_url, workers=settings.workers, monitor=monitor
        )
    with fewer_collections():
        targets = discover(access, settings)
        result = crawl(access, targets, settings, collectors, progress)
        records = dict(result.records)
        records["coverage"] = result.coverage
        inventory = Inventory.from_records(records)
    if not any(row["status"] == "ok" for row in result.coverage):
        reasons = ", ".join(sorted({str(r["error_code"]) for r in result.coverage if r["status"] == "error"}))
        raise CollectionFailed(
            f"nothing could be collected from {len(targets.accounts)} account(s): {reasons or 'no units'}"
        )
    # only execution roles of crawled functions are analysed (every role-fact rule is per function)
    execution_roles = inventory["functions"]["role_arn"].dropna().unique()
    for name, df in derive_role_tables(
        inventory["roles"], inventory["policy_documents"], execution_roles
    ).items():
        inventory[name] = df
    manifest = new_manifest(
        started_at=started.isoformat(),
        finished_at=now_utc().isoformat(),
        run_date=settings.run_date.isoformat(),
        caller_arn=targets.caller_arn,
        organization_id=targets.organization_id,
        management_account_id=targets.management_account_id,
        accounts=tuple(a.account_id for a in targets.accounts),
        regions=targets.regions,
        demo=settings.demo,
    )
    return Collected(inventory, manifest, monitor)
