"""Partitioned judging: the accounts of an inventory in batches that can be judged apart.

Every rule, view and error-row step joins rows within one account: on ``account_id`` itself, or on
an ARN that names the account (a function's ARN, its execution role's ARN), with the static tables
(``runtimes``, ``admin_policies``, ``rule_meta``) shared by all. So judging the accounts batch by
batch gives the rows judging them together gives, provided the ARN joins stay inside a batch.
An execution role normally sits in its function's account, yet nothing here relies on it:
:data:`_LINKS` lists every join on a key other than ``account_id`` (checked
against queries/rules, queries/views and reporter/rules/error_rows.py), and accounts whose rows
meet through one of them are judged in the same batch. A rule that joins across accounts by
another key must add its link here; the equality tests (tests/rules/test_partition.py) run the
whole catalog both ways.

Rows with no ``account_id`` cannot be placed: an inventory holding one is judged in one piece.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from reporter.inventory import TABLES

_ARN_TABLES = {
    "role_arn": ("roles", "role_facts", "role_permissions", "policy_documents"),
    "function_arn": ("function_policies", "function_urls", "provisioned_concurrency"),
}

_LINKS: tuple[str, ...] = (
    *(
        f"select f.account_id as a, t.account_id as b from functions f join {table} t on t.{key} = f.{key}"
        for key, tables in _ARN_TABLES.items()
        for table in tables
    ),
    # error rows: a coverage error names a function, or the execution role of one
    """select f.account_id as a, c.account_id as b from functions f
       join (select account_id, resource_arn from coverage where resource_arn is not null) c
         on c.resource_arn = f.function_arn""",
    """select f.account_id as a, c.account_id as b from functions f
       join (select account_id, resource_arn from coverage where resource_arn is not null) c
         on c.resource_arn = f.role_arn""",
)
"""Pairs of accounts whose rows meet in a join on an ARN (pairs of one account are dropped)."""


def account_batches(tables: Mapping[str, pa.Table], max_functions: int) -> list[list[str]] | None:
    """The accounts in batches of about ``max_functions`` functions, each sorted, batches in
    order of their first account; None when the inventory must be judged in one piece (batching
    off, a row without an account, or everything fits one batch)."""
    if max_functions <= 0:
        return None
    for name in TABLES:
        if tables[name]["account_id"].null_count:
            return None
    accounts = sorted({str(a) for name in TABLES for a in pc.unique(tables[name]["account_id"]).to_pylist()})
    counted = pc.value_counts(tables["functions"]["account_id"])
    functions = {
        str(a): int(n or 0)
        for a, n in zip(counted.field("values").to_pylist(), counted.field("counts").to_pylist(), strict=True)
    }
    if sum(functions.values()) <= max_functions:
        return None
    batches: list[list[str]] = []
    size = 0
    for group in _linked_groups(tables, accounts):
        weight = sum(functions.get(a, 0) for a in group)
        if not batches or (size and size + weight > max_functions):
            batches.append([])
            size = 0
        batches[-1].extend(group)
        size += weight
    return [sorted(b) for b in batches] if len(batches) > 1 else None


def _linked_groups(tables: Mapping[str, pa.Table], accounts: Sequence[str]) -> list[list[str]]:
    """Accounts joined by :data:`_LINKS` (union-find), each group sorted, groups by first account."""
    parent = {a: a for a in accounts}

    def root(a: str) -> str:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    con = duckdb.connect()
    try:
        for name in {"functions", "coverage", *(t for group in _ARN_TABLES.values() for t in group)}:
            con.register(name, tables[name].select(_columns(name)))
        query = " union ".join(f"select * from ({link}) where a <> b" for link in _LINKS)
        for a, b in con.execute(query).fetchall():
            ra, rb = root(a), root(b)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
    finally:
        con.close()
    groups: dict[str, list[str]] = {}
    for a in accounts:
        groups.setdefault(root(a), []).append(a)
    return sorted(groups.values(), key=lambda g: g[0])


def _columns(table: str) -> list[str]:
    """The columns the links read (registering whole tables would be as cheap: Arrow is zero-copy,
    but fewer columns keep the scan small)."""
    keys = [k for k, tables in _ARN_TABLES.items() if table in tables]
    if table == "functions":
        keys = ["role_arn", "function_arn"]
    elif table == "coverage":
        keys = ["resource_arn"]
    return ["account_id", *keys]


def batch_tables(tables: Mapping[str, pa.Table], accounts: Sequence[str]) -> dict[str, pa.Table]:
    """``tables`` with the inventory tables cut to ``accounts`` (the static ones kept whole)."""
    keep = pa.array(accounts, pa.string())
    return {
        name: table.filter(pc.is_in(table["account_id"], value_set=keep)) if name in TABLES else table
        for name, table in tables.items()
    }


def in_order(batches: Sequence[Sequence[str]]) -> bool:
    """Whether each batch's accounts all sort before the next's: then a rule's rows, sorted per
    batch by (account_id, …), are sorted once the batches are put end to end."""
    return all(max(b) < min(c) for b, c in zip(batches, batches[1:], strict=False))
