"""Which of the run's regions each account has enabled.

Opt-in regions (af-south-1, ap-east-1, eu-south-1, me-south-1, …) are enabled per account: the
caller's own list says nothing about a member's. Each account's list is read inside it, with the
assumed role: ``ec2:DescribeRegions`` with ``AllRegions=true`` gives every region with the
account's ``OptInStatus`` (``opt-in-not-required``, ``opted-in``, ``not-opted-in``; botocore's ec2
model, shape ``Region``). One call per account, beside the AssumeRole it follows
(``ec2:DescribeRegions`` is declared with the EC2 collector's actions for the audit role).

A run region the account has not enabled becomes a ``skipped`` coverage row "region not enabled"
(collector ``discover``, like the other facts about an account that decide what is crawled)
(nothing is there to read) instead of units that fail on every call. When the list cannot be
read, every run region is crawled, as before, and the failure is shown in Coverage.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

from reporter.aws.coverage import coverage_row
from reporter.collectors.base import error_code, error_message
from reporter.collectors.common import CALL_ERRORS
from reporter.inventory import GLOBAL_REGION

ENABLED_OPT_IN = frozenset({"opt-in-not-required", "opted-in"})
NOT_ENABLED = "region not enabled"


@dataclass(frozen=True)
class AccountRegions:
    enabled: tuple[str, ...]
    """The run's regions to crawl in this account."""
    not_enabled: tuple[str, ...] = ()
    problem: tuple[str, str] | None = None
    """(error code, message) when the account's list could not be read."""


def account_regions(ec2: Any, candidates: tuple[str, ...]) -> AccountRegions:
    """Split ``candidates`` by the account's opt-in status, read with ``ec2`` (the account's client)."""
    try:
        answer = ec2.describe_regions(AllRegions=True)["Regions"]
    except CALL_ERRORS as exc:
        code = error_code(exc)
        message = (
            f"enabled regions unknown (ec2:DescribeRegions: {error_message(exc)}); every run region crawled"
        )
        return AccountRegions(candidates, (), (code, message[:500]))
    status = {str(r.get("RegionName")): str(r.get("OptInStatus") or "opt-in-not-required") for r in answer}
    enabled = tuple(r for r in candidates if status.get(r) in ENABLED_OPT_IN)
    return AccountRegions(enabled, tuple(r for r in candidates if r not in enabled))


def region_rows(account_id: str, found: AccountRegions) -> list[dict[str, Any]]:
    """A skipped row per run region the account has not enabled; an error row if its list was unread."""
    rows = [
        coverage_row(account_id, r, "discover", [], "skipped", message=f"{NOT_ENABLED} in this account")
        for r in found.not_enabled
    ]
    if found.problem is not None:
        code, message = found.problem
        rows.append(
            coverage_row(
                account_id, GLOBAL_REGION, "discover", ["accounts"], "error", error_code=code, message=message
            )
        )
    return rows


def enabled_regions(
    access: Any,
    hold: Callable[[], AbstractContextManager[None]],
    home: str,
    config: Any,
    regions: tuple[str, ...],
    creds: dict[str, Any],
    pool: ThreadPoolExecutor,
    coverage: list[dict[str, Any]],
) -> dict[str, frozenset[str]]:
    """account → the run regions it has enabled, read in each account (``hold``: an in-flight slot);
    the rows saying which were not, or that the list could not be read, go to ``coverage``."""

    def one(account_id: str) -> AccountRegions:
        with hold():
            return account_regions(access.client("ec2", home, creds[account_id], config=config), regions)

    read = {account_id: pool.submit(one, account_id) for account_id in sorted(creds)}
    found = {account_id: fut.result() for account_id, fut in read.items()}
    for account_id, f in found.items():
        coverage.extend(region_rows(account_id, f))
    return {account_id: frozenset(f.enabled) for account_id, f in found.items()}
