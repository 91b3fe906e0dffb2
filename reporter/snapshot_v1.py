"""Reading evidence of schema version 1 (reporter before the judge step; see reporter/snapshot.py).

Version 1 stored every table, the derived ones included, and ``function_policies`` with the
collector's ``is_public`` verdict but without the statement itself. Read today:

- the derived tables are verified against the manifest like every file, then left aside: the judge
  step recomputes them from ``roles`` and ``policy_documents``, which version 1 stored whole;
- ``is_public`` is dropped and each ``statement`` is rebuilt from the elements version 1 stored:
  Sid, Effect, Principal (``{"NotPrincipal": …}`` there stood for a NotPrincipal element, which no
  Principal element can spell), Action (``{"NotAction": …}`` likewise) and Condition. Resource was
  not stored; public access does not depend on it. An element that is not valid JSON leaves the
  statement null, which the judge step reports as an error for that function, never as a pass.
"""

from __future__ import annotations

import json
from typing import Any

import pyarrow as pa

from reporter.collectors.common import canonical_json
from reporter.inventory import COLLECTED_TABLES, SCHEMAS, TABLES, collected_schema

V1_TABLES: tuple[str, ...] = TABLES
"""Version 1 stored every table (its table list is today's)."""
_ADDED_IN_V2: dict[str, tuple[str, ...]] = {
    "function_policies": ("statement", "qualifier"),
    "config_recorders": ("recording_strategy", "excluded_types"),
    "roles": ("role_id",),
}
"""Columns version 1 did not have. ``statement`` is rebuilt from the stored elements; the others
were not read then: a version-1 policy row is the function's own (no qualifier), and a recorder
without a recording strategy is judged by allSupported and resourceTypes, as version 1 was."""


def v1_schema(table: str) -> pa.Schema:
    """The schema version 1 stored ``table`` under (derived columns included)."""
    schema = SCHEMAS[table]
    for name in _ADDED_IN_V2.get(table, ()):
        schema = schema.remove(schema.get_field_index(name))
    return schema


def v1_to_collected(table: str, arrow: pa.Table) -> pa.Table:
    """A version-1 table under today's collected schema."""
    if table not in COLLECTED_TABLES:
        raise KeyError(f"{table} is derived, not read from version-1 evidence")
    if table == "function_policies":
        statements = [_statement(row) for row in arrow.to_pylist()]
        arrow = arrow.append_column("statement", pa.array(statements, pa.string()))
    for name in _ADDED_IN_V2.get(table, ()):
        if name not in arrow.column_names:
            column = SCHEMAS[table].field(name)
            arrow = arrow.append_column(column, pa.nulls(arrow.num_rows, column.type))
    return arrow.select(collected_schema(table).names).cast(collected_schema(table))


def _statement(row: dict[str, Any]) -> str | None:
    try:
        principal = json.loads(row["principal"]) if row["principal"] is not None else None
        action = json.loads(row["action"]) if row["action"] is not None else None
        condition = json.loads(row["condition"]) if row["condition"] is not None else None
    except ValueError:
        return None
    statement: dict[str, Any] = {}
    if row["sid"] is not None:
        statement["Sid"] = row["sid"]
    if row["effect"] is not None:
        statement["Effect"] = row["effect"]
    statement.update(_element("Principal", principal))
    statement.update(_element("Action", action))
    if condition is not None:
        statement["Condition"] = condition
    return canonical_json(statement)


def _element(name: str, value: Any) -> dict[str, Any]:
    negated = f"Not{name}"
    if isinstance(value, dict) and set(value) == {negated}:
        return {negated: value[negated]}
    return {name: value}
