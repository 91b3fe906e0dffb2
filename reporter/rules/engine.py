"""The rules engine: run the catalog (reporter/rules/catalog.py) over an inventory in DuckDB.

``run_rules(inventory, settings)`` returns the findings frame: FINDING_COLUMNS + guide_section,
one row per (rule, resource), status pass / fail / error (waivers are applied later, by
reporter.waivers), sorted by (rule_id, account_id, region, resource_id) so findings.json is
byte-reproducible.

How a run goes, on one in-memory DuckDB database (reporter/rules/database.py: its memory limit
and spill directory come from the settings); steps 1–4 run once, or once per batch of accounts
when ``rules_partition_functions`` is set (reporter/rules/partition.py), each batch's rows of a
rule put end to end after the previous batch's:

1. Every inventory table is registered explicitly (Arrow, zero-copy), plus ``runtimes`` and
   ``admin_policies`` from the dated data files (reporter/rules/data.py) and ``rule_meta``; the
   views of queries/views are created.
2. Each rule runs once with the named parameters it uses (rules run side by side, one DuckDB
   cursor per worker thread); its remediation template is compiled to SQL (filled on failing rows
   only), and its rows come back as one Arrow table, sorted in Arrow by (account_id, region,
   resource_id). No global sort of a million wide rows is needed: rules run in id order and their
   tables are concatenated.
3. The result contract is checked: columns, status pass/fail, scope as resource_type, non-null
   keys and reasons, one row per resource. A breach is a bug in the rule: :class:`RuleError`.
4. Error rows (reporter/rules/error_rows.py: unread data is never a pass). Only the rules they touch
   are rebuilt, their rows merged with the added ones and sorted again.
5. Per-rule columns (title, severity, guide section) and per-account columns (account name, OU
   path) are filled by Arrow ``take``; no per-row Python runs anywhere.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from reporter.errors import UserError
from reporter.findings import FINDING_COLUMNS
from reporter.inventory import TABLES, Inventory, to_arrow
from reporter.rules.catalog import (
    GUIDE_SECTIONS,
    MACROS,
    PARAMETERS,
    RESULT_COLUMNS,
    RULE_CATALOG_VERSION,
    RULES_DIR,
    SCOPES,
    STATIC_TABLES,
    VIEWS_DIR,
    Rule,
    RuleError,
    View,
    catalog_frame,
    format_catalog,
    load_catalog,
    load_rule,
    load_view,
    load_views,
    mentioned,
    remediation_sql,
    strip_sql,
)
from reporter.rules.data import load_admin_policies, load_runtimes
from reporter.rules.database import database
from reporter.rules.error_rows import apply_errors, expanded_reads
from reporter.rules.partition import account_batches, batch_tables, in_order
from reporter.settings import Settings, judging_problems

__all__ = [
    "GUIDE_SECTIONS",
    "PARAMETERS",
    "RESULT_COLUMNS",
    "RULES_DIR",
    "RULE_CATALOG_VERSION",
    "SCOPES",
    "STATIC_TABLES",
    "VIEWS_DIR",
    "Rule",
    "RuleError",
    "View",
    "catalog_frame",
    "format_catalog",
    "load_catalog",
    "load_rule",
    "load_view",
    "load_views",
    "mentioned",
    "remediation_sql",
    "run_rules",
    "strip_sql",
]

ROW_COLUMNS: tuple[str, ...] = ("rule_id", *RESULT_COLUMNS, "remediation")
"""What each rule's Arrow table holds, in order, all strings."""
ROW_SCHEMA = pa.schema([pa.field(c, pa.string()) for c in ROW_COLUMNS])
ROW_KEYS: tuple[str, ...] = ("account_id", "region", "resource_id")
"""Order of rows within a rule (a unique key: checked); rules themselves come in id order."""

MAX_WORKERS = 4
"""Rules run side by side on at most this many threads (and never more than the CPUs)."""

_META_FIELDS: list[pa.Field[Any]] = [
    *(pa.field(c, pa.string()) for c in ("rule_id", "title", "severity", "guide_section", "scope")),
    pa.field("spans_account", pa.bool_()),
    pa.field("reads", pa.list_(pa.string())),
]


def run_rules(
    inventory: Inventory, settings: Settings, *, rules: Sequence[Rule] | None = None
) -> pd.DataFrame:
    """Judge ``inventory``: FINDING_COLUMNS + guide_section, one row per (rule, resource), sorted.

    With ``settings.rules_partition_functions`` set, the accounts are judged in batches
    (reporter/rules/partition.py) and each rule's rows put end to end: the same frame, with the
    working memory of one batch at a time. ``settings.rules_memory_limit`` caps DuckDB's buffer
    manager, which spills to ``settings.spill_dir`` past it.
    """
    problems = judging_problems(settings)
    if problems:
        raise UserError(problems[0][1])
    catalog = tuple(sorted(load_catalog() if rules is None else rules, key=lambda r: r.id))
    parameters = settings.rule_parameters()
    tables = _input_tables(inventory, catalog)
    batches = account_batches(tables, settings.rules_partition_functions)
    with database(settings) as db:
        if batches is None:
            results = _judge(db, tables, catalog, parameters)
        else:
            pieces = [_judge(db, batch_tables(tables, b), catalog, parameters) for b in batches]
            results = _joined(pieces, ordered=in_order(batches))
    del tables
    return _findings(inventory, catalog, results)


def _judge(
    db: duckdb.DuckDBPyConnection,
    tables: dict[str, pa.Table],
    catalog: Sequence[Rule],
    parameters: dict[str, Any],
) -> list[pa.Table]:
    """Each rule's rows over ``tables``, error rows applied. Registered tables, views and the
    error rows' temp tables are local to a connection: a fresh cursor starts each batch clean."""
    con = db.cursor()
    try:
        _prepare(con, tables)
        results = _run_all(con, tables, catalog, parameters)
        con.register("rule_results", pa.concat_tables(results) if results else ROW_SCHEMA.empty_table())
        _validate(con)
        apply_errors(con)
        return _with_errors(con, catalog, results)
    finally:
        con.close()


def _joined(pieces: list[list[pa.Table]], *, ordered: bool) -> list[pa.Table]:
    """Each rule's rows from every batch, end to end (zero-copy); sorted again only when the
    batches' accounts interleave (accounts linked across the order, see partition.in_order)."""
    out: list[pa.Table] = []
    for i in range(len(pieces[0])):
        rows = pa.concat_tables([piece[i] for piece in pieces])
        out.append(rows if ordered else _sorted(rows))
        for piece in pieces:
            piece[i] = ROW_SCHEMA.empty_table()  # the batch's copy is now held once, in ``rows``
    return out


def _input_tables(inventory: Inventory, catalog: Sequence[Rule]) -> dict[str, pa.Table]:
    """Every table a rule may read, as Arrow (zero-copy from the inventory's Arrow-backed frames)."""
    tables = {name: to_arrow(name, inventory[name]) for name in TABLES}
    tables["runtimes"] = pa.Table.from_pandas(load_runtimes().frame, preserve_index=False)
    tables["admin_policies"] = pa.Table.from_pandas(load_admin_policies().frame, preserve_index=False)
    meta = [
        {
            "rule_id": r.id,
            "title": r.title,
            "severity": r.severity,
            "guide_section": r.guide_section,
            "scope": r.scope,
            "spans_account": r.spans_account,
            "reads": sorted(expanded_reads(r.judged_on)),
        }
        for r in catalog
    ]
    tables["rule_meta"] = pa.Table.from_pylist(meta, schema=pa.schema(_META_FIELDS))
    return tables


def _prepare(con: duckdb.DuckDBPyConnection, tables: dict[str, pa.Table]) -> None:
    """Register the tables and create the macros and views, all local to ``con``."""
    for name, table in tables.items():
        con.register(name, table)
    for macro in MACROS:
        con.execute(macro)
    for view in load_views():
        con.execute(f'create temp view "{view.name}" as {view.sql}')


def _run_all(
    con: duckdb.DuckDBPyConnection,
    tables: dict[str, pa.Table],
    catalog: Sequence[Rule],
    parameters: dict[str, Any],
) -> list[pa.Table]:
    """Each rule's rows, in catalog order. A rule query over ~100k rows barely parallelises inside
    DuckDB, so rules run side by side, one cursor per worker thread (DuckDB releases the GIL)."""
    workers = min(len(catalog), os.cpu_count() or 1, MAX_WORKERS)
    if workers <= 1:
        return [_run_one(con, rule, parameters) for rule in catalog]
    local = threading.local()
    cursors: list[duckdb.DuckDBPyConnection] = []
    lock = threading.Lock()

    def run(rule: Rule) -> pa.Table:
        cursor = getattr(local, "cursor", None)
        if cursor is None:
            with lock:  # cursors share the database catalog; create them one at a time
                cursor = con.cursor()
                _prepare(cursor, tables)
                cursors.append(cursor)
            local.cursor = cursor
        return _run_one(cursor, rule, parameters)

    try:
        with ThreadPoolExecutor(workers) as pool:
            return list(pool.map(run, catalog))
    finally:
        for cursor in cursors:
            cursor.close()


def _run_one(con: duckdb.DuckDBPyConnection, rule: Rule, parameters: dict[str, object]) -> pa.Table:
    where = f"{rule.id} ({rule.path or 'in memory'})"
    used = {name: parameters[name] for name in rule.parameters}
    try:
        columns = [d[0] for d in con.execute(f"select * from ({rule.sql}) limit 0", used).description]
    except duckdb.Error as exc:
        raise RuleError(f"{where}: query fails: {exc}") from None
    missing = [c for c in (*RESULT_COLUMNS, *rule.template_fields) if c not in columns]
    if missing:
        raise RuleError(f"{where}: result lacks column(s) {', '.join(missing)}")
    outputs = ", ".join(f'cast(r."{c}" as varchar) as "{c}"' for c in RESULT_COLUMNS)
    rule_id = rule.id.replace("'", "''")
    query = f"""select '{rule_id}' as rule_id, {outputs},
                       case when r.status = 'fail' then {remediation_sql(rule.remediation)} end as remediation
                from ({rule.sql}) as r"""
    try:
        table = con.sql(query, params=used or None).to_arrow_table().cast(ROW_SCHEMA)
    except duckdb.Error as exc:
        raise RuleError(f"{where}: query fails: {exc}") from None
    table = _sorted(table)
    _check_unique(rule, table)
    return table


def _sorted(table: pa.Table) -> pa.Table:
    """Rows in ROW_KEYS order. Sorted in Arrow on the keys alone, then gathered: cheaper than a
    DuckDB ORDER BY, which carries the long reason and remediation strings through the sort."""
    return table.take(pc.sort_indices(table, sort_keys=[(k, "ascending") for k in ROW_KEYS]))


def _check_unique(rule: Rule, table: pa.Table) -> None:
    """One row per resource: rows are sorted by key, so a duplicate sits next to its twin."""
    if table.num_rows < 2:
        return
    keys: list[Any] = [table[c].combine_chunks() for c in ROW_KEYS]
    same = pc.fill_null(pc.equal(keys[0][1:], keys[0][:-1]), False)
    for key in keys[1:]:
        same = pc.and_(same, pc.fill_null(pc.equal(key[1:], key[:-1]), False))
    flags = same.to_numpy(zero_copy_only=False)
    if not flags.any():
        return
    first = int(np.argmax(flags))
    last = first
    while last < len(flags) and flags[last]:
        last += 1
    account, region, resource = (k[first].as_py() for k in keys)
    raise RuleError(f"{rule.id}: {last - first + 1} rows for {account}/{region}/{resource} (a join fans out)")


def _validate(con: duckdb.DuckDBPyConnection) -> None:
    """Every row must be judged, typed by its rule's scope, with its keys: a rule bug stops the run."""
    bad = con.execute(
        """select r.rule_id, r.account_id, r.region, r.resource_id, r.resource_type, r.status, m.scope
           from rule_results r join rule_meta m using (rule_id)
           where r.status is null or r.status not in ('pass', 'fail') or r.reason is null
              or r.account_id is null or r.region is null or r.resource_id is null
              or r.resource_type is distinct from m.scope
              or (m.scope = 'function' and r.resource_arn is null)
           order by all limit 1"""
    ).fetchone()
    if bad:
        rule_id, account, region, resource, rtype, status, scope = bad
        raise RuleError(
            f"{rule_id}: row {account}/{region}/{resource} breaks the result contract "
            f"(status {status!r}, resource_type {rtype!r} for scope {scope!r}, or a null key/reason)"
        )


def _with_errors(
    con: duckdb.DuckDBPyConnection, catalog: Sequence[Rule], results: list[pa.Table]
) -> list[pa.Table]:
    """Rebuild the rules that error rows touch: their rows with verdicts applied, plus added rows."""
    touched = {
        row[0]
        for row in con.execute(
            "select distinct rule_id from verdicts union select distinct rule_id from added"
        ).fetchall()
    }
    out = list(results)
    for i, rule in enumerate(catalog):
        if rule.id not in touched:
            continue
        con.register("one_rule", results[i])
        out[i] = (
            con.sql(
                """select r.rule_id, r.account_id, r.region, r.resource_type, r.resource_id, r.resource_arn,
                           case when v.reason is null then r.status else 'error' end as status,
                           coalesce(v.reason, r.reason) as reason,
                           case when v.reason is null then r.remediation end as remediation
                    from one_rule r
                    left join verdicts v
                        on v.rule_id = r.rule_id and v.account_id = r.account_id and v.region = r.region
                        and v.resource_id = r.resource_id
                    union all
                    select a.rule_id, a.account_id, a.region, a.resource_type, a.resource_id, a.resource_arn,
                           'error', v.reason, null
                    from added a
                    join verdicts v
                        on v.rule_id = a.rule_id and v.account_id = a.account_id and v.region = a.region
                        and v.resource_id = a.resource_id
                    where a.rule_id = $rule""",
                params={"rule": rule.id},
            )
            .to_arrow_table()
            .cast(ROW_SCHEMA)
        )
        out[i] = _sorted(out[i])
        con.unregister("one_rule")
    return out


def _findings(inventory: Inventory, catalog: Sequence[Rule], results: list[pa.Table]) -> pd.DataFrame:
    """The findings frame; per-rule and per-account columns are filled by Arrow ``take``."""
    rows = pa.concat_tables(results) if results else ROW_SCHEMA.empty_table()
    # contiguous index arrays: take() over many small chunks is several times slower
    by_rule = pc.index_in(
        rows["rule_id"].combine_chunks(), value_set=pa.array([r.id for r in catalog], pa.string())
    )

    def per_rule(attribute: str) -> pa.Array:
        return pc.take(pa.array([getattr(r, attribute) for r in catalog], pa.string()), by_rule)

    accounts = to_arrow("accounts", inventory["accounts"])
    # index_in finds an account's first listing, should the accounts table ever repeat one
    by_account = pc.index_in(rows["account_id"].combine_chunks(), value_set=accounts["account_id"])
    nulls = pa.nulls(rows.num_rows, pa.string())
    filled: dict[str, pa.Array | pa.ChunkedArray] = {
        "title": per_rule("title"),
        "severity": per_rule("severity"),
        "guide_section": per_rule("guide_section"),
        "account_name": pc.take(accounts["name"], by_account),
        "ou_path": pc.take(accounts["ou_path"], by_account),
        "waiver_id": nulls,  # waivers are applied later (reporter.waivers)
        "waiver_expires": nulls,
    }
    names = (*FINDING_COLUMNS, "guide_section")
    arrays: list[pa.Array | pa.ChunkedArray] = [
        rows[n] if n in rows.column_names else filled[n] for n in names
    ]
    table = pa.table(arrays, names=list(names)).cast(pa.schema([pa.field(n, pa.string()) for n in names]))
    return table.to_pandas(types_mapper=pd.ArrowDtype)
