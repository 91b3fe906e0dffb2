"""Coverage rows: one per unit of work, what discovery could not read or chose not to crawl, and
what a unit given up on still delivers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from reporter.aws.discover import Account
from reporter.collectors.base import CollectResult, UnitProgress
from reporter.inventory import GLOBAL_REGION


def coverage_row(
    account_id: str,
    region: str,
    collector: str,
    tables: Sequence[str],
    status: str,
    *,
    error_code: str | None = None,
    message: str | None = None,
    resource_arn: str | None = None,
    api_calls: int = 0,
    seconds: float = 0.0,
) -> dict[str, Any]:
    return {
        "account_id": account_id,
        "region": region,
        "collector": collector,
        "tables": list(tables),
        "resource_arn": resource_arn,
        "status": status,
        "error_code": error_code,
        "message": message,
        "api_calls": api_calls,
        "seconds": round(seconds, 3),
    }


def salvaged(progress: UnitProgress, row: dict[str, Any]) -> tuple[CollectResult | None, dict[str, Any]]:
    """A failed unit's error row, with the completed part of its work when it kept some."""
    progress.seal()  # a part finishing after this is not added
    salvage = progress.salvage() if progress.salvage is not None else None
    if salvage is None:
        return None, row
    # the unit row now covers only what the whole unit left unread; the rest are per-item Issues
    row = {**row, "tables": list(salvage.tables), "message": f"{row['message']}; {salvage.summary}"}
    return salvage.result, row


def discovery_rows(acct: Account) -> list[dict[str, Any]]:
    """A skipped row for an account not crawled; an error row per thing discovery could not read.

    Discovery problems (tags, OU path) name the ``accounts`` table, which no rule judges: they
    are shown in Coverage without turning any verdict into an error.
    """
    rows = [
        coverage_row(
            acct.account_id, GLOBAL_REGION, "discover", ["accounts"], "error", error_code=code, message=msg
        )
        for code, msg in acct.problems
    ]
    if not acct.crawlable:
        rows.append(
            coverage_row(acct.account_id, GLOBAL_REGION, "discover", [], "skipped", message=acct.skip_reason)
        )
    return rows
