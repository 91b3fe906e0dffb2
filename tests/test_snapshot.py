"""Evidence snapshots: round trip, any reader opens them, old versions, damage."""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from reporter.errors import UserError
from reporter.inventory import (
    COLLECTED_TABLES,
    DERIVED_COLUMNS,
    DERIVED_TABLES,
    SCHEMA_VERSION,
    TABLES,
    Inventory,
    collected_schema,
    frame,
    to_arrow,
)
from reporter.pipeline import run
from reporter.rules.derive import derive
from reporter.secrets import DETECTOR_VERSION
from reporter.settings import Settings
from reporter.snapshot import MANIFEST, Manifest, new_manifest, read_snapshot, write_snapshot

V1 = Path(__file__).parent / "data" / "snapshot_v1"
"""A snapshot written by reporter at schema version 1, with stale judgements (its README.md)."""


def _value(field: pa.Field, row: int) -> Any:
    """Row 0: every column set (unicode text, two-item lists, maps); row 1: every column null;
    row 2: empty lists and maps, which must stay empty rather than become null."""
    if row == 1:
        return None
    t = field.type
    if pa.types.is_map(t):
        return {} if row == 2 else {"CostControl": "HighRisk", "Équipe": "données ✓"}
    if pa.types.is_list(t):
        return [] if row == 2 else [f"{field.name}-1", "函数-🚀"]
    if pa.types.is_string(t):
        return f"{field.name}: ünïcode 函数 {row}"
    if pa.types.is_boolean(t):
        return row == 0
    if pa.types.is_integer(t):
        return 2**40 + row
    if pa.types.is_floating(t):
        return 0.25 + row
    if pa.types.is_timestamp(t):
        return dt.datetime(2026, 11, 28, 9, 30, row, 123456, tzinfo=dt.UTC)
    raise AssertionError(f"no sample value for {field.name}: {t}")


def _typed_inventory() -> Inventory:
    """Three rows in every collected table, every type and null case of the schemas."""
    inv = Inventory()
    for table in COLLECTED_TABLES:
        schema = collected_schema(table)
        inv[table] = frame(table, [{f.name: _value(f, row) for f in schema} for row in range(3)])
    return inv


def _manifest() -> Manifest:
    return new_manifest(
        started_at="2026-11-28T00:00:00+00:00",
        finished_at="2026-11-28T00:01:00+00:00",
        run_date="2026-11-28",
        caller_arn="arn:aws:iam::1:user/a",
        organization_id="o-1",
        management_account_id="111111111111",
        accounts=("111111111111",),
        regions=("eu-west-1",),
    )


@pytest.fixture(scope="module")
def typed_snapshot(tmp_path_factory: pytest.TempPathFactory) -> tuple[Inventory, Path]:
    inv = _typed_inventory()
    directory = tmp_path_factory.mktemp("evidence")
    write_snapshot(inv, directory, _manifest())
    return inv, directory


def test_round_trip_keeps_values_and_dtypes(typed_snapshot: tuple[Inventory, Path]) -> None:
    inv, directory = typed_snapshot
    loaded, manifest, digest = read_snapshot(directory)
    assert manifest.schema_version == SCHEMA_VERSION
    assert set(manifest.files) == {f"{t}.parquet" for t in COLLECTED_TABLES}
    for table in COLLECTED_TABLES:
        assert list(loaded[table].dtypes) == list(inv[table].dtypes), table
        assert loaded[table].equals(inv[table]), table


def test_derived_tables_and_columns_are_not_evidence(tmp_path: Path) -> None:
    inv = _typed_inventory()
    statement = {"Effect": "Allow", "Principal": "*", "Action": "lambda:InvokeFunction"}
    policies = inv["function_policies"].copy()
    policies["statement"] = pd.array([json.dumps(statement)] * 3, dtype="string[pyarrow]")
    inv["function_policies"] = policies
    # what a judged inventory holds: derived values, here deliberately wrong
    judged = derive(inv)
    stale = judged["function_policies"].copy()
    stale["is_public"] = pd.array([False] * 3, dtype="bool[pyarrow]")
    judged["function_policies"] = stale
    write_snapshot(judged, tmp_path, _manifest())
    assert not {f"{t}.parquet" for t in DERIVED_TABLES} & {p.name for p in tmp_path.iterdir()}
    stored = pq.read_schema(tmp_path / "function_policies.parquet")
    assert "statement" in stored.names and not set(DERIVED_COLUMNS["function_policies"]) & set(stored.names)

    loaded, _, _ = read_snapshot(tmp_path)
    assert loaded["function_policies"]["is_public"].isna().all()
    assert all(loaded[t].empty for t in DERIVED_TABLES)
    # judged again: the current verdict, whatever was judged before (Principal "*": public)
    assert derive(loaded)["function_policies"]["is_public"].tolist() == [True] * 3


def test_manifest_says_what_is_derived_and_which_detector_judged_secrets(
    typed_snapshot: tuple[Inventory, Path],
) -> None:
    _, directory = typed_snapshot
    data = json.loads((directory / MANIFEST).read_text())
    derived = data["derived_when_judging"]
    assert derived["tables"] == {t: list(sources) for t, sources in DERIVED_TABLES.items()}
    assert set(derived["columns"]) == {f"{t}.{c}" for t, cols in DERIVED_COLUMNS.items() for c in cols}
    judged = data["judged_at_collection"]["functions.secret_env_var_names"]
    assert judged["version"] == DETECTOR_VERSION and judged["detector"] == "reporter.secrets"
    assert read_snapshot(directory)[1].secret_detector_version == DETECTOR_VERSION


# --- any reader, default arguments -------------------------------------------------------------


def _duckdb(path: Path) -> Sequence[Mapping[Any, Any]]:
    with duckdb.connect() as con:
        result = con.execute(f"select * from '{path}'")
        names = [d[0] for d in result.description or ()]
        return [dict(zip(names, row, strict=True)) for row in result.fetchall()]


READERS: dict[str, Callable[[Path], Sequence[Mapping[Any, Any]]]] = {
    "pandas": lambda p: pd.read_parquet(p).to_dict("records"),
    "pyarrow": lambda p: pq.read_table(p).to_pandas().to_dict("records"),
    "duckdb": _duckdb,
    "polars": lambda p: pl.read_parquet(p).to_dicts(),
}


def _missing(value: Any) -> bool:
    if isinstance(value, float):
        return math.isnan(value)
    return value is None or value is pd.NA or value is pd.NaT


def _plain(value: Any, t: pa.DataType) -> Any:
    """One cell as plain Python, whatever shape the reader gave it (a map is a dict, a list of pairs
    or a list of key/value structs; a list may be a numpy array; a null may be NaN)."""
    if _missing(value):
        return None
    if pa.types.is_map(t):
        pairs = value.items() if isinstance(value, dict) else value
        return dict((p["key"], p["value"]) if isinstance(p, dict) else (p[0], p[1]) for p in pairs)
    if pa.types.is_list(t):
        return [str(v) for v in value]
    if pa.types.is_timestamp(t):
        return pd.Timestamp(value).tz_convert("UTC").to_pydatetime()
    if pa.types.is_integer(t):
        return int(value)
    if pa.types.is_floating(t):
        return float(value)
    if pa.types.is_boolean(t):
        return bool(value)
    return str(value)


@pytest.mark.parametrize("reader", sorted(READERS))
@pytest.mark.parametrize("table", COLLECTED_TABLES)
def test_every_file_opens_with_defaults_in_every_reader(
    typed_snapshot: tuple[Inventory, Path], table: str, reader: str
) -> None:
    inv, directory = typed_snapshot
    schema = collected_schema(table)
    rows = READERS[reader](directory / f"{table}.parquet")
    want = to_arrow(table, inv[table]).select(schema.names).to_pylist()
    assert [list(r) for r in rows] == [schema.names] * len(want)
    for got_row, want_row in zip(rows, want, strict=True):
        for f in schema:
            assert _plain(got_row[f.name], f.type) == _plain(want_row[f.name], f.type), (f.name, reader)


# --- schema version 1 -------------------------------------------------------------------------


def test_version_1_is_read_and_judged_again_with_the_current_code() -> None:
    loaded, manifest, _ = read_snapshot(V1)
    assert manifest.schema_version == 1 and manifest.secret_detector_version is None
    # its stored verdicts are stale (README.md): none of them is taken
    assert all(loaded[t].empty for t in DERIVED_TABLES)
    assert loaded["function_policies"]["is_public"].isna().all()
    judged = derive(loaded)
    policies = judged["function_policies"]
    verdicts = dict(zip(policies["sid"], policies["is_public"], strict=True))
    # Lambda's docs: Principal "*" is anyone; Allow + NotPrincipal is everyone but the list; a
    # service principal pinned by aws:SourceAccount is not public (Security Hub Lambda.1)
    assert verdicts == {"open": True, "everyone-but": True, "bucket": False}
    [facts] = judged["role_facts"].to_dict("records")
    assert list(facts["admin_policy_arns"]) == ["arn:aws:iam::aws:policy/AdministratorAccess"]
    assert facts["admin_like"]  # the attached document allows "*" on "*"
    # everything collected is there, typed
    functions = {r["name"]: r for r in to_arrow("functions", loaded["functions"]).to_pylist()}
    assert functions["orders"]["subnet_ids"] == ["subnet-a", "subnet-b"]
    assert functions["orders"]["tags"] == [("CostControl", "HighRisk"), ("Équipe", "données")]
    assert functions["orders"]["reserved_concurrency"] is None
    assert functions["café-reports"]["tags"] is None and functions["café-reports"]["env_var_names"] is None
    assert functions["café-reports"]["reserved_concurrency"] == 5


def test_version_1_findings_come_from_the_current_judgement(tmp_path: Path) -> None:
    out = tmp_path / "rerun"
    run(Settings(from_snapshot=V1, out=out, formats=("json",), history=tmp_path / "history"))
    findings = json.loads((out / "findings.json").read_text())
    status = {(f["rule_id"], f["resource_id"]): f["status"] for f in findings}
    assert status[("LG-PUB-01", "orders")] == "fail"
    assert status[("LG-PUB-01", "café-reports")] == "pass"
    assert status[("LG-IAM-02", "orders")] == "fail"  # AdministratorAccess: Action "*"


# --- damage -----------------------------------------------------------------------------------


def test_tampered_file_is_detected(tmp_path: Path) -> None:
    write_snapshot(_typed_inventory(), tmp_path, _manifest())
    target = tmp_path / "functions.parquet"
    target.write_bytes(target.read_bytes() + b"x")
    with pytest.raises(UserError, match="sha256 does not match"):
        read_snapshot(tmp_path)


def test_a_foreign_schema_version_says_how_to_collect_again(tmp_path: Path) -> None:
    write_snapshot(_typed_inventory(), tmp_path, _manifest())
    manifest_path = tmp_path / MANIFEST
    data = json.loads(manifest_path.read_text())
    data["schema_version"] = 999
    manifest_path.write_text(json.dumps(data))
    with pytest.raises(UserError) as err:
        read_snapshot(tmp_path)
    assert "\n" not in str(err.value)
    assert "schema version 999" in str(err.value) and "python -m reporter" in str(err.value)


@pytest.mark.parametrize(
    "damage", ["missing_file", "missing_manifest", "bad_json", "unlisted", "foreign_file", "bad_detector"]
)
def test_incomplete_or_foreign_snapshots_are_one_line_errors(tmp_path: Path, damage: str) -> None:
    write_snapshot(_typed_inventory(), tmp_path, _manifest())
    manifest_path = tmp_path / MANIFEST
    data = json.loads(manifest_path.read_text())
    if damage == "missing_file":
        (tmp_path / "roles.parquet").unlink()
    elif damage == "missing_manifest":
        manifest_path.unlink()
    elif damage == "bad_json":
        manifest_path.write_text("{")
    elif damage == "unlisted":
        del data["files"]["alarms.parquet"]
        manifest_path.write_text(json.dumps(data))
    elif damage == "foreign_file":
        data["files"]["role_facts.parquet"] = "0" * 64
        manifest_path.write_text(json.dumps(data))
    else:
        data["judged_at_collection"]["functions.secret_env_var_names"]["version"] = "one"
        manifest_path.write_text(json.dumps(data))
    with pytest.raises(UserError) as err:
        read_snapshot(tmp_path)
    assert "\n" not in str(err.value)


def test_version_1_tables_are_today_s_tables() -> None:
    # version 1 stored every table; if a table is added, version 1 needs a rule for it
    listed = json.loads((V1 / MANIFEST).read_text())["files"]
    assert set(listed) == {f"{t}.parquet" for t in TABLES}
