"""Inventory, waiver, history and run-metadata rows of :mod:`tests.render.synthetic` (test data).

Tables are typed by the inventory's own schemas (:data:`reporter.inventory.SCHEMAS`), so the
renderers meet the dtypes of a real run (lists, maps, nullable ints); columns a table leaves out
are null.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from reporter import __version__
from reporter.inventory import GLOBAL_REGION, SCHEMA_VERSION, SCHEMAS, Inventory
from reporter.model import DELTA_SCHEMA, TREND_SCHEMA, HistoryView, RunMeta
from reporter.rules.catalog import RULE_CATALOG_VERSION
from reporter.scoring import Scores, grade
from reporter.waivers import WAIVER_COLUMNS

_RUNTIMES = ("python3.12", "python3.9", "nodejs20.x", "nodejs16.x", "java21", "go1.x")


@dataclass(frozen=True)
class Organization:
    """The synthetic organization: accounts, functions and roles, as parallel numpy arrays."""

    acct_ids: np.ndarray
    acct_names: np.ndarray
    acct_ous: np.ndarray
    acct_status: np.ndarray
    regions: tuple[str, ...]
    fn_acct: np.ndarray  # account index per function
    fn_region: np.ndarray  # region index per function
    fn_names: np.ndarray
    fn_role: np.ndarray  # role index per function
    role_names: np.ndarray
    role_acct: np.ndarray  # account index per role


def table(name: str, columns: dict[str, Any]) -> pd.DataFrame:
    """Inventory table ``name`` from column arrays, typed by its schema; absent columns are null."""
    schema = SCHEMAS[name]
    unknown = sorted(set(columns) - set(schema.names))
    if unknown:
        raise KeyError(f"{name}: unknown columns {unknown}")
    n = len(next(iter(columns.values())))
    arrays = []
    for f in schema:
        values = columns.get(f.name)
        if values is None:
            arrays.append(pa.nulls(n, type=f.type))
        else:
            values = [values] * n if isinstance(values, str | int | bool) else values
            arrays.append(pa.array(list(values), type=f.type, from_pandas=True))
    return pa.Table.from_arrays(arrays, schema=schema).to_pandas(types_mapper=pd.ArrowDtype)


def _masked(mask: np.ndarray, value: Any) -> np.ndarray:
    """``value`` where ``mask`` is true, None elsewhere (an object array)."""
    out = np.full(len(mask), None, dtype=object)
    out[mask] = value
    return out


def _lists(mask: np.ndarray, value: list[str]) -> list[list[str]]:
    return [value if m else [] for m in mask]


def inventory(rng: np.random.Generator, org: Organization) -> Inventory:
    """accounts, functions, roles, role_facts and coverage of the organization."""
    inv = Inventory()
    inv["accounts"] = table(
        "accounts",
        {
            "account_id": org.acct_ids,
            "name": org.acct_names,
            "status": org.acct_status,
            "ou_path": org.acct_ous,
        },
    )
    inv["functions"] = _functions(rng, org)
    roles, facts = _roles(rng, org)
    inv["roles"], inv["role_facts"] = roles, facts
    inv["coverage"] = _coverage(rng, org)
    return inv


def _functions(rng: np.random.Generator, org: Organization) -> pd.DataFrame:
    n = len(org.fn_names)
    accounts = org.acct_ids[org.fn_acct]
    regions = np.array(org.regions, dtype=object)[org.fn_region]
    role_acct = org.acct_ids[org.role_acct[org.fn_role]]
    in_vpc = rng.random(n) < 0.6
    reserved = rng.integers(1, 50, n).astype(object)
    reserved[rng.random(n) >= 0.3] = None
    high_risk = np.arange(n) % 7 == 0
    return table(
        "functions",
        {
            "account_id": accounts,
            "region": regions,
            "function_arn": "arn:aws:lambda:" + regions + ":" + accounts + ":function:" + org.fn_names,
            "name": org.fn_names,
            "runtime": np.array(_RUNTIMES, dtype=object)[rng.integers(0, len(_RUNTIMES), n)],
            "package_type": "Zip",
            "architectures": [["x86_64"]] * n,
            "memory_mb": rng.choice([128, 256, 512, 1024, 3008], n),
            "timeout_s": rng.choice([3, 15, 30, 300, 900], n),
            "code_size": rng.integers(2_000, 40_000_000, n),
            "last_modified": "2026-10-01T12:00:00.000+0000",
            "role_arn": "arn:aws:iam::" + role_acct + ":role/" + org.role_names[org.fn_role],
            "vpc_id": _masked(in_vpc, "vpc-0abc"),
            "subnet_ids": _lists(in_vpc, ["subnet-a", "subnet-b"]),
            "security_group_ids": _lists(in_vpc, ["sg-1"]),
            "layers": [[]] * n,
            "env_var_names": [["LOG_LEVEL", "TABLE_NAME"]] * n,
            "secret_env_var_names": [[]] * n,
            "tracing_mode": "PassThrough",
            "reserved_concurrency": reserved,
            "snap_start": "None",
            "tags": [
                [("CostControl", "HighRisk"), ("Team", "payments")] if h else [("Team", "core")]
                for h in high_risk
            ],
        },
    )


def _roles(rng: np.random.Generator, org: Organization) -> tuple[pd.DataFrame, pd.DataFrame]:
    n = len(org.role_names)
    accounts = org.acct_ids[org.role_acct]
    arns = "arn:aws:iam::" + accounts + ":role/" + org.role_names
    admin = rng.random(n) < 0.03
    boundary = rng.random(n) < 0.6
    admin_arn = "arn:aws:iam::aws:policy/AdministratorAccess"
    basic_arn = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
    roles = table(
        "roles",
        {
            "account_id": accounts,
            "role_arn": arns,
            "role_name": org.role_names,
            "path": "/",
            "trust_policy": '{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow",'
            '"Principal":{"Service":"lambda.amazonaws.com"}}],"Version":"2012-10-17"}',
            "permissions_boundary_arn": _masked(boundary, "arn:aws:iam::aws:policy/Boundary"),
            "attached_policy_arns": [[admin_arn] if a else [basic_arn] for a in admin],
            "inline_policy_names": [["inline-data"]] * n,
            "create_date": [dt.datetime(2025, 1, 1, tzinfo=dt.UTC)] * n,
        },
    )
    facts = table(
        "role_facts",
        {
            "account_id": accounts,
            "role_arn": arns,
            "admin_policy_arns": _lists(admin, [admin_arn]),
            "admin_like": admin,
            "wildcard_actions": _lists(rng.random(n) < 0.15, ["inline-data: s3:*"]),
            "write_on_star": [[]] * n,
            "privilege_escalation": _lists(admin, ["iam:PassRole+lambda:CreateFunction"]),
            "has_boundary": boundary,
            "boundary_allows_iam": [[]] * n,
            "dead_grants": _lists(boundary, ["dynamodb:UpdateItem"]),
            "trust_principals": [["lambda.amazonaws.com"]] * n,
            "non_lambda_trust": [[]] * n,
        },
    )
    return roles, facts


def _coverage(rng: np.random.Generator, org: Organization) -> pd.DataFrame:
    """A few throttled units; suspended accounts skipped."""
    rows: list[tuple[Any, ...]] = []
    for aid, st in zip(org.acct_ids, org.acct_status, strict=True):
        if st != "ACTIVE":
            rows.append(
                (aid, GLOBAL_REGION, "discover", [], "skipped", "AccountSuspended", "account is SUSPENDED")
            )
            continue
        rows.append((aid, GLOBAL_REGION, "iam", ["roles", "policy_documents"], "ok", None, None))
        for region in org.regions:
            for col, name in (("lambda", "functions"), ("config", "config_rules"), ("logs", "log_groups")):
                failed = bool(rng.random() < 0.05)
                error = ("ThrottlingException", "Rate exceeded after 8 retries") if failed else (None, None)
                rows.append((aid, region, col, [name], "error" if failed else "ok", *error))
    cols = ["account_id", "region", "collector", "tables", "status", "error_code", "message"]
    data: dict[str, Any] = {c: [r[i] for r in rows] for i, c in enumerate(cols)}
    data["api_calls"] = rng.integers(1, 60, len(rows))
    data["seconds"] = np.round(rng.random(len(rows)) * 5, 2)
    return table("coverage", data)


def run_meta(accounts: int, regions: tuple[str, ...]) -> RunMeta:
    """Scope and provenance of the synthetic run."""
    started = dt.datetime(2026, 11, 30, 6, 0, tzinfo=dt.UTC)
    return RunMeta(
        organization_id="o-synthetic01",
        caller_arn="arn:aws:sts::100000007919:assumed-role/AuditRole/reporter",
        started_at=started,
        finished_at=started + dt.timedelta(minutes=7, seconds=12),
        tool_version=__version__,
        schema_version=SCHEMA_VERSION,
        rule_catalog_version=RULE_CATALOG_VERSION,
        accounts_targeted=accounts,
        regions=regions,
        evidence_manifest_sha256="ab" * 32,
        evidence_files={"functions.parquet": "cd" * 32, "roles.parquet": "ef" * 32},
        waivers_sha256="12" * 32,
        period="2026-11",
    )


def waivers_frame(keys: Sequence[str], rule_ids: Sequence[str], hostile_reason: str | None) -> pd.DataFrame:
    """An active waiver per distinct "rule|account" key (W-0001… in sorted order), then an expired
    one on the first of ``rule_ids`` and an unused one on the last."""
    uniq = sorted(set(keys))
    matched = pd.Series(list(keys), dtype=object).value_counts()
    rows: list[dict[str, Any]] = [
        {
            "waiver_id": f"W-{i + 1:04d}",
            "rule": key.split("|")[0],
            "account": key.split("|")[1],
            "region": "*",
            "resource": "*",
            "reason": "Accepted risk until the Q1 migration",
            "owner": "platform@example.com",
            "expires": "2027-03-31",
            "state": "active",
            "matched": int(matched[key]),
        }
        for i, key in enumerate(uniq)
    ]
    base = {"account": "*", "region": "*", "owner": "ops@example.com", "matched": 0}
    rows.append(
        base
        | {"waiver_id": f"W-{len(uniq) + 1:04d}", "rule": rule_ids[0], "resource": "legacy-*"}
        | {"reason": hostile_reason or "Legacy batch jobs", "expires": "2026-01-31", "state": "expired"}
    )
    rows.append(
        base
        | {"waiver_id": f"W-{len(uniq) + 2:04d}", "rule": rule_ids[-1], "resource": "gone-*"}
        | {"reason": "Decommissioned service", "expires": "2027-06-30", "state": "unused"}
    )
    return pd.DataFrame(rows, columns=list(WAIVER_COLUMNS))


def _frame(rows: list[tuple[Any, ...]], schema: pa.Schema) -> pd.DataFrame:
    data = {f.name: pa.array([r[i] for r in rows], type=f.type) for i, f in enumerate(schema)}
    return pa.table(data, schema=schema).to_pandas(types_mapper=pd.ArrowDtype)


def history_view(
    rng: np.random.Generator, org: Organization, scores: Scores, rule_ids: Sequence[str]
) -> HistoryView:
    """Six monthly runs ending with this one (oldest first), per-rule deltas and score changes."""
    runs = 6
    names = dict(zip(org.acct_ids, org.acct_names, strict=True))
    org_score = scores.organization.score
    scored = scores.accounts.dropna(subset=["score"])
    # (scope, scope id, score now, grade now): the last run is this model, with its capped grades.
    scopes = [
        ("organization", "organization", 75.0 if org_score is None else org_score, scores.organization.grade)
    ]
    scopes += [
        ("account", str(a), float(s), str(g))
        for a, s, g in zip(scored["account_id"], scored["score"], scored["grade"], strict=True)
    ]
    rows: list[tuple[Any, ...]] = []
    for i in range(runs):
        back = runs - 1 - i
        run_at = dt.datetime(2026, 6 + i, 28, 6, 0, tzinfo=dt.UTC)
        for kind, sid, now, letter in scopes:
            if back == 0:
                rows.append((f"run-{i + 1}", run_at, kind, sid, now, letter))
                continue
            s = float(np.clip(now - 1.5 * back + rng.normal(0, 2), 0, 100))
            rows.append((f"run-{i + 1}", run_at, kind, sid, round(s, 1), grade(s, 0)))
    ids = [str(a) for a in scored["account_id"]]
    deltas = [
        (
            aid,
            names[aid],
            str(rid),
            *(int(x) for x in rng.integers(0, [5, 5, 20])),
            round(float(rng.normal(0, 3)), 1),
        )
        for aid in ids[:: max(1, len(ids) // 6)]
        for rid in rng.choice(list(rule_ids), min(3, len(rule_ids)), replace=False)
    ]
    return HistoryView(
        trend=_frame(rows, TREND_SCHEMA),
        deltas=_frame(deltas, DELTA_SCHEMA),
        score_delta={a: round(float(rng.normal(0, 4)), 1) for a in ids},
        ou_score_delta={str(p): round(float(rng.normal(0, 3)), 1) for p in scores.ous["ou_path"]},
    )
