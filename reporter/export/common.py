"""What both exports share: the run's context and small conversions of record values."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from reporter.aws.partitions import partition_of_region
from reporter.errors import UserError
from reporter.history.store import utc
from reporter.model import RunMeta
from reporter.outputs import atomic_write

GUIDE = "Lambda governance guide"
"""The standard every rule checks against (RULES.md); the mapped AWS controls follow it."""

_ARN = re.compile(r"^arn:([a-z-]+):[^:]*:[^:]*:(\d{12}):")

DEFAULT_SECURITYHUB_REGION = {"aws": "us-east-1", "aws-us-gov": "us-gov-west-1", "aws-cn": "cn-north-1"}


@dataclass(frozen=True)
class ExportContext:
    """The run-level facts each exported finding carries."""

    run_at: dt.datetime
    """The run's finish time (from the evidence manifest): the findings' observation time."""
    tool_version: str
    organization_id: str
    rule_catalog_version: str
    evidence_manifest_sha256: str
    partition: str
    caller_account_id: str
    """The account the audit ran from: Security Hub imports a custom integration's findings there."""
    securityhub_region: str

    @classmethod
    def from_meta(cls, meta: RunMeta, securityhub_region: str | None = None) -> ExportContext:
        match = _ARN.match(meta.caller_arn)
        if match is None:
            raise UserError(f"cannot read the partition and account of the caller ARN {meta.caller_arn!r}")
        partition, account = match.group(1), match.group(2)
        return cls(
            run_at=utc(meta.finished_at),
            tool_version=meta.tool_version,
            organization_id=meta.organization_id,
            rule_catalog_version=meta.rule_catalog_version,
            evidence_manifest_sha256=meta.evidence_manifest_sha256,
            partition=partition,
            caller_account_id=account,
            securityhub_region=securityhub_region or DEFAULT_SECURITYHUB_REGION.get(partition, "us-east-1"),
        )


def text(value: Any) -> str | None:
    """A record value as a non-blank string, or None (nulls, NaN, empty strings)."""
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return None
    out = value.isoformat() if isinstance(value, dt.date) else str(value)
    return out if out.strip() else None


def frameworks_list(frameworks: Any) -> list[str]:
    """The AWS controls a rule mirrors, from its ``frameworks:`` header; [] for "none (…)"."""
    value = text(frameworks)
    if value is None or value.startswith("none"):
        return []
    return [part.strip() for part in value.split(";") if part.strip()]


def partition_of(region: str, fallback: str) -> str:
    """The partition of a row's region; IAM rows (region "global") take the caller's partition."""
    return fallback if region == "global" else partition_of_region(region) or fallback


def truncate(value: str, limit: int) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


def write_json_lines_array(items: Iterable[str], path: Path) -> int:
    """Write already-encoded JSON values as one array, one value per line (diffable, streamable);
    returns how many were written. The file appears whole or not at all."""
    count = 0

    def write(temp: Path) -> None:
        nonlocal count
        with temp.open("w", encoding="utf-8", newline="\n") as out:
            out.write("[")
            separator = "\n"
            for item in items:
                out.write(separator + item)
                separator = ",\n"
                count += 1
            out.write("\n]\n")

    atomic_write(path, write)
    return count
