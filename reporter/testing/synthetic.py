"""Synthetic, internally consistent ReportModels for renderer tests and benchmarks.

Nothing here touches AWS or the real pipeline. The rule table below is **synthetic test data**
(the 28 ids of RULES.md with their guide sections), and the scores are computed from the synthetic
findings by a small in-module version of DESIGN.md §5 (weights 10/5/3/1, waived excluded, errors
never a pass, an open critical caps the grade at C), so every number a renderer shows can be checked
against the frames it was given. Vectorised with numpy: 100,000 findings build in about a second.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from reporter.findings import FINDING_COLUMNS
from reporter.model import ScoreSummary
from reporter.render.model import ReportModel
from reporter.testing.synthetic_frames import (
    arrow,
    controls_frame,
    coverage_frame,
    functions_frame,
    history_frames,
    roles_frame,
    run_meta,
    top_risks,
    waivers_frame,
)

WEIGHTS: dict[str, int] = {"critical": 10, "high": 5, "medium": 3, "low": 1}
SEVERITIES: tuple[str, ...] = ("critical", "high", "medium", "low")
STATUSES: tuple[str, ...] = ("pass", "fail", "error", "waived")
REGIONS: tuple[str, ...] = ("us-east-1", "eu-west-1", "ap-southeast-2")
OU_PATHS: tuple[str, ...] = ("Root/Workloads/Prod", "Root/Workloads/Dev", "Root/Security", "Root/Sandbox")

HOSTILE_NAMES: tuple[str, ...] = (
    '=HYPERLINK("http://x","y")',
    "+cmd",
    "@SUM(A1)",
    "-2+3",
    "<script>alert(1)</script> & co",
    "\tleading-tab",
    "\rleading-cr",
    "fn-" + "very-long-name-" * 20,
    "función-数据-😀-ünïcödé",
)
"""Names a renderer must show verbatim: formula-looking, markup, control-led, long, non-ASCII."""

_SECTIONS: dict[str, str] = {
    "role": "Security Governance: The Execution Role is Everything",
    "boundary": "Preventive Controls: Safely Delegating with Permissions Boundaries",
    "cost": "Automated Cost Governance and Control",
    "config": "Detective Controls with AWS Config",
    "trouble": "Troubleshooting Advanced Lambda Issues",
    "public": "Public exposure",
    "runtime": "Runtime hygiene",
}

# Synthetic test data, not the catalog: id | severity | scope | section | fail rate | title.
# scope "function" rules judge every function, "region" every account × region, "account" every account.
_RULES_TEXT = """
LG-IAM-01 |critical|function|role    |0.03|Execution role has no AdministratorAccess or PowerUserAccess
LG-IAM-02 |high    |function|role    |0.18|Execution role policies allow no wildcard actions
LG-IAM-03 |medium  |function|role    |0.25|Execution role writes only to specific resources
LG-IAM-04 |high    |function|boundary|0.06|Execution role cannot escalate privileges
LG-IAM-05 |medium  |function|role    |0.20|One role, one function
LG-IAM-06 |medium  |function|boundary|0.40|Execution role has a permissions boundary
LG-IAM-07 |high    |function|boundary|0.10|The boundary blocks iam: and kms: actions
LG-IAM-08 |high    |function|role    |0.04|Only Lambda can assume the execution role
LG-IAM-09 |low     |function|boundary|0.12|Execution role has no dead grants
LG-PUB-01 |critical|function|public  |0.02|Function is not publicly invocable
LG-PUB-02 |high    |function|public  |0.05|Function URL requires IAM auth
LG-COST-01|high    |function|cost    |0.30|High-risk functions have a reserved-concurrency circuit breaker
LG-COST-02|medium  |function|cost    |0.15|Reserved concurrency is within the cap
LG-COST-03|medium  |region  |cost    |0.10|Enough unreserved concurrency is left
LG-COST-04|low     |function|cost    |0.45|Function logs expire
LG-PERF-01|medium  |function|trouble |0.35|Latency-critical functions use provisioned concurrency or SnapStart
LG-PERF-02|low     |function|trouble |0.08|Deployment package is small
LG-PERF-03|low     |function|trouble |0.50|Function errors and throttles are alarmed
LG-NET-01 |medium  |function|config  |0.30|Function is attached to a VPC
LG-NET-02 |low     |function|trouble |0.10|VPC subnets route to a NAT gateway
LG-NET-03 |medium  |function|trouble |0.20|Function spans two Availability Zones
LG-RT-01  |medium  |function|runtime |0.07|Runtime is supported
LG-RT-02  |low     |function|runtime |0.10|Runtime is not deprecated within 180 days
LG-RT-03  |high    |function|runtime |0.05|No secret-looking environment variables
LG-CFG-01 |high    |region  |config  |0.15|AWS Config is recording
LG-CFG-02 |medium  |region  |config  |0.40|LAMBDA_INSIDE_VPC rule is deployed
LG-CFG-03 |medium  |account |config  |0.50|A rule detects admin execution roles
LG-CFG-04 |medium  |function|config  |0.10|AWS Config reports the resource compliant
"""

_FRAMEWORKS: dict[str, str] = {
    "LG-IAM-01": "IAM_ROLE_MANAGED_POLICY_CHECK",
    "LG-IAM-02": "IAM.1; IAM.21",
    "LG-PUB-01": "Lambda.1; LAMBDA_FUNCTION_PUBLIC_ACCESS_PROHIBITED",
    "LG-COST-01": "LAMBDA_CONCURRENCY_CHECK",
    "LG-NET-01": "Lambda.3; LAMBDA_INSIDE_VPC",
    "LG-NET-03": "Lambda.5",
    "LG-RT-01": "Lambda.2",
}

_ERROR_RATE = 0.01
_WAIVED_RATE = 0.015
_RULES_PER_FUNCTION = 16  # average applicable function rules; sizes the synthetic function count
_SCORE_COLS = ["account_id", "account_name", "ou_path", "status", "score", "grade"]
_COUNT_COLS = [*SEVERITIES, "waived", "errors"]
_SCOPE_TYPES: dict[str, pa.DataType] = {
    **dict.fromkeys(
        ("account_id", "account_name", "ou_path", "status", "grade", "guide_section"), pa.string()
    ),
    **dict.fromkeys(("score", "delta"), pa.float64()),
    **dict.fromkeys((*_COUNT_COLS, *STATUSES, "accounts"), pa.int64()),
}


def rule_table() -> pd.DataFrame:
    """The synthetic rule table: rule_id, severity, scope, guide_section, fail_rate, frameworks, title."""
    rows = [[cell.strip() for cell in line.split("|")] for line in _RULES_TEXT.strip().splitlines()]
    df = pd.DataFrame(rows, columns=["rule_id", "severity", "scope", "section", "fail_rate", "title"])
    df["frameworks"] = df["rule_id"].map(_FRAMEWORKS).fillna("")
    df["guide_section"] = df.pop("section").map(_SECTIONS)
    df["fail_rate"] = df["fail_rate"].astype(float)
    return df


def grade_of(score: float | None, open_critical: int) -> str:
    """DESIGN.md §5 grade, with an open critical finding capping the grade at C."""
    if score is None or math.isnan(score):
        return "n/a"
    grade = (
        "A" if score >= 90 else "B" if score >= 80 else "C" if score >= 70 else "D" if score >= 60 else "F"
    )
    return "C" if open_critical > 0 and grade in ("A", "B") else grade


def score_groups(calc: pd.DataFrame, key: str) -> pd.DataFrame:
    """score, grade, status counts and open counts per severity for each group of ``key``.

    ``calc`` has one row per finding with is_<status>, open_<severity>, fail_w and appl_w columns.
    """
    g = calc.groupby(key, sort=True)
    sums = g[[f"is_{s}" for s in STATUSES] + [f"open_{s}" for s in SEVERITIES] + ["fail_w", "appl_w"]].sum()
    out = sums.rename(columns=lambda c: c.split("_", 1)[1] if c[:3] in ("is_", "ope") else c)
    with np.errstate(divide="ignore", invalid="ignore"):
        score = np.where(out["appl_w"] > 0, 100.0 * (1.0 - out["fail_w"] / out["appl_w"]), np.nan)
    out["score"] = score  # exact, like reporter.scoring: renderers round (down) for display
    out["grade"] = [grade_of(s, int(c)) for s, c in zip(out["score"], out["critical"], strict=True)]
    return out.drop(columns=["fail_w", "appl_w"]).rename(columns={"error": "errors"}).reset_index()


@dataclass(frozen=True)
class _Org:
    """The synthetic organization: accounts, functions and roles, as parallel numpy arrays."""

    acct_ids: np.ndarray
    acct_names: np.ndarray
    acct_ous: np.ndarray
    acct_status: np.ndarray
    fn_acct: np.ndarray  # account index per function
    fn_region: np.ndarray  # region index per function
    fn_names: np.ndarray
    fn_role: np.ndarray  # role index per function
    role_names: np.ndarray
    role_acct: np.ndarray  # account index per role


def _organization(rng: np.random.Generator, accounts: int, n_functions: int, hostile: bool) -> _Org:
    ous = np.array([OU_PATHS[i % len(OU_PATHS)] for i in range(accounts)], dtype=object)
    names = np.array(
        [f"acct-{i + 1:02d}-{ou.rsplit('/', 1)[-1].lower()}" for i, ou in enumerate(ous)], dtype=object
    )
    status = np.array(["ACTIVE"] * accounts, dtype=object)
    if accounts >= 3:
        status[-1] = "SUSPENDED"
    active = np.flatnonzero(status == "ACTIVE")
    fn_acct = active[rng.integers(0, len(active), n_functions)]
    # Roles live in their functions' account; about one function in five shares the role of the
    # function before it in the same account (LG-IAM-05 territory).
    order = np.argsort(fn_acct, kind="stable")
    new_role = rng.random(n_functions) >= 0.2
    new_role[0] = True
    new_role[1:] |= fn_acct[order][1:] != fn_acct[order][:-1]
    role_of_sorted = np.cumsum(new_role) - 1
    fn_role = np.empty(n_functions, dtype=np.int64)
    fn_role[order] = role_of_sorted
    n_roles = int(role_of_sorted[-1]) + 1
    role_acct = np.empty(n_roles, dtype=np.int64)
    role_acct[role_of_sorted] = fn_acct[order]
    fn_names = np.array([f"svc-{i:06d}" for i in range(n_functions)], dtype=object)
    role_names = np.array([f"role-{i:06d}" for i in range(n_roles)], dtype=object)
    if hostile:
        k = min(len(HOSTILE_NAMES), n_functions)
        fn_names[:k] = HOSTILE_NAMES[:k]
        role_names[0] = HOSTILE_NAMES[0]
        names[0] = HOSTILE_NAMES[0]
    return _Org(
        acct_ids=np.array([f"{100000000000 + 7919 * (i + 1):012d}" for i in range(accounts)], dtype=object),
        acct_names=names,
        acct_ous=ous,
        acct_status=status,
        fn_acct=fn_acct,
        fn_region=rng.integers(0, len(REGIONS), n_functions),
        fn_names=fn_names,
        fn_role=fn_role,
        role_names=role_names,
        role_acct=role_acct,
    )


def _findings(
    rng: np.random.Generator, org: _Org, rules: pd.DataFrame, findings: int, hostile: bool
) -> tuple[pd.DataFrame, np.ndarray]:
    """Exactly ``findings`` rows, one per (rule, resource), and the function index of each (-1: none)."""
    scope = rules["scope"].to_numpy()
    fn_rules, reg_rules, acc_rules = (np.flatnonzero(scope == s) for s in ("function", "region", "account"))
    active = np.flatnonzero(org.acct_status == "ACTIVE")
    # Account-level units come first (they exist in every real run), then (function, rule) pairs.
    a_r, r_r, rr = np.meshgrid(active, np.arange(len(REGIONS)), reg_rules, indexing="ij")
    unit_acct = np.concatenate([a_r.ravel(), active.repeat(len(acc_rules))])
    unit_region = np.concatenate([r_r.ravel(), np.full(len(active) * len(acc_rules), len(REGIONS))])
    unit_rule = np.concatenate([rr.ravel(), np.tile(acc_rules, len(active))])
    pick = np.sort(rng.choice(len(unit_acct), size=min(findings, len(unit_acct)), replace=False))
    n_fn = findings - len(pick)
    pairs = np.sort(rng.choice(len(org.fn_names) * len(fn_rules), size=n_fn, replace=False))
    f_fn = pairs // len(fn_rules)

    rule_idx = np.concatenate([unit_rule[pick], fn_rules[pairs % len(fn_rules)]])
    acct_idx = np.concatenate([unit_acct[pick], org.fn_acct[f_fn]])
    region_idx = np.concatenate([unit_region[pick], org.fn_region[f_fn]])
    fn_idx = np.concatenate([np.full(len(pick), -1), f_fn]).astype(np.int64)
    is_fn = fn_idx >= 0

    u = rng.random(findings)
    cut = np.cumsum([_ERROR_RATE, _WAIVED_RATE])
    fail_cut = cut[-1] + rules["fail_rate"].to_numpy()[rule_idx]
    status = np.select([u < cut[0], u < cut[1], u < fail_cut], ["error", "waived", "fail"], "pass").astype(
        object
    )
    if hostile:
        # Each hostile function gets one failing row so it reaches the Findings sheet.
        rows = np.flatnonzero(is_fn & (fn_idx < len(HOSTILE_NAMES)))
        _, first = np.unique(fn_idx[rows], return_index=True)
        status[rows[first]] = "fail"

    rule_ids = rules["rule_id"].to_numpy()[rule_idx]
    region = np.array([*REGIONS, "global"], dtype=object)[region_idx]
    acct = org.acct_ids[acct_idx]
    name = np.where(is_fn, org.fn_names[np.maximum(fn_idx, 0)], "")
    unit_id = np.where(region == "global", acct, acct + "/" + region)
    resource_id = np.where(is_fn, name, unit_id).astype(object)
    arn = np.full(findings, None, dtype=object)
    arn[is_fn] = "arn:aws:lambda:" + region[is_fn] + ":" + acct[is_fn] + ":function:" + name[is_fn]
    kind = np.where(region == "global", "account", "account-region")
    resource_type = np.where(is_fn, np.where(rule_ids == "LG-CFG-04", "config-resource", "function"), kind)
    reason = np.select(
        [status == "pass", status == "error"],
        [
            resource_id + " complies with " + rule_ids,
            "collection failed for " + resource_id + ": AccessDenied",
        ],
        resource_id + " does not meet " + rule_ids,
    ).astype(object)
    if hostile:
        bad = np.flatnonzero(status != "pass")[: len(HOSTILE_NAMES)]
        reason[bad] = HOSTILE_NAMES[: len(bad)]
    waiver_id = np.full(findings, None, dtype=object)
    expires = np.full(findings, None, dtype=object)
    waived = status == "waived"
    # One waiver per (rule, account) that waived something: W-0001, W-0002, … in sorted key order.
    codes, _ = pd.factorize(pd.Series(rule_ids[waived] + "|" + acct[waived]), sort=True)
    waiver_id[waived] = [f"W-{c + 1:04d}" for c in codes]
    expires[waived] = "2027-03-31"
    f = pd.DataFrame(
        {
            "rule_id": rule_ids,
            "title": rules["title"].to_numpy()[rule_idx],
            "severity": rules["severity"].to_numpy()[rule_idx],
            "status": status,
            "account_id": acct,
            "account_name": org.acct_names[acct_idx],
            "ou_path": org.acct_ous[acct_idx],
            "region": region,
            "resource_type": resource_type,
            "resource_id": resource_id,
            "resource_arn": arn,
            "reason": reason,
            "remediation": "See " + rule_ids + " in the rule catalog; fix " + resource_id,
            "waiver_id": waiver_id,
            "waiver_expires": expires,
            "guide_section": rules["guide_section"].to_numpy()[rule_idx],
        }
    )
    return f, fn_idx


def _score_inputs(f: pd.DataFrame, fn_idx: np.ndarray) -> pd.DataFrame:
    """Per-finding scoring columns (DESIGN.md §5): waived excluded, errors never count as pass."""
    status = f["status"].to_numpy()
    severity = f["severity"].to_numpy()
    calc = f[["account_id", "ou_path", "rule_id", "guide_section"]].assign(fn=fn_idx)
    for s in STATUSES:
        calc[f"is_{s}"] = (status == s).astype(np.int64)
    w = pd.Series(severity, dtype=object).map(WEIGHTS).to_numpy(dtype=np.int64, na_value=0)
    calc["fail_w"] = w * calc["is_fail"].to_numpy()
    calc["appl_w"] = w * (calc["is_fail"].to_numpy() + calc["is_pass"].to_numpy())
    for sev in SEVERITIES:
        calc[f"open_{sev}"] = ((severity == sev) & (status == "fail")).astype(np.int64)
    return calc


def _na_grade(grades: pd.Series) -> pd.Series:
    return grades.astype(object).where(grades.notna(), "n/a")


def _fill_counts(df: pd.DataFrame) -> pd.DataFrame:
    df["grade"] = _na_grade(df["grade"])
    for c in _COUNT_COLS:
        df[c] = df[c].fillna(0).astype(np.int64)
    return df


def _ous(rng: np.random.Generator, calc: pd.DataFrame, org: _Org, with_history: bool) -> pd.DataFrame:
    """Every OU and its ancestors (Root/Workloads holds Prod and Dev), including OUs without findings."""
    paths = {str(p) for p in org.acct_ous}
    ou_list = sorted({"/".join(p.split("/")[: d + 1]) for p in paths for d in range(1, p.count("/") + 1)})
    frames = []
    for p in ou_list:
        inside = (calc["ou_path"] == p) | calc["ou_path"].str.startswith(p + "/")
        frames.append(score_groups(calc[inside].assign(ou=p), "ou").reindex([0]).assign(ou=p))
    ous = _fill_counts(pd.concat(frames).rename(columns={"ou": "ou_path"}))
    acct_ous = org.acct_ous.astype(str)
    ous["accounts"] = [int(((acct_ous == p) | np.char.startswith(acct_ous, p + "/")).sum()) for p in ou_list]
    ous["delta"] = np.round(rng.normal(0, 3, len(ous)), 1) if with_history else np.nan
    return ous[["ou_path", "accounts", "score", "grade", *_COUNT_COLS, "delta"]].reset_index(drop=True)


def synthetic_model(
    *,
    findings: int = 2000,
    accounts: int = 12,
    seed: int = 1,
    with_history: bool = False,
    hostile_names: bool = False,
) -> ReportModel:
    """A realistic ReportModel with exactly ``findings`` finding rows over ``accounts`` accounts.

    The last account is SUSPENDED (no findings, score n/a, skipped in coverage) when there are at
    least three. ``hostile_names`` plants :data:`HOSTILE_NAMES` in function names (each with a failing
    finding), and the first of them in a role name, an account name and a waiver reason; finding
    reasons get them too. ``with_history`` fills ``trend``
    (6 runs, oldest first) and ``deltas``, and sets account/OU deltas.
    """
    if accounts < 1 or findings < 0:
        raise ValueError("need at least one account and a non-negative number of findings")
    rng = np.random.default_rng(seed)
    rules = rule_table()
    n_functions = max(2 * accounts, math.ceil(findings / _RULES_PER_FUNCTION))
    org = _organization(rng, accounts, n_functions, hostile_names)
    f, fn_idx = _findings(rng, org, rules, findings, hostile_names)
    calc = _score_inputs(f, fn_idx)

    accounts_df = pd.DataFrame(
        {
            "account_id": org.acct_ids,
            "account_name": org.acct_names,
            "ou_path": org.acct_ous,
            "status": org.acct_status,
        }
    )
    acc_scores = score_groups(calc, "account_id")[["account_id", "score", "grade", *_COUNT_COLS]]
    accounts_df = _fill_counts(accounts_df.merge(acc_scores, on="account_id", how="left"))
    accounts_df["delta"] = np.round(rng.normal(0, 4, accounts), 1) if with_history else np.nan
    accounts_df.loc[accounts_df["score"].isna(), "delta"] = np.nan

    sections = score_groups(calc, "guide_section")
    fn_scores = score_groups(calc[calc["fn"] >= 0], "fn").set_index("fn").reindex(range(n_functions))
    status = f["status"].to_numpy()
    severity = f["severity"].to_numpy()
    counts = {s: int((status == s).sum()) for s in STATUSES}
    open_sev = {sev: int(((severity == sev) & (status == "fail")).sum()) for sev in SEVERITIES}
    applicable = int(calc["appl_w"].sum())
    org_score = 100.0 * (1 - float(calc["fail_w"].sum()) / applicable) if applicable else None
    waiver_keys = (
        f.loc[status == "waived", "rule_id"] + "|" + f.loc[status == "waived", "account_id"]
    ).tolist()
    org_grade = grade_of(org_score, open_sev["critical"])
    trend, deltas = history_frames(
        rng, accounts_df, org_score, org_grade, rules["rule_id"].tolist(), with_history
    )

    return ReportModel(
        meta=run_meta(accounts, REGIONS),
        organization=ScoreSummary(score=org_score, grade=org_grade, counts=counts, open_by_severity=open_sev),
        findings=arrow(f[[*FINDING_COLUMNS, "guide_section"]], dict.fromkeys(f.columns, pa.string())),
        controls=arrow(controls_frame(rules, calc)),
        accounts=arrow(accounts_df[[*_SCORE_COLS, *_COUNT_COLS, "delta"]], _SCOPE_TYPES),
        ous=arrow(_ous(rng, calc, org, with_history), _SCOPE_TYPES),
        sections=arrow(
            sections.rename(columns={"errors": "error"})[["guide_section", "score", "grade", *STATUSES]],
            _SCOPE_TYPES,
        ),
        functions=functions_frame(
            rng,
            names=org.fn_names,
            accounts=org.acct_ids[org.fn_acct],
            regions=np.array(REGIONS, dtype=object)[org.fn_region],
            role_arns="arn:aws:iam::"
            + org.acct_ids[org.role_acct[org.fn_role]]
            + ":role/"
            + org.role_names[org.fn_role],
            scores=fn_scores["score"].to_numpy(),
            grades=_na_grade(fn_scores["grade"]).to_numpy(),
        ),
        roles=roles_frame(rng, org.role_names, org.acct_ids[org.role_acct], org.fn_role),
        coverage=coverage_frame(rng, org.acct_ids, org.acct_names, org.acct_status, REGIONS),
        waivers=waivers_frame(waiver_keys, HOSTILE_NAMES[0] if hostile_names else None),
        top_risks=top_risks(calc, rules),
        trend=trend,
        deltas=deltas,
    )
