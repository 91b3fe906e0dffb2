"""The dated reference lists the rules judge against, loaded as tables for DuckDB.

- ``data/runtimes.json``: Lambda runtime deprecation dates (LG-RT-01/02), one file with its source
  URL and collection date, so the list lives in one place (unlike Prowler's two).
- ``data/admin_policies.json``: the AWS-managed policies that grant administrator or power-user
  access (LG-CFG-03 detects them in Config rule parameters).

Both are validated on load: a malformed entry is a :class:`~reporter.errors.ReporterError` naming
the file and the entry, because a silently skipped runtime would turn a deprecated one into a pass.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from reporter.errors import ReporterError

DATA_DIR = Path(__file__).parents[1] / "data"
RUNTIMES_FILE = DATA_DIR / "runtimes.json"
ADMIN_POLICIES_FILE = DATA_DIR / "admin_policies.json"

_RUNTIME_FIELDS: list[pa.Field[Any]] = [
    pa.field("runtime", pa.string()),
    pa.field("family", pa.string()),  # upgrade family: the successor is the family's latest runtime
    pa.field("deprecated", pa.date32()),
    pa.field("block_create", pa.date32()),  # null = not recorded in the data file
    pa.field("block_update", pa.date32()),
]
RUNTIMES_SCHEMA = pa.schema(_RUNTIME_FIELDS)
ADMIN_POLICIES_SCHEMA = pa.schema([pa.field("name", pa.string()), pa.field("arn_suffix", pa.string())])


class DataFileError(ReporterError):
    """A shipped data file is malformed (a packaging bug, not a user error)."""


@dataclass(frozen=True)
class ReferenceList:
    """One dated list: its rows as a typed frame, where it came from and when."""

    frame: pd.DataFrame
    source: str
    collected: dt.date


def _read(path: Path, list_key: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise DataFileError(f"{path}: cannot read: {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get(list_key), list):
        raise DataFileError(f"{path}: expected an object with a '{list_key}' list")
    for key in ("source", "collected"):
        if not isinstance(doc.get(key), str) or not doc[key]:
            raise DataFileError(f"{path}: '{key}' is required (a dated list names its source)")
    _date(path, "collected", doc["collected"])
    return doc, doc[list_key]


def _date(path: Path, where: str, value: Any) -> dt.date:
    if not isinstance(value, str):
        raise DataFileError(f"{path}: {where}: expected an ISO date, got {value!r}")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise DataFileError(f"{path}: {where}: '{value}' is not an ISO date") from None


def _optional_date(path: Path, where: str, value: Any) -> dt.date | None:
    return None if value is None else _date(path, where, value)


def _frame(rows: list[dict[str, Any]], schema: pa.Schema) -> pd.DataFrame:
    return pa.Table.from_pylist(rows, schema=schema).to_pandas(types_mapper=pd.ArrowDtype)


@cache
def load_runtimes(path: Path = RUNTIMES_FILE) -> ReferenceList:
    """runtime, family, deprecated, block_create, block_update — one row per runtime identifier."""
    doc, entries = _read(path, "runtimes")
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    for i, entry in enumerate(entries):
        where = f"runtimes[{i}]"
        if not isinstance(entry, dict):
            raise DataFileError(f"{path}: {where}: expected an object")
        name, family = entry.get("runtime"), entry.get("family")
        if not isinstance(name, str) or not name or not isinstance(family, str) or not family:
            raise DataFileError(f"{path}: {where}: 'runtime' and 'family' are required strings")
        if name in seen:
            raise DataFileError(f"{path}: {where}: duplicate runtime '{name}'")
        seen.add(name)
        rows.append(
            {
                "runtime": name,
                "family": family,
                "deprecated": _date(path, f"{name}.deprecated", entry.get("deprecated")),
                "block_create": _optional_date(path, f"{name}.block_create", entry.get("block_create")),
                "block_update": _optional_date(path, f"{name}.block_update", entry.get("block_update")),
            }
        )
    return ReferenceList(
        _frame(rows, RUNTIMES_SCHEMA), doc["source"], _date(path, "collected", doc["collected"])
    )


@cache
def load_admin_policies(path: Path = ADMIN_POLICIES_FILE) -> ReferenceList:
    """name, arn_suffix ("policy/AdministratorAccess"): match ``arn:<partition>:iam::aws:<suffix>``."""
    doc, entries = _read(path, "policies")
    rows: list[dict[str, Any]] = []
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict) or not all(
            isinstance(entry.get(k), str) and entry[k] for k in ("name", "arn_suffix")
        ):
            raise DataFileError(f"{path}: policies[{i}]: 'name' and 'arn_suffix' are required strings")
        rows.append({"name": entry["name"], "arn_suffix": entry["arn_suffix"]})
    return ReferenceList(
        _frame(rows, ADMIN_POLICIES_SCHEMA), doc["source"], _date(path, "collected", doc["collected"])
    )
