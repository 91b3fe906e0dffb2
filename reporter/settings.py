"""Frozen run settings: CLI arguments over an optional TOML file over defaults.

Thresholds, tag keys and weights live here and reach SQL rules as named parameters
(see :meth:`Settings.rule_parameters`), never as literals in several places.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from reporter.errors import UserError, problems_error

SEVERITIES: tuple[str, ...] = ("critical", "high", "medium", "low")


@dataclass(frozen=True)
class Thresholds:
    """Knobs of the rules; each reaches SQL as ``$<name>``."""

    high_risk_tag_key: str = "CostControl"
    """Tag key that marks a function as a runaway-cost risk (guide: concurrency limiter)."""
    high_risk_tag_value: str = "HighRisk"
    concurrency_cap: int = 5
    """The guide's CONCURRENCY_LIMIT: highest reserved concurrency a HighRisk function may have."""
    unreserved_min: int = 100
    """AWS keeps at least 100 unreserved; below this an account-region is starved."""
    unreserved_min_pct: float = 20.0
    latency_tag_key: str = "LatencyCritical"
    latency_tag_value: str = "true"
    code_size_max_bytes: int = 10 * 1024 * 1024
    runtime_warning_days: int = 180
    min_availability_zones: int = 2


@dataclass(frozen=True)
class Settings:
    """Everything a run needs to know; built once by the CLI."""

    # targets
    org: bool = False
    demo: bool = False
    accounts: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    ous: tuple[str, ...] = ()
    # access
    role_name: str = "OrganizationAccountAccessRole"
    external_id: str | None = None
    profile: str | None = None
    endpoint_url: str | None = None
    # crawl
    workers: int = 16
    unit_timeout_s: float = 300.0
    unit_attempts: int = 2
    executor: str = "local"
    """Where units run: local (threads), dask-local[:N] or dask://HOST:PORT (reporter/aws/executors.py)."""
    worker_credentials: str = "handover"
    """Dask workers' starting identity: the driver's keys handed over in memory, or their own chain."""
    # outputs
    out: Path = Path("reports")
    formats: tuple[str, ...] = ("xlsx", "pdf", "json", "csv")
    securityhub_region: str | None = None
    """Region findings.asff.json is meant to be imported into (its ProductArn names it)."""
    from_snapshot: Path | None = None
    waivers: Path | None = None
    fail_on: str | None = None
    history: Path | None = None
    compare: Path | None = None
    keep: int | None = None
    demo_months: int = 1
    pdf_rows_per_rule: int = 10
    # judging at scale (reporter/rules/engine.py); defaults judge in one piece, as before
    rules_memory_limit: str | None = None
    """DuckDB ``memory_limit`` of the rules stage ("4GB"); None = DuckDB's default, 80 % of RAM."""
    spill_dir: Path | None = None
    """Where DuckDB spills past ``rules_memory_limit``; None = a fresh directory in the system temp."""
    rules_partition_functions: int = 0
    """Judge the accounts in batches of about this many functions (0 = all in one batch)."""
    # judgement
    run_date: dt.date = field(default_factory=lambda: dt.datetime.now(dt.UTC).date())
    thresholds: Thresholds = field(default_factory=Thresholds)
    weights: dict[str, int] = field(
        default_factory=lambda: {"critical": 10, "high": 5, "medium": 3, "low": 1}
    )

    def rule_parameters(self) -> dict[str, Any]:
        """Named parameters every rule query may use (``$name`` in SQL)."""
        params: dict[str, Any] = {f.name: getattr(self.thresholds, f.name) for f in fields(Thresholds)}
        params["run_date"] = self.run_date
        return params


def load_config(path: Path, base: Settings) -> Settings:
    """Apply a TOML config file (``[thresholds]``, ``[weights]``, top-level crawl keys).

    Every problem of the file is listed, ``file:line: message``, in one :class:`UserError`.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserError(f"{path}: config file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"{path}: cannot read config: {exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        at = _TOML_AT.search(str(exc))
        line = int(at.group(1)) if at else max(1, len(text.splitlines()))  # "at end of document"
        raise UserError(f"{path}:{line}: invalid TOML: {exc}") from None
    problems = _ConfigProblems(path, text)
    changes: dict[str, Any] = {}
    for key, value in data.items():
        if key == "thresholds":
            changes["thresholds"] = _thresholds(problems, value, base.thresholds)
        elif key == "weights":
            changes["weights"] = _weights(problems, value, base.weights)
        elif key in _KNOWN_TOP:
            expected = type(getattr(base, key)) if getattr(base, key) is not None else str
            if key == "regions":
                if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                    problems.add(None, key, "'regions' must be a list of strings")
                    continue
                value = tuple(value)
            elif key == "unit_timeout_s" and isinstance(value, int):
                value = float(value)
            elif key == "spill_dir":
                if not isinstance(value, str) or not value:
                    problems.add(None, key, "'spill_dir' must be a directory path")
                    continue
                value = Path(value)
            elif not isinstance(value, expected) or isinstance(value, bool):
                problems.add(None, key, f"'{key}' must be {expected.__name__}")
                continue
            changes[key] = value
        else:
            problems.add(None, key, f"unknown key '{key}'")
    for key, message in judging_problems(replace(base, **changes)):
        if key in data:
            problems.add(None, key, message)
    if problems.lines:
        raise problems_error(problems.lines)
    return replace(base, **changes)


_KNOWN_TOP = frozenset(
    {
        "role_name",
        "external_id",
        "workers",
        "regions",
        "pdf_rows_per_rule",
        "unit_timeout_s",
        "rules_memory_limit",
        "spill_dir",
        "rules_partition_functions",
        "executor",
        "worker_credentials",
    }
)
_TOML_AT = re.compile(r"at line (\d+)")
_TABLE_HEADER = re.compile(r"\s*\[\s*([A-Za-z0-9_-]+)\s*\]")
_KEY = re.compile(r"""\s*(?:"([^"]*)"|'([^']*)'|([A-Za-z0-9_-]+))\s*=""")


class _ConfigProblems:
    """Problems of one TOML file with the line of the key each is about.

    tomllib does not report where a key was read, so the lines come from a scan of the text: enough
    for the plain ``key = value`` and ``[table]`` lines the config is made of (anything else is
    given the line of its table).
    """

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.lines: list[str] = []
        self._where: dict[tuple[str | None, str], int] = {}
        table: str | None = None
        for number, line in enumerate(text.splitlines(), start=1):
            if header := _TABLE_HEADER.match(line):
                table = header.group(1)
                self._where.setdefault((None, table), number)
            elif key := _KEY.match(line):
                name = next(g for g in key.groups() if g is not None)
                self._where.setdefault((table, name), number)

    def add(self, table: str | None, key: str, message: str) -> None:
        line = self._where.get((table, key)) or self._where.get((None, table or key)) or 1
        self.lines.append(f"{self.path}:{line}: {message}")


def _thresholds(problems: _ConfigProblems, value: Any, base: Thresholds) -> Thresholds:
    if not isinstance(value, dict):
        problems.add(None, "thresholds", "[thresholds] must be a table")
        return base
    known = {f.name: type(getattr(base, f.name)) for f in fields(Thresholds)}
    changes: dict[str, Any] = {}
    for key, item in value.items():
        if key not in known:
            problems.add("thresholds", key, f"unknown threshold '{key}'")
            continue
        kind = known[key]
        if kind is float and isinstance(item, int) and not isinstance(item, bool):
            item = float(item)
        if not isinstance(item, kind) or isinstance(item, bool):
            problems.add("thresholds", key, f"threshold '{key}' must be {kind.__name__}")
            continue
        changes[key] = item
    return replace(base, **changes)


def _weights(problems: _ConfigProblems, value: Any, base: dict[str, int]) -> dict[str, int]:
    if not isinstance(value, dict):
        problems.add(None, "weights", "[weights] must be a table")
        return base
    weights = dict(base)
    for key, item in value.items():
        if key not in SEVERITIES:
            problems.add("weights", key, f"unknown severity '{key}' in [weights]")
        elif not isinstance(item, int) or isinstance(item, bool) or item < 0:
            problems.add("weights", key, f"weight '{key}' must be a non-negative integer")
        else:
            weights[key] = item
    return weights


# --- judging at scale ----------------------------------------------------------------------------

MEMORY_LIMIT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*$", re.IGNORECASE)
"""A DuckDB memory size: a number and a unit (DuckDB also reads "80%", not accepted here: a
ceiling the benchmark reports must be a size)."""


def judging_problems(settings: Settings) -> list[tuple[str, str]]:
    """(key, message) for each bad judging setting: a malformed memory limit, a negative batch
    size, or a spill directory that is a file."""
    problems: list[tuple[str, str]] = []
    limit = settings.rules_memory_limit
    if limit is not None:
        size = MEMORY_LIMIT.match(limit)
        if size is None or float(size.group(1)) <= 0:
            problems.append(
                (
                    "rules_memory_limit",
                    f"'rules_memory_limit' must be a size like 4GB or 512MB, not {limit!r}",
                )
            )
    if settings.rules_partition_functions < 0:
        problems.append(
            ("rules_partition_functions", "'rules_partition_functions' must be 0 (one batch) or more")
        )
    if settings.spill_dir is not None and settings.spill_dir.exists() and not settings.spill_dir.is_dir():
        problems.append(("spill_dir", f"'spill_dir' {settings.spill_dir} is a file, not a directory"))
    return problems


# --- target filters -------------------------------------------------------------------------------

ACCOUNT_ID = re.compile(r"^\d{12}$")


def filter_problems(settings: Settings) -> list[str]:
    """Malformed account ids, region names and worker counts: checkable before any AWS call."""
    # botocore's partition data knows every partition's region-name pattern (aws-eusc included)
    from reporter.aws.executors import executor_problems
    from reporter.aws.partitions import partition_of_region

    problems = [
        f"--accounts: '{acct}' is not a 12-digit AWS account id"
        for acct in settings.accounts
        if not ACCOUNT_ID.match(acct)
    ]
    problems += [
        f"--regions: '{region}' is not a region name (like eu-west-1)"
        for region in settings.regions
        if partition_of_region(region) is None
    ]
    if settings.workers < 1 or settings.workers > 512:
        problems.append("--workers must be between 1 and 512")
    if settings.executor != "local" and settings.from_snapshot is not None:
        problems.append("--executor: --from-snapshot crawls nothing; leave --executor out")
    problems += executor_problems(settings.executor, settings.worker_credentials)
    return problems
