"""The judgements made in Python before the SQL rules run, from what the evidence stores.

Called by the pipeline on every inventory it judges (crawled, demo or read from a snapshot), so
re-judging old evidence applies the current code. It fills what ``reporter.inventory`` declares
derived:

- ``function_policies.is_public`` from each stored ``statement``
  (:func:`reporter.iam.public_access.statement_is_public`);
- ``role_permissions`` and ``role_facts`` of the functions' execution roles, from ``roles`` and
  ``policy_documents``
  (:func:`reporter.iam.derive_role_tables`).

Failure scoping (DESIGN §1.3) holds here too: a statement that cannot be read is no pass. It gets
``is_public`` null and a coverage error for its function's ``function_policies`` (collector
``judge``), which makes every rule reading that table an ``error`` for that function. A role whose
documents cannot be analysed gets ``role_facts.analysis_error`` (reporter/iam/tables.py).
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import pyarrow as pa

from reporter.iam import derive_role_tables
from reporter.iam.public_access import statement_is_public
from reporter.inventory import Inventory, frame

JUDGE = "judge"
"""The ``coverage.collector`` of problems found while deriving."""


def derive(collected: Inventory) -> Inventory:
    """A new inventory: ``collected``'s tables with every derived table and column computed."""
    out = Inventory(dict(collected.tables))
    policies, problems = _judge_statements(collected["function_policies"])
    out["function_policies"] = policies
    if problems:
        out["coverage"] = pd.concat([collected["coverage"], frame("coverage", problems)], ignore_index=True)
    # only execution roles of the functions are analysed: every role-fact rule judges a function
    execution_roles = collected["functions"]["role_arn"].dropna().unique()
    for name, df in derive_role_tables(
        collected["roles"], collected["policy_documents"], execution_roles
    ).items():
        out[name] = df
    return out


def _judge_statements(policies: pd.DataFrame) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    verdicts: dict[str | None, bool | None] = {}
    column: list[bool | None] = []
    problems: dict[str, dict[str, Any]] = {}
    rows = pa.Table.from_pandas(
        policies.loc[:, ["account_id", "region", "function_arn", "sid", "statement"]], preserve_index=False
    ).to_pylist()
    for row in rows:
        text = row["statement"]
        if text not in verdicts:
            verdicts[text] = _verdict(text)
        verdict = verdicts[text]
        column.append(verdict)
        if verdict is None and row["function_arn"] not in problems:
            problems[row["function_arn"]] = _problem(row)
    judged = policies.copy()
    judged["is_public"] = pd.array(column, dtype="bool[pyarrow]")
    return judged, list(problems.values())


def _verdict(text: str | None) -> bool | None:
    """Whether the statement is public; None when it is missing or not a JSON object."""
    if text is None:
        return None
    try:
        statement = json.loads(text)
    except ValueError:
        return None
    return statement_is_public(statement) if isinstance(statement, dict) else None


def _problem(row: dict[str, Any]) -> dict[str, Any]:
    sid = row["sid"] or "(no Sid)"
    return {
        "account_id": row["account_id"],
        "region": row["region"],
        "collector": JUDGE,
        "tables": ["function_policies"],
        "resource_arn": row["function_arn"],
        "status": "error",
        "error_code": "InvalidPolicy",
        "message": f"stored statement {sid} is missing or not a JSON object; public access not judged",
        "api_calls": 0,
        "seconds": 0.0,
    }
