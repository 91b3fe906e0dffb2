"""Values known only at deploy → ``error`` rows with the reason "unresolved: …", never a verdict.

Which rules an :class:`~reporter.iac.build.Unknown` touches is read from the rules themselves, so a
new rule needs no entry here:

- ``column`` C: the function-scope rules whose own query names C;
- ``table`` T / ``role``: the function-scope rules that read T (derived tables through their sources);
- ``tag`` K: the rules whose parameters include a ``*_tag_key`` setting equal to K. Only here are
  rows *added* where the rule returned none: an unknown tag value leaves unknown whether the rule
  applies at all; so are an unknown subnet list's (whether the function is in a VPC is unknown).
  (An unknown execution role is added by the engine itself: it is not in ``roles``.)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields

import pandas as pd

from reporter.iac.build import Unknown
from reporter.inventory import Inventory
from reporter.rules.catalog import Rule, mentioned
from reporter.rules.error_rows import expanded_reads
from reporter.settings import Settings, Thresholds


def touched_rules(unknown: Unknown, catalog: Sequence[Rule], settings: Settings) -> list[Rule]:
    rules = [r for r in catalog if r.scope == "function"]
    if unknown.kind == "column":
        return [r for r in rules if unknown.key in mentioned(r.sql, [unknown.key])]
    if unknown.kind in ("table", "role"):
        return [r for r in rules if unknown.key in expanded_reads(r.judged_on)]
    if unknown.kind == "tag":
        names = {
            f.name
            for f in fields(Thresholds)
            if f.name.endswith("_tag_key") and getattr(settings.thresholds, f.name) == unknown.key
        }
        return [r for r in rules if names & set(r.parameters)]
    return []


def apply_unknowns(
    findings: pd.DataFrame,
    unknowns: Sequence[Unknown],
    catalog: Sequence[Rule],
    settings: Settings,
    inventory: Inventory,
) -> pd.DataFrame:
    """``findings`` with the rows the unknowns touch turned into (or added as) error rows."""
    if not unknowns:
        return findings
    reasons: dict[tuple[str, str], list[str]] = {}
    adds: set[tuple[str, str]] = set()
    for unknown in unknowns:
        for rule in touched_rules(unknown, catalog, settings):
            key = (rule.id, unknown.function_arn)
            reasons.setdefault(key, []).append(unknown.reason)
            if unknown.adds:
                adds.add(key)
    out = findings.copy()
    keys = list(zip(out["rule_id"].astype(object), out["resource_arn"].astype(object), strict=True))
    status = out["status"].astype(object).tolist()
    reason = out["reason"].astype(object).tolist()
    remediation = out["remediation"].astype(object).tolist()
    present = set()
    for i, key in enumerate(keys):
        if key in reasons:
            present.add(key)
            status[i] = "error"
            reason[i] = "; ".join(dict.fromkeys(reasons[key]))
            remediation[i] = None
    out["status"], out["reason"], out["remediation"] = status, reason, remediation
    missing = sorted(adds - present)
    if missing:
        out = pd.concat(
            [out, _added_rows(missing, reasons, catalog, inventory, out.columns)], ignore_index=True
        )
    return out.astype(dict.fromkeys(out.columns, "string[pyarrow]"))


def _added_rows(
    missing: list[tuple[str, str]],
    reasons: dict[tuple[str, str], list[str]],
    catalog: Sequence[Rule],
    inventory: Inventory,
    columns: pd.Index,
) -> pd.DataFrame:
    by_id = {r.id: r for r in catalog}
    functions = inventory["functions"].set_index("function_arn")
    accounts = inventory["accounts"].set_index("account_id")
    rows = []
    for rule_id, arn in missing:
        rule = by_id[rule_id]
        fn = functions.loc[arn]
        account = str(fn["account_id"])
        rows.append(
            {
                "rule_id": rule_id,
                "title": rule.title,
                "severity": rule.severity,
                "guide_section": rule.guide_section,
                "status": "error",
                "account_id": account,
                "account_name": str(accounts.loc[account, "name"]),
                "ou_path": str(accounts.loc[account, "ou_path"]),
                "region": str(fn["region"]),
                "resource_type": "function",
                "resource_id": str(fn["name"]),
                "resource_arn": arn,
                "reason": "; ".join(dict.fromkeys(reasons[(rule_id, arn)])),
            }
        )
    return pd.DataFrame(rows, columns=columns)
