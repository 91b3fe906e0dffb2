"""Build the one :class:`~reporter.render.model.ReportModel` every renderer reads.

Nothing here judges or scores: the numbers come from the findings and :class:`Scores`, and this
module only joins them to the inventory and catalog, fills the gaps (an account without findings
is still listed, with score n/a) and fixes the order of every table so two runs over the same
evidence render identically (crawl order depends on thread timing; reports must not).

Frames the builder computes are Arrow-backed, like the inventory tables they join.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
import pyarrow as pa

from reporter.findings import FINDING_COLUMNS, STATUSES
from reporter.inventory import Inventory
from reporter.model import DELTA_SCHEMA, TREND_SCHEMA, HistoryView, RunMeta
from reporter.outputs import sort_findings
from reporter.render.model import ReportModel, Risk
from reporter.rules.catalog import SCOPE_NOUNS
from reporter.scoring import NO_GRADE, Scores
from reporter.settings import SEVERITIES
from reporter.waivers import WAIVER_COLUMNS

TOP_RISKS = 5
CONTROL_COLUMNS = ("rule_id", "title", "severity", "guide_section", "frameworks", "remediation")
_OPEN_AND_OTHER = (*SEVERITIES, "waived", "errors")
ACCOUNT_COLUMNS = (
    "account_id",
    "account_name",
    "ou_path",
    "status",
    "score",
    "grade",
    *_OPEN_AND_OTHER,
    "delta",
)
OU_COLUMNS = ("ou_path", "accounts", "score", "grade", *_OPEN_AND_OTHER, "delta")
SECTION_COLUMNS = ("guide_section", "score", "grade", *STATUSES)


def build_model(
    *,
    inventory: Inventory,
    findings: pd.DataFrame,
    catalog: pd.DataFrame,
    scores: Scores,
    waivers: pd.DataFrame,
    meta: RunMeta,
    history: HistoryView | None = None,
) -> ReportModel:
    """The report model of one run (see :class:`~reporter.render.model.ReportModel` per field)."""
    catalog = catalog.rename(columns={"id": "rule_id"})
    unknown = sorted(set(scores.rules["rule_id"]) - set(catalog["rule_id"]))
    if unknown:
        raise ValueError(f"findings for rules missing from the catalog: {unknown}")
    accounts = _accounts(inventory, findings, scores, history)
    missing_waiver_columns = [c for c in WAIVER_COLUMNS if c not in waivers.columns]
    if missing_waiver_columns:
        raise ValueError(f"waiver report lacks columns {missing_waiver_columns}")
    return ReportModel(
        meta=meta,
        organization=scores.organization,
        findings=sort_findings(findings[[*FINDING_COLUMNS, "guide_section"]]),
        controls=_arrow(_controls(catalog, scores)),
        accounts=_arrow(accounts),
        ous=_arrow(_ous(accounts, scores, history)),
        sections=_arrow(_sections(catalog, scores)),
        functions=_arrow(_functions(inventory, scores)),
        roles=_arrow(_roles(inventory)),
        coverage=_arrow(_coverage(inventory, accounts)),
        waivers=_arrow(waivers[list(WAIVER_COLUMNS)].reset_index(drop=True)),
        top_risks=top_risks(findings, catalog, scores),
        trend=_history_frame(history.trend if history else None, TREND_SCHEMA),
        deltas=_history_frame(history.deltas if history else None, DELTA_SCHEMA),
    )


def _history_frame(frame: pd.DataFrame | None, schema: pa.Schema) -> pd.DataFrame:
    """The history module's frame as given (it may add columns), or an empty one without history."""
    if frame is None:
        return schema.empty_table().to_pandas(types_mapper=pd.ArrowDtype)
    missing = [name for name in schema.names if name not in frame.columns]
    if missing:
        raise ValueError(f"history frame lacks columns {missing}")
    return frame


def _arrow(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with Arrow-backed columns; large_string (pandas' own str dtype) as plain string."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    schema = pa.schema(
        [f.with_type(pa.string()) if pa.types.is_large_string(f.type) else f for f in table.schema]
    )
    return table.cast(schema).to_pandas(types_mapper=pd.ArrowDtype)


def _scored(base: pd.DataFrame, scope: pd.DataFrame, on: str, counts: tuple[str, ...]) -> pd.DataFrame:
    """``base`` left-joined with score, grade and ``counts`` of ``scope``; unscored rows get n/a, 0."""
    scope = scope[[on, "score", "grade", *counts]].astype({on: base[on].dtype})
    merged = base.merge(scope, on=on, how="left", validate="1:1")
    merged["grade"] = merged["grade"].fillna(NO_GRADE)
    merged["score"] = merged["score"].astype("Float64")
    return merged.fillna(dict.fromkeys(counts, 0)).astype(dict.fromkeys(counts, "int64"))


def _controls(catalog: pd.DataFrame, scores: Scores) -> pd.DataFrame:
    controls = _scored(catalog[list(CONTROL_COLUMNS)], scores.rules, "rule_id", STATUSES)
    judged = controls["pass"] + controls["fail"]
    controls["pass_rate"] = (controls["pass"] / judged.where(judged > 0)).astype("Float64")
    return controls.drop(columns=["score", "grade"])


def _accounts(
    inventory: Inventory, findings: pd.DataFrame, scores: Scores, history: HistoryView | None
) -> pd.DataFrame:
    listed = inventory["accounts"][["account_id", "name", "ou_path", "status"]].rename(
        columns={"name": "account_name"}
    )
    # An account with findings but absent from the accounts table (e.g. --accounts without
    # Organizations access) is still shown: every score in a report must be on some row.
    extra = sorted(set(scores.accounts["account_id"]) - set(listed["account_id"]))
    if extra:
        named = findings[findings["account_id"].isin(extra)].drop_duplicates("account_id")
        listed = pd.concat(
            [listed.astype(object), named[["account_id", "account_name", "ou_path"]].astype(object)],
            ignore_index=True,
        )
    scope = scores.accounts.rename(columns={"error": "errors"})
    accounts = _scored(listed, scope, "account_id", _OPEN_AND_OTHER)
    changes = history.score_delta if history else None
    accounts["delta"] = _deltas(accounts["account_id"], accounts["score"], changes)
    return _sort(accounts, ["ou_path", "account_name", "account_id"])[list(ACCOUNT_COLUMNS)]


def _deltas(keys: pd.Series, score: pd.Series, changes: Mapping[str, float] | None) -> pd.Series:
    """Score change per key; null when unknown or when there is no score now."""
    delta = keys.map(dict(changes or {})).astype("Float64")
    return delta.where(score.notna())


def _ou_key(path: str) -> tuple[str, ...]:
    return tuple(path.split("/"))


def _ous(accounts: pd.DataFrame, scores: Scores, history: HistoryView | None) -> pd.DataFrame:
    account_paths = [str(p) for p in accounts["ou_path"].dropna()]
    paths = {"/".join(_ou_key(p)[: i + 1]) for p in account_paths for i in range(len(_ou_key(p)))}
    ordered = sorted(paths | set(scores.ous["ou_path"]), key=_ou_key)  # tree order: parent, then children
    base = pd.DataFrame(
        {
            "ou_path": pd.Series(ordered, dtype="str"),
            # an OU counts every account below it, suspended ones included (same rule as its score)
            "accounts": [sum(a == p or a.startswith(p + "/") for a in account_paths) for p in ordered],
        }
    )
    ous = _scored(base, scores.ous.rename(columns={"error": "errors"}), "ou_path", _OPEN_AND_OTHER)
    changes = history.ou_score_delta if history else None
    ous["delta"] = _deltas(ous["ou_path"], ous["score"], changes)
    return ous[list(OU_COLUMNS)]


def _sections(catalog: pd.DataFrame, scores: Scores) -> pd.DataFrame:
    # the catalog's order (the guide's order) first, then any section only findings name
    names = list(dict.fromkeys(catalog["guide_section"].dropna().astype(str)))
    names += sorted(set(scores.sections["guide_section"]) - set(names))
    base = pd.DataFrame({"guide_section": pd.Series(names, dtype="str")})
    return _scored(base, scores.sections, "guide_section", STATUSES)[list(SECTION_COLUMNS)]


def _functions(inventory: Inventory, scores: Scores) -> pd.DataFrame:
    functions = inventory["functions"]
    scope = scores.functions[["function_arn", "score", "grade"]]
    scope = scope.astype({"function_arn": functions["function_arn"].dtype})
    merged = functions.merge(scope, on="function_arn", how="left", validate="m:1")
    merged["grade"] = merged["grade"].fillna(NO_GRADE)
    merged["score"] = merged["score"].astype("Float64")
    return _sort(merged, ["account_id", "region", "name", "function_arn"])


def _roles(inventory: Inventory) -> pd.DataFrame:
    facts = inventory["role_facts"]
    roles = inventory["roles"].merge(facts, on=["account_id", "role_arn"], how="left", validate="1:1")
    users = inventory["functions"]["role_arn"].value_counts()
    roles["functions"] = roles["role_arn"].map(users).fillna(0).astype("int64")
    return _sort(roles, ["account_id", "role_name", "role_arn"])


def _coverage(inventory: Inventory, accounts: pd.DataFrame) -> pd.DataFrame:
    coverage = inventory["coverage"].copy()
    names = dict(zip(accounts["account_id"], accounts["account_name"], strict=True))
    coverage.insert(1, "account_name", coverage["account_id"].map(names).astype("str"))
    return _sort(coverage, ["account_id", "region", "collector", "resource_arn"])


def _sort(frame: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    return frame.sort_values(by, kind="stable", na_position="last", ignore_index=True)


# --- top risks ---------------------------------------------------------------------------------


def risk_sentence(template: str, title: str, count: int, accounts: int, resource_type: str) -> str:
    """A rule's ``risk:`` sentence filled in, e.g. "23 functions in 5 accounts can be invoked …"."""
    singular, plural = SCOPE_NOUNS.get(resource_type, SCOPE_NOUNS["config-resource"])
    one = count == 1
    where = "" if resource_type == "account" else f" in {accounts} account{'' if accounts == 1 else 's'}"
    return template.format(
        count=f"{count} {singular if one else plural}",
        where=where,
        s="s" if one else "",
        have="has" if one else "have",
        are="is" if one else "are",
        title=title,
    )


def top_risks(findings: pd.DataFrame, catalog: pd.DataFrame, scores: Scores) -> tuple[Risk, ...]:
    """The rules carrying the most weight of open findings (ties: severity, count, id), at most five."""
    rules = scores.rules[scores.rules["fail"] > 0].copy()
    if rules.empty:
        return ()
    rules["rank"] = rules["rule_id"].map(dict(zip(catalog["rule_id"], catalog["severity"], strict=True)))
    rules["rank"] = rules["rank"].map({s: i for i, s in enumerate(SEVERITIES)})
    top = rules.sort_values(
        ["weight_failing", "rank", "fail", "rule_id"], ascending=[False, True, False, True], kind="stable"
    ).head(TOP_RISKS)
    wanted = (findings["status"] == "fail") & findings["rule_id"].isin(top["rule_id"])
    failing = findings.loc[
        wanted.to_numpy(dtype=bool, na_value=False), ["rule_id", "account_id", "resource_type"]
    ]
    spread = failing.groupby("rule_id")["account_id"].nunique()
    # the resource type most of a rule's failures have (one per rule in practice) names the count
    types = failing.groupby(["rule_id", "resource_type"]).size().rename("n").reset_index()
    types = types.sort_values(["rule_id", "n", "resource_type"], ascending=[True, False, True])
    kind = dict(zip(types["rule_id"], types["resource_type"], strict=True))
    info = catalog.set_index("rule_id")
    risks = []
    for rule_id, count in zip(top["rule_id"], top["fail"], strict=True):
        title = str(info.at[rule_id, "title"])
        accounts = int(spread.get(rule_id, 0))
        risks.append(
            Risk(
                rule_id=str(rule_id),
                title=title,
                severity=str(info.at[rule_id, "severity"]),
                failing=int(count),
                accounts=accounts,
                plain=risk_sentence(
                    str(info.at[rule_id, "risk"]), title, int(count), accounts, str(kind.get(rule_id, ""))
                ),
                owner=str(info.at[rule_id, "owner"]),
            )
        )
    return tuple(risks)
