"""Inventory, waiver, risk and history frames of :mod:`reporter.testing.synthetic` (test data only).

The frames are Arrow-backed like the real pipeline's (lists, maps, nullable ints), so renderers
are tested against the dtypes they will meet in a real run.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from reporter.model import RunMeta
from reporter.render.model import Risk
from reporter.waivers import WAIVER_COLUMNS

_STRS = pa.list_(pa.string())
_TAGS = pa.map_(pa.string(), pa.string())
_RUNTIMES = ("python3.12", "python3.9", "nodejs20.x", "nodejs16.x", "java21", "go1.x")
_STATUSES = ("pass", "fail", "error", "waived")
_GRADES = (("A", 90.0), ("B", 80.0), ("C", 70.0), ("D", 60.0))


def arrow(df: pd.DataFrame, types: Mapping[str, pa.DataType] | None = None) -> pd.DataFrame:
    """``df`` with Arrow-backed columns; ``types`` forces the type of the named columns."""
    types = types or {}
    columns = {}
    for c in df.columns:
        if c in types:
            # pandas 3 turns None into NaN in inferred string columns; Arrow wants None for null.
            values = df[c].astype(object).where(df[c].notna(), None).tolist()
            columns[c] = pa.array(values, type=types[c])
        else:
            columns[c] = pa.Array.from_pandas(df[c])
    return pa.table(columns).to_pandas(types_mapper=pd.ArrowDtype)


def run_meta(accounts: int, regions: tuple[str, ...]) -> RunMeta:
    """Scope and provenance of the synthetic run."""
    started = dt.datetime(2026, 11, 30, 6, 0, tzinfo=dt.UTC)
    return RunMeta(
        organization_id="o-synthetic01",
        caller_arn="arn:aws:sts::100000007919:assumed-role/AuditRole/reporter",
        started_at=started,
        finished_at=started + dt.timedelta(minutes=7, seconds=12),
        tool_version="0.1.0",
        schema_version=1,
        rule_catalog_version="v1",
        accounts_targeted=accounts,
        regions=regions,
        evidence_manifest_sha256="ab" * 32,
        evidence_files={"functions.parquet": "cd" * 32, "roles.parquet": "ef" * 32},
        waivers_sha256="12" * 32,
        period="2026-11",
    )


def controls_frame(rules: pd.DataFrame, calc: pd.DataFrame) -> pd.DataFrame:
    """The rule catalog with pass/fail/error/waived counts and pass rate (pass / (pass + fail))."""
    counts = calc.groupby("rule_id")[[f"is_{s}" for s in _STATUSES]].sum()
    controls = rules.set_index("rule_id").join(counts).fillna({f"is_{s}": 0 for s in _STATUSES}).reset_index()
    controls = controls.rename(columns={f"is_{s}": s for s in _STATUSES})
    for s in _STATUSES:
        controls[s] = controls[s].astype(np.int64)
    judged = (controls["pass"] + controls["fail"]).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        controls["pass_rate"] = np.where(judged > 0, controls["pass"].to_numpy() / judged, np.nan)
    controls["frameworks"] = [[x.strip() for x in s.split(";")] if s else [] for s in controls["frameworks"]]
    controls["remediation"] = "See " + controls["rule_id"] + " in the rule catalog"
    cols = [
        "rule_id",
        "title",
        "severity",
        "guide_section",
        "frameworks",
        "remediation",
        *_STATUSES,
        "pass_rate",
    ]
    return controls[cols]


def _masked(mask: np.ndarray, value: Any) -> np.ndarray:
    """``value`` where ``mask`` is true, None elsewhere (an object array)."""
    out = np.full(len(mask), None, dtype=object)
    out[mask] = value
    return out


def _lists(mask: np.ndarray, value: list[str]) -> list[list[str]]:
    return [value if m else [] for m in mask]


def functions_frame(
    rng: np.random.Generator,
    *,
    names: np.ndarray,
    accounts: np.ndarray,
    regions: np.ndarray,
    role_arns: np.ndarray,
    scores: np.ndarray,
    grades: np.ndarray,
) -> pd.DataFrame:
    """The functions inventory (reporter.inventory "functions") plus score and grade."""
    n = len(names)
    in_vpc = rng.random(n) < 0.6
    reserved = rng.integers(1, 50, n).astype(object)
    reserved[rng.random(n) >= 0.3] = None
    high_risk = np.arange(n) % 7 == 0
    df = pd.DataFrame(
        {
            "account_id": accounts,
            "region": regions,
            "function_arn": "arn:aws:lambda:" + regions + ":" + accounts + ":function:" + names,
            "name": names,
            "runtime": np.array(_RUNTIMES, dtype=object)[rng.integers(0, len(_RUNTIMES), n)],
            "package_type": "Zip",
            "architectures": [["x86_64"]] * n,
            "memory_mb": rng.choice([128, 256, 512, 1024, 3008], n),
            "timeout_s": rng.choice([3, 15, 30, 300, 900], n),
            "code_size": rng.integers(2_000, 40_000_000, n),
            "last_modified": "2026-10-01T12:00:00.000+0000",
            "role_arn": role_arns,
            "vpc_id": _masked(in_vpc, "vpc-0abc"),
            "subnet_ids": _lists(in_vpc, ["subnet-a", "subnet-b"]),
            "security_group_ids": _lists(in_vpc, ["sg-1"]),
            "layers": [[]] * n,
            "env_var_names": [["LOG_LEVEL", "TABLE_NAME"]] * n,
            "secret_env_var_names": [[]] * n,
            "kms_key_arn": None,
            "tracing_mode": "PassThrough",
            "dead_letter_target": None,
            "reserved_concurrency": reserved,
            "snap_start": "None",
            "tags": [
                [("CostControl", "HighRisk"), ("Team", "payments")] if h else [("Team", "core")]
                for h in high_risk
            ],
            "score": scores,
            "grade": grades,
        }
    )
    lists = (
        "architectures",
        "subnet_ids",
        "security_group_ids",
        "layers",
        "env_var_names",
        "secret_env_var_names",
    )
    types: dict[str, pa.DataType] = dict.fromkeys(lists, _STRS)
    types |= {"tags": _TAGS, "reserved_concurrency": pa.int64(), "score": pa.float64()}
    types |= dict.fromkeys(("kms_key_arn", "dead_letter_target", "vpc_id"), pa.string())
    return arrow(df, types)


def roles_frame(
    rng: np.random.Generator, names: np.ndarray, accounts: np.ndarray, fn_role: np.ndarray
) -> pd.DataFrame:
    """The roles inventory joined with role_facts, plus the number of functions using each role."""
    n = len(names)
    admin = rng.random(n) < 0.03
    boundary = rng.random(n) < 0.6
    admin_arn = "arn:aws:iam::aws:policy/AdministratorAccess"
    basic_arn = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
    df = pd.DataFrame(
        {
            "account_id": accounts,
            "role_arn": "arn:aws:iam::" + accounts + ":role/" + names,
            "role_name": names,
            "path": "/",
            "trust_policy": '{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow",'
            '"Principal":{"Service":"lambda.amazonaws.com"}}],"Version":"2012-10-17"}',
            "permissions_boundary_arn": _masked(boundary, "arn:aws:iam::aws:policy/Boundary"),
            "attached_policy_arns": [[admin_arn] if a else [basic_arn] for a in admin],
            "inline_policy_names": [["inline-data"]] * n,
            "create_date": pd.Timestamp("2025-01-01", tz="UTC"),
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
            "analysis_error": None,
            "functions": np.bincount(fn_role, minlength=n).astype(np.int64),
        }
    )
    lists = [c for c in df.columns if isinstance(df[c].iloc[0], list)] if n else []
    types: dict[str, pa.DataType] = dict.fromkeys(lists, _STRS)
    types |= {"permissions_boundary_arn": pa.string(), "analysis_error": pa.string()}
    return arrow(df, types)


def coverage_frame(
    rng: np.random.Generator, ids: np.ndarray, names: np.ndarray, status: np.ndarray, regions: Sequence[str]
) -> pd.DataFrame:
    """The coverage table plus account_name: a few throttled units, suspended accounts skipped."""
    rows: list[tuple[Any, ...]] = []
    for aid, st in zip(ids, status, strict=True):
        if st != "ACTIVE":
            rows.append(
                (aid, "global", "discover", [], "skipped", "AccountSuspended", "account is SUSPENDED", 0, 0.0)
            )
            continue
        rows.append((aid, "global", "iam", ["roles", "policy_documents"], "ok", None, None, 40, 3.2))
        for region in regions:
            for col, table in (("lambda", "functions"), ("config", "config_rules"), ("logs", "log_groups")):
                failed = bool(rng.random() < 0.05)
                error = ("ThrottlingException", "Rate exceeded after 8 retries") if failed else (None, None)
                calls, secs = int(rng.integers(1, 60)), round(float(rng.random() * 5), 2)
                rows.append((aid, region, col, [table], "error" if failed else "ok", *error, calls, secs))
    cols = [
        "account_id",
        "region",
        "collector",
        "tables",
        "status",
        "error_code",
        "message",
        "api_calls",
        "seconds",
    ]
    df = pd.DataFrame(rows, columns=cols)
    df.insert(4, "resource_arn", None)
    df["account_name"] = df["account_id"].map(dict(zip(ids, names, strict=True)))
    types = {"tables": _STRS, "resource_arn": pa.string(), "error_code": pa.string(), "message": pa.string()}
    return arrow(df, types)


def waivers_frame(keys: list[str], hostile_reason: str | None) -> pd.DataFrame:
    """An active waiver per distinct "rule|account" key (W-0001… in sorted order), an expired, an unused."""
    uniq = sorted(set(keys))
    matched = pd.Series(keys, dtype=object).value_counts()
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
        | {"waiver_id": f"W-{len(uniq) + 1:04d}", "rule": "LG-NET-01", "resource": "legacy-*"}
        | {"reason": hostile_reason or "Legacy batch jobs", "expires": "2026-01-31", "state": "expired"}
    )
    rows.append(
        base
        | {"waiver_id": f"W-{len(uniq) + 2:04d}", "rule": "LG-PERF-03", "resource": "gone-*"}
        | {"reason": "Decommissioned service", "expires": "2027-06-30", "state": "unused"}
    )
    return arrow(pd.DataFrame(rows, columns=list(WAIVER_COLUMNS)))


def top_risks(calc: pd.DataFrame, rules: pd.DataFrame) -> tuple[Risk, ...]:
    """The five rules with the largest weight of open findings, as model Risks."""
    fails = calc[calc["is_fail"] == 1]
    if fails.empty:
        return ()
    agg = fails.groupby("rule_id").agg(
        failing=("is_fail", "sum"), accounts=("account_id", "nunique"), weight=("fail_w", "sum")
    )
    agg = agg.sort_values(["weight", "failing"], ascending=False).head(5)
    meta = rules.set_index("rule_id")
    risks = []
    for rid, row in agg.iterrows():
        title = str(meta.at[rid, "title"])
        failing, accounts = int(row["failing"]), int(row["accounts"])
        risks.append(
            Risk(
                rule_id=str(rid),
                title=title,
                severity=str(meta.at[rid, "severity"]),
                failing=failing,
                accounts=accounts,
                plain=f"{failing} resources in {accounts} accounts fail the control: {title}.",
                owner="Platform/IAM team" if str(rid).startswith("LG-IAM") else "Account owners",
            )
        )
    return tuple(risks)


def _grade(score: float) -> str:
    return next((g for g, floor in _GRADES if score >= floor), "F")


def history_frames(
    rng: np.random.Generator,
    accounts: pd.DataFrame,
    org_score: float | None,
    org_grade: str,
    rule_ids: list[str],
    with_history: bool,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(trend, deltas): six monthly runs ending with this one, oldest first; empty frames without history."""
    trend_types: dict[str, pa.DataType] = {"run_at": pa.timestamp("us", tz="UTC"), "score": pa.float64()}
    trend_cols = ["run_id", "run_at", "scope", "scope_id", "score", "grade"]
    delta_cols = ["account_id", "account_name", "rule_id", "new", "fixed", "still_failing", "score_delta"]
    delta_types: dict[str, pa.DataType] = dict.fromkeys(("new", "fixed", "still_failing"), pa.int64())
    delta_types["score_delta"] = pa.float64()
    if not with_history:
        return (
            arrow(
                pd.DataFrame(columns=trend_cols), {**dict.fromkeys(trend_cols, pa.string()), **trend_types}
            ),
            arrow(
                pd.DataFrame(columns=delta_cols), {**dict.fromkeys(delta_cols, pa.string()), **delta_types}
            ),
        )
    runs = 6
    rows: list[tuple[Any, ...]] = []
    # (scope, scope id, score now, grade now): the last run is this model, with its capped grades.
    scopes = [("organization", "organization", org_score if org_score is not None else 75.0, org_grade)]
    scopes += [
        ("account", str(a), float(s), str(g))
        for a, s, g in zip(accounts["account_id"], accounts["score"], accounts["grade"], strict=True)
        if pd.notna(s)
    ]
    for i in range(runs):
        back = runs - 1 - i
        run_at = dt.datetime(2026, 6 + i, 28, 6, 0, tzinfo=dt.UTC)
        for kind, sid, now, grade in scopes:
            if back == 0:
                rows.append((f"run-{i + 1}", run_at, kind, sid, now, grade))
                continue
            s = float(np.clip(now - 1.5 * back + rng.normal(0, 2), 0, 100))
            rows.append((f"run-{i + 1}", run_at, kind, sid, round(s, 1), _grade(s)))
    trend = pd.DataFrame(rows, columns=trend_cols)
    scored = accounts[accounts["score"].notna()]
    names = dict(zip(scored["account_id"], scored["account_name"], strict=True))
    drows = [
        (
            aid,
            names[aid],
            rid,
            *(int(x) for x in rng.integers(0, [5, 5, 20])),
            round(float(rng.normal(0, 3)), 1),
        )
        for aid in list(names)[:: max(1, len(names) // 6)]
        for rid in rng.choice(rule_ids, 3, replace=False)
    ]
    return arrow(trend, trend_types), arrow(pd.DataFrame(drows, columns=delta_cols), delta_types)
