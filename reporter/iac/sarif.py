"""SARIF 2.1.0: one result per open finding (fail, error, waived as a suppressed result), located at
its template's file and line; for a Terraform plan, at the plan file with the resource address as
a logical location (a plan has no lines worth pointing at).

Code scanning (GitHub) keys alerts on ``ruleId`` + ``partialFingerprints``: the fingerprint is the
rule and the logical id/address, so an alert survives unrelated edits that move the line.
The shipped schema (reporter/data/sarif-schema-2.1.0.json, the OASIS errata01 file) is what the
tests validate against; nothing is fetched at run time.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from reporter import __version__
from reporter.iac.build import Location
from reporter.outputs import atomic_write
from reporter.rules.catalog import Rule

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "data" / "sarif-schema-2.1.0.json"
SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/reporter/reporter"
_LEVELS = {"critical": "error", "high": "error", "medium": "warning", "low": "note"}
_SCORES = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0"}


def sarif_log(
    findings: pd.DataFrame,
    catalog: Sequence[Rule],
    not_applicable: Sequence[str] = (),
    role_locations: Mapping[str, Location] | None = None,
) -> dict[str, Any]:
    """The SARIF log of ``findings`` (scan findings with ``file``, ``line``, ``logical_id``)."""
    rules = sorted(catalog, key=lambda r: r.id)
    index = {r.id: i for i, r in enumerate(rules)}
    shown = findings[findings["status"].isin(["fail", "error", "waived"])]
    rows: list[Any] = list(shown.itertuples(index=False))
    rows.sort(
        key=lambda r: (str(r.file), int(r.line) if _has(r.line) else 0, str(r.rule_id), str(r.resource_id))
    )
    role_rules = {r.id for r in catalog if "roles" in r.reads}
    results = []
    for row in rows:
        result = _result(row, index)
        role = (role_locations or {}).get(str(row.resource_arn)) if row.rule_id in role_rules else None
        if role is not None:  # the fix is usually in the execution role: point at it too
            related: dict[str, Any] = {"artifactLocation": {"uri": _uri(role.path), "uriBaseId": "%SRCROOT%"}}
            if role.line:
                related["region"] = {"startLine": role.line}
            result["relatedLocations"] = [
                {
                    "id": 1,
                    "physicalLocation": related,
                    "message": {"text": f"execution role {role.logical_id}"},
                }
            ]
        results.append(result)
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "reporter",
                        "version": __version__,
                        "informationUri": INFORMATION_URI,
                        "rules": [_rule(r) for r in rules],
                    }
                },
                "columnKind": "unicodeCodePoints",
                "results": results,
                # rules whose data only a live account holds: never judged on code, never a pass
                "properties": {"notApplicableRules": list(not_applicable)},
            }
        ],
    }


def _rule(rule: Rule) -> dict[str, Any]:
    return {
        "id": rule.id,
        "name": rule.id.replace("-", ""),
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": f"{rule.title} (guide: {rule.guide_section}; also: {rule.frameworks})"},
        "help": {"text": f"Remediation: {rule.remediation}"},
        "defaultConfiguration": {"level": _LEVELS.get(rule.severity, "warning")},
        "properties": {
            "tags": ["lambda", "governance", rule.guide_section],
            "security-severity": _SCORES.get(rule.severity, "5.0"),
            "severity": rule.severity,
        },
    }


def _result(row: Any, index: dict[str, int]) -> dict[str, Any]:
    text = str(row.reason)
    if row.status == "fail" and isinstance(row.remediation, str) and row.remediation:
        text += f". Fix: {row.remediation}"
    physical: dict[str, Any] = {"artifactLocation": {"uri": _uri(str(row.file)), "uriBaseId": "%SRCROOT%"}}
    if _has(row.line):
        physical["region"] = {"startLine": int(row.line)}
    location: dict[str, Any] = {
        "physicalLocation": physical,
        "logicalLocations": [
            {"name": str(row.resource_id), "fullyQualifiedName": str(row.label), "kind": "resource"}
        ],
    }
    fingerprint = hashlib.sha256(f"{row.rule_id}|{row.file}|{row.logical_id}".encode()).hexdigest()
    result: dict[str, Any] = {
        "ruleId": row.rule_id,
        "ruleIndex": index[row.rule_id],
        "level": "error" if row.status == "error" else _LEVELS.get(str(row.severity), "warning"),
        "kind": "fail",
        "message": {"text": text},
        "locations": [location],
        "partialFingerprints": {"reporterFinding/v1": fingerprint},
        "properties": {"status": row.status, "severity": row.severity},
    }
    if row.status == "waived":
        result["suppressions"] = [
            {"kind": "external", "status": "accepted", "justification": f"waiver {row.waiver_id}"}
        ]
    return result


def _has(value: Any) -> bool:
    return value is not None and not (isinstance(value, float) or value is pd.NA) and str(value) != ""


def _uri(path: str) -> str:
    """A relative URI (what code scanning maps onto the repository); spaces and such escaped."""
    from urllib.parse import quote

    candidate = Path(path)
    if candidate.is_absolute():
        try:
            candidate = candidate.relative_to(Path.cwd())
        except ValueError:
            return candidate.as_uri()
    return quote(candidate.as_posix())


def write_sarif(
    findings: pd.DataFrame,
    catalog: Sequence[Rule],
    path: Path,
    not_applicable: Sequence[str] = (),
    role_locations: Mapping[str, Location] | None = None,
) -> Path:
    log = sarif_log(findings, catalog, not_applicable, role_locations)

    def write(temp: Path) -> None:
        temp.write_text(json.dumps(log, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")

    atomic_write(path, write)
    return path
