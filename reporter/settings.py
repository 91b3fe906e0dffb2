"""Frozen run settings: CLI arguments over an optional TOML file over defaults.

Thresholds, tag keys and weights live here and reach SQL rules as named parameters
(see :meth:`Settings.rule_parameters`), never as literals in several places.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from reporter.errors import UserError

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
    """Apply a TOML config file (``[thresholds]``, ``[weights]``, top-level crawl keys)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(f"{path}: config file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"{path}: invalid TOML: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"{path}: cannot read config: {exc}") from None
    known_top = {"role_name", "external_id", "workers", "regions", "pdf_rows_per_rule", "unit_timeout_s"}
    changes: dict[str, Any] = {}
    for key, value in data.items():
        if key == "thresholds":
            changes["thresholds"] = _thresholds(path, value, base.thresholds)
        elif key == "weights":
            changes["weights"] = _weights(path, value, base.weights)
        elif key in known_top:
            expected = type(getattr(base, key)) if getattr(base, key) is not None else str
            if key == "regions":
                if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                    raise UserError(f"{path}: 'regions' must be a list of strings")
                value = tuple(value)
            elif key == "unit_timeout_s" and isinstance(value, int):
                value = float(value)
            elif not isinstance(value, expected) or isinstance(value, bool):
                raise UserError(f"{path}: '{key}' must be {expected.__name__}")
            changes[key] = value
        else:
            raise UserError(f"{path}: unknown key '{key}'")
    return replace(base, **changes)


def _thresholds(path: Path, value: Any, base: Thresholds) -> Thresholds:
    if not isinstance(value, dict):
        raise UserError(f"{path}: [thresholds] must be a table")
    known = {f.name: type(getattr(base, f.name)) for f in fields(Thresholds)}
    changes: dict[str, Any] = {}
    for key, item in value.items():
        if key not in known:
            raise UserError(f"{path}: unknown threshold '{key}'")
        kind = known[key]
        if kind is float and isinstance(item, int) and not isinstance(item, bool):
            item = float(item)
        if not isinstance(item, kind) or isinstance(item, bool):
            raise UserError(f"{path}: threshold '{key}' must be {kind.__name__}")
        changes[key] = item
    return replace(base, **changes)


def _weights(path: Path, value: Any, base: dict[str, int]) -> dict[str, int]:
    if not isinstance(value, dict):
        raise UserError(f"{path}: [weights] must be a table")
    weights = dict(base)
    for key, item in value.items():
        if key not in SEVERITIES:
            raise UserError(f"{path}: unknown severity '{key}' in [weights]")
        if not isinstance(item, int) or isinstance(item, bool) or item < 0:
            raise UserError(f"{path}: weight '{key}' must be a non-negative integer")
        weights[key] = item
    return weights
