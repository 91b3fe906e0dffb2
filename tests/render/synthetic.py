"""Synthetic ReportModels for renderer tests and benchmarks, built from the real catalog and scoring.

Only the rows are synthetic: an organization of accounts, functions and roles, and one finding per
(rule, resource) with a random status. Everything a rule *is* (title, severity, scope, guide
section, frameworks, remediation template, risk sentence, owner) comes from
:func:`reporter.rules.catalog.load_catalog` (or the rules passed in), the weights from
:class:`~reporter.settings.Settings`, the scores from :func:`reporter.scoring.score` and the model
from :func:`reporter.render.build.build_model`, so the renderers are tested against the numbers and
wording a real run gives them. Vectorised with numpy: 100,000 findings build in a few seconds.
"""

from __future__ import annotations

import math
import string
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from reporter.findings import FINDING_COLUMNS
from reporter.inventory import GLOBAL_REGION
from reporter.render.build import build_model
from reporter.render.model import ReportModel
from reporter.rules.catalog import Rule, catalog_frame, load_catalog
from reporter.scoring import score
from reporter.settings import Settings
from tests.render.synthetic_frames import (
    Organization,
    history_view,
    inventory,
    run_meta,
    waivers_frame,
)

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

_ERROR_RATE = 0.01
_WAIVED_RATE = 0.015
_FAIL_RATES = (0.02, 0.5)
"""Each rule fails a share of its resources drawn uniformly from this range (seeded)."""
_RULES_PER_FUNCTION = 16  # at most this many rules judge an average function; sizes the organization
_CONFIG_RULES = ("lambda-inside-vpc", "iam-role-managed-policy-check")
"""Names for the synthetic AWS Config evaluations a config-resource rule judges."""


@dataclass(frozen=True)
class _Units:
    """The resources the catalog's rules judge: one row per (rule, resource) candidate."""

    rule: np.ndarray
    acct: np.ndarray
    region: np.ndarray  # index into REGIONS, len(REGIONS) for the global region
    fn: np.ndarray  # function index, -1 when the resource is not a function
    role: np.ndarray  # role index, -1 when the resource is not a role
    config: np.ndarray  # index into _CONFIG_RULES, -1 when not a Config evaluation


def _organization(rng: np.random.Generator, accounts: int, n_functions: int, hostile: bool) -> Organization:
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
    return Organization(
        acct_ids=np.array([f"{100000000000 + 7919 * (i + 1):012d}" for i in range(accounts)], dtype=object),
        acct_names=names,
        acct_ous=ous,
        acct_status=status,
        regions=REGIONS,
        fn_acct=fn_acct,
        fn_region=rng.integers(0, len(REGIONS), n_functions),
        fn_names=fn_names,
        fn_role=fn_role,
        role_names=role_names,
        role_acct=role_acct,
    )


def _units(org: Organization, scopes: np.ndarray, kinds: Sequence[str]) -> _Units:
    """Every (rule, resource) pair of the rules whose scope is one of ``kinds``."""
    active = np.flatnonzero(org.acct_status == "ACTIVE")
    n_regions = len(org.regions)
    parts: list[tuple[np.ndarray, ...]] = []
    for rule in np.flatnonzero(np.isin(scopes, kinds)):
        kind = scopes[rule]
        if kind == "function":
            n = len(org.fn_names)
            fn = np.arange(n)
            parts.append((org.fn_acct, org.fn_region, fn, np.full(n, -1), np.full(n, -1), np.full(n, rule)))
        elif kind == "role":
            n = len(org.role_names)
            role = np.arange(n)
            glob = np.full(n, n_regions)
            parts.append((org.role_acct, glob, np.full(n, -1), role, np.full(n, -1), np.full(n, rule)))
        elif kind in ("account-region", "config-resource"):
            acct, region = (a.ravel() for a in np.meshgrid(active, np.arange(n_regions), indexing="ij"))
            n = len(acct)
            if kind == "config-resource":
                # one evaluation per (Config rule, function) of the unit would be too many: one per unit
                cfg = np.arange(n) % len(_CONFIG_RULES)
                parts.append((acct, region, np.full(n, -1), np.full(n, -1), cfg, np.full(n, rule)))
            else:
                parts.append((acct, region, np.full(n, -1), np.full(n, -1), np.full(n, -1), np.full(n, rule)))
        else:  # account
            n = len(active)
            glob = np.full(n, n_regions)
            parts.append((active, glob, np.full(n, -1), np.full(n, -1), np.full(n, -1), np.full(n, rule)))
    if not parts:
        empty = np.zeros(0, dtype=np.int64)
        return _Units(empty, empty, empty, empty, empty, empty)
    acct, region, fn, role, cfg, rule_idx = (
        np.concatenate(c).astype(np.int64) for c in zip(*parts, strict=True)
    )
    return _Units(rule_idx, acct, region, fn, role, cfg)


def _take(units: _Units, pick: np.ndarray) -> _Units:
    return _Units(*(getattr(units, f)[pick] for f in ("rule", "acct", "region", "fn", "role", "config")))


def _judged(rng: np.random.Generator, org: Organization, scopes: np.ndarray, findings: int) -> _Units:
    """Exactly ``findings`` (rule, resource) pairs: every unit-level one first (they exist in every
    real run), then a random sample of the per-function and per-role ones."""
    units = _units(org, scopes, ("account-region", "account", "config-resource"))
    unit_pick = np.sort(rng.choice(len(units.rule), size=min(findings, len(units.rule)), replace=False))
    resources = _units(org, scopes, ("function", "role"))
    n = findings - len(unit_pick)
    if n > len(resources.rule):
        raise ValueError(f"{findings} findings need more resources than the synthetic organization has")
    res_pick = np.sort(rng.choice(len(resources.rule), size=n, replace=False))
    a, b = _take(units, unit_pick), _take(resources, res_pick)
    return _Units(*(np.concatenate([getattr(a, f), getattr(b, f)]) for f in a.__dataclass_fields__))


def _fill(templates: Sequence[str], rule_idx: np.ndarray, value: np.ndarray) -> np.ndarray:
    """Each row's template (chosen by ``rule_idx``) with every ``{field}`` replaced by ``value``."""
    out = np.full(len(rule_idx), "", dtype=object)
    for i, template in enumerate(templates):
        rows = np.flatnonzero(rule_idx == i)
        if not len(rows):
            continue
        text = np.full(len(rows), "", dtype=object)
        for literal, field, _, _ in string.Formatter().parse(template):
            text = text + literal
            if field is not None:
                text = text + value[rows]
        out[rows] = text
    return out


def _findings(
    rng: np.random.Generator, org: Organization, rules: Sequence[Rule], findings: int, hostile: bool
) -> tuple[pd.DataFrame, list[str]]:
    """The findings frame (FINDING_COLUMNS + guide_section) and the "rule|account" key of each waived row."""
    attr = {k: np.array([getattr(r, k) for r in rules], dtype=object) for k in ("id", "scope", "remediation")}
    u = _judged(rng, org, attr["scope"], findings)
    is_fn, is_role, is_cfg = u.fn >= 0, u.role >= 0, u.config >= 0

    draw = rng.random(findings)
    cut = np.cumsum([_ERROR_RATE, _WAIVED_RATE])
    fail_cut = cut[-1] + rng.uniform(*_FAIL_RATES, len(rules))[u.rule]
    status = np.select([draw < cut[0], draw < cut[1], draw < fail_cut], ["error", "waived", "fail"], "pass")
    status = status.astype(object)
    if hostile:
        # Each hostile function gets one failing row so it reaches the Findings sheet.
        rows = np.flatnonzero(is_fn & (u.fn < len(HOSTILE_NAMES)))
        _, first = np.unique(u.fn[rows], return_index=True)
        status[rows[first]] = "fail"

    rule_ids = attr["id"][u.rule]
    region = np.array([*org.regions, GLOBAL_REGION], dtype=object)[u.region]
    acct = org.acct_ids[u.acct]
    fn_name = org.fn_names[np.maximum(u.fn, 0)]
    role_name = org.role_names[np.maximum(u.role, 0)]
    unit_id = np.where(region == GLOBAL_REGION, acct, acct + "/" + region)
    cfg_id = (
        np.array(_CONFIG_RULES, dtype=object)[np.maximum(u.config, 0)] + "/AWS::Lambda::Function/" + unit_id
    )
    resource_id = np.select([is_fn, is_role, is_cfg], [fn_name, role_name, cfg_id], unit_id).astype(object)
    arn = np.full(findings, None, dtype=object)
    arn[is_fn] = "arn:aws:lambda:" + region[is_fn] + ":" + acct[is_fn] + ":function:" + fn_name[is_fn]
    arn[is_role] = "arn:aws:iam::" + acct[is_role] + ":role/" + role_name[is_role]
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
    # Remediation only where a real run has one (fail and waived rows): the template, every field
    # filled with the resource id.
    remediation = _fill(list(attr["remediation"]), u.rule, resource_id)
    remediation[~np.isin(status, ("fail", "waived"))] = None
    waived = status == "waived"
    keys = rule_ids[waived] + "|" + acct[waived]
    # One waiver per (rule, account) that waived something: W-0001, W-0002, … in sorted key order.
    codes, _ = pd.factorize(pd.Series(keys, dtype=object), sort=True)
    waiver_id = np.full(findings, None, dtype=object)
    expires = np.full(findings, None, dtype=object)
    waiver_id[waived] = [f"W-{c + 1:04d}" for c in codes]
    expires[waived] = "2027-03-31"
    catalog = {k: np.array([getattr(r, k) for r in rules], dtype=object) for k in ("title", "severity")}
    columns = {
        "rule_id": rule_ids,
        "title": catalog["title"][u.rule],
        "severity": catalog["severity"][u.rule],
        "status": status,
        "account_id": acct,
        "account_name": org.acct_names[u.acct],
        "ou_path": org.acct_ous[u.acct],
        "region": region,
        "resource_type": attr["scope"][u.rule],
        "resource_id": resource_id,
        "resource_arn": arn,
        "reason": reason,
        "remediation": remediation,
        "waiver_id": waiver_id,
        "waiver_expires": expires,
        "guide_section": np.array([r.guide_section for r in rules], dtype=object)[u.rule],
    }
    table = pa.table({c: pa.array(columns[c], type=pa.string()) for c in (*FINDING_COLUMNS, "guide_section")})
    return table.to_pandas(types_mapper=pd.ArrowDtype), keys.tolist()


def synthetic_model(
    *,
    findings: int = 2000,
    accounts: int = 12,
    seed: int = 1,
    with_history: bool = False,
    hostile_names: bool = False,
    rules: Sequence[Rule] | None = None,
    settings: Settings | None = None,
) -> ReportModel:
    """A ReportModel with exactly ``findings`` finding rows over ``accounts`` accounts.

    ``rules`` defaults to the catalog and ``settings`` to the defaults (their weights score the
    findings). The last account is SUSPENDED (no findings, score n/a, skipped in coverage) when
    there are at least three. ``hostile_names`` plants :data:`HOSTILE_NAMES` in function names (each
    with a failing finding), and the first of them in a role name, an account name and a waiver
    reason; finding reasons get them too. ``with_history`` fills ``trend`` (6 runs, oldest first),
    ``deltas`` and the account and OU deltas.
    """
    if accounts < 1 or findings < 0:
        raise ValueError("need at least one account and a non-negative number of findings")
    rules = tuple(load_catalog() if rules is None else rules)
    settings = settings or Settings()
    rng = np.random.default_rng(seed)
    # a function meets about 70% of the per-resource rules (the catalog's: about 16 of 23)
    per_function = sum(r.scope in ("function", "role") for r in rules)
    per_function = max(1, min(_RULES_PER_FUNCTION, math.ceil(0.7 * per_function)))
    n_functions = max(2 * accounts, math.ceil(findings / per_function))
    org = _organization(rng, accounts, n_functions, hostile_names)
    frame, waiver_keys = _findings(rng, org, rules, findings, hostile_names)
    scores = score(frame, settings)
    history = history_view(rng, org, scores, [r.id for r in rules]) if with_history else None
    return build_model(
        inventory=inventory(rng, org),
        findings=frame,
        catalog=catalog_frame(rules),
        scores=scores,
        waivers=waivers_frame(
            waiver_keys, [r.id for r in rules], HOSTILE_NAMES[0] if hostile_names else None
        ),
        meta=run_meta(accounts, REGIONS),
        history=history,
    )
