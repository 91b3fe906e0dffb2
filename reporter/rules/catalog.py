"""The rule catalog: ``queries/rules/*.sql`` and ``queries/views/*.sql``, parsed and validated.

A rule file is a header of ``-- key: value`` lines, a blank line, then one SELECT (DESIGN.md §4)::

    -- id: LG-COST-01                      (= the file name)
    -- title: …
    -- severity: critical | high | medium | low
    -- scope: function | role | account-region | account | config-resource
    -- spans: account                      (optional: a row's verdict uses every region of the account)
    -- guide: <a section heading of the guide, GUIDE_SECTIONS>
    -- frameworks: <the AWS control it mirrors, or "none (…)">
    -- reads: <the tables it depends on, through views too>
    -- context: <tables of reads used only to word the reason> (optional)
    -- risk: <the top-risk sentence a leader reads, RISK_FIELDS filled per report>
    -- owner: <who should act on the rule's findings>
    -- remediation: <a command template, {column} filled per failing row>

The query returns every applicable resource with ``account_id, region, resource_type (= scope),
resource_id, resource_arn, status (pass|fail), reason`` plus the columns its remediation template
names. Thresholds reach it as named parameters (``$concurrency_cap``: Settings.rule_parameters()).
Shared joins live in ``queries/views/*.sql`` (``-- view:`` and ``-- reads:`` header); the macro
``preview(list, n)`` (:data:`MACROS`) shortens lists in reasons. ``spans`` and ``context`` matter
to error rows (reporter/rules/error_rows.py). Every problem in a file is a :class:`RuleError` naming
the file and line.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from functools import cache
from pathlib import Path

import pandas as pd
import pyarrow as pa

from reporter.errors import ReporterError
from reporter.inventory import TABLES
from reporter.locations import queries_dir
from reporter.settings import SEVERITIES, Thresholds

RULES_DIR = queries_dir() / "rules"
VIEWS_DIR = queries_dir() / "views"

RULE_CATALOG_VERSION = "v1"
"""Version of shared/RULES.md the catalog implements (reports state it)."""

SCOPE_NOUNS: dict[str, tuple[str, str]] = {
    "function": ("function", "functions"),
    "role": ("role", "roles"),
    "account-region": ("region", "regions"),
    "account": ("account", "accounts"),
    "config-resource": ("resource", "resources"),
}
"""Kinds of resource a rule judges, with the (singular, plural) noun a risk sentence counts them by."""
SCOPES: tuple[str, ...] = tuple(SCOPE_NOUNS)
"""Kinds of resource a rule judges; a rule's rows carry its scope as resource_type."""

RISK_FIELDS: dict[str, str] = {
    "count": 'the count with its noun: "23 functions"',
    "where": '" in 5 accounts" (empty for account-scoped rules)',
    "s": 'a verb ending: "s" for one ("runs"), "" for many',
    "have": "has or have",
    "are": "is or are",
    "title": "the rule's title",
}
"""Fields a ``risk:`` sentence may use; ``{count}`` is required."""

GUIDE_SECTIONS: tuple[str, ...] = (
    "Serverless Governance: A Paradigm Shift",
    "Security Governance: The Execution Role is Everything",
    "Preventive Controls: Safely Delegating with Permissions Boundaries",
    "Automated Cost Governance and Control",
    "Automation Pattern: Concurrency Limiter",
    "Detective Controls with AWS Config",
    "Troubleshooting Advanced Lambda Issues",
    'High "Cold Start" Latency',
    "VPC Networking Timeouts",
    "Expert-Level Serverless Governance Best Practices",
)
"""The guide's section headings, verbatim: a rule's ``guide:`` must be one of them."""

STATIC_TABLES: tuple[str, ...] = ("runtimes", "admin_policies")
"""Tables the engine registers from reporter/data (not collected, so never unread)."""

PARAMETERS: tuple[str, ...] = (*(f.name for f in fields(Thresholds)), "run_date")
"""Every name Settings.rule_parameters() provides."""

RESULT_COLUMNS: tuple[str, ...] = (
    "account_id",
    "region",
    "resource_type",
    "resource_id",
    "resource_arn",
    "status",
    "reason",
)
"""Columns every rule query returns (more may follow, for its remediation template)."""

_RULE_KEYS = (
    "id",
    "title",
    "severity",
    "scope",
    "spans",
    "guide",
    "frameworks",
    "reads",
    "context",
    "risk",
    "owner",
    "remediation",
)
_OPTIONAL_KEYS = frozenset({"spans", "context"})
_VIEW_KEYS = ("view", "reads")
_HEADER_LINE = re.compile(r"^--\s*([a-z_-]+):\s*(.*?)\s*$")
_RULE_ID = re.compile(r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$")
_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_LEXEMES = re.compile(r"'(?:[^']|'')*'|--[^\n]*")

MACROS: tuple[str, ...] = (
    # preview(list, n): "a, b, c (+4 more)", so a reason stays readable however long the list is.
    """create or replace temp macro preview(items, n) as
       case when items is null or len(items) = 0 then 'none'
            when len(items) <= n then array_to_string(items, ', ')
            else array_to_string(items[1:n], ', ') || ' (+' || (len(items) - n) || ' more)' end""",
)


class RuleError(ReporterError):
    """A rule or view file is malformed, or a rule's result breaks the contract (a bug to fix)."""


@dataclass(frozen=True)
class Rule:
    """One rule of the catalog: its header and its query."""

    id: str
    title: str
    severity: str
    scope: str
    guide_section: str
    frameworks: str
    remediation: str
    """Template: literal text with ``{column}`` fields from the query's columns (``{{`` for a brace)."""
    reads: tuple[str, ...]
    """Tables the rule depends on (through views too): errors on them make its rows errors."""
    risk: str
    """Template of the plain-language top-risk sentence (fields: :data:`RISK_FIELDS`)."""
    owner: str
    """Who should act on the rule's findings."""
    sql: str
    spans_account: bool = False
    """The judgement of one row uses data from every region of the account (e.g. role sharing)."""
    context: tuple[str, ...] = ()
    """Tables of ``reads`` used only to word the reason: their gaps do not make rows errors."""
    path: Path | None = None

    @property
    def judged_on(self) -> tuple[str, ...]:
        """The tables the verdict depends on: ``reads`` without ``context``."""
        return tuple(t for t in self.reads if t not in self.context)

    @property
    def parameters(self) -> tuple[str, ...]:
        """The ``$names`` the query uses, in order of first use."""
        return tuple(dict.fromkeys(_PARAM.findall(strip_sql(self.sql))))

    @property
    def template_fields(self) -> tuple[str, ...]:
        return tuple(
            dict.fromkeys(f for _, f, _, _ in string.Formatter().parse(self.remediation) if f is not None)
        )


@dataclass(frozen=True)
class View:
    name: str
    reads: tuple[str, ...]
    sql: str
    path: Path


def strip_sql(sql: str) -> str:
    """The query without comments and string literals (what names and parameters are read from)."""
    # One left-to-right pass, so an apostrophe in a comment never opens a string and "--" in a
    # string never opens a comment.
    return _LEXEMES.sub(lambda m: "''" if m.group(0).startswith("'") else " ", sql)


def mentioned(sql: str, names: Iterable[str]) -> set[str]:
    """Which of ``names`` the query refers to as a whole word."""
    words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", strip_sql(sql)))
    return {n for n in names if n in words}


def _parse(path: Path, allowed: Sequence[str], optional: frozenset[str]) -> tuple[dict[str, str], str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    header: dict[str, str] = {}
    body_start = len(lines)
    for number, line in enumerate(lines, start=1):
        if not line.startswith("--"):
            body_start = number - 1
            break
        match = _HEADER_LINE.match(line)
        if not match:
            raise RuleError(
                f"{path}:{number}: header lines are '-- key: value' (end the header with a blank line)"
            )
        key, value = match.groups()
        if key not in allowed:
            raise RuleError(f"{path}:{number}: unknown header key '{key}' (known: {', '.join(allowed)})")
        if key in header:
            raise RuleError(f"{path}:{number}: header key '{key}' given twice")
        if not value:
            raise RuleError(f"{path}:{number}: header key '{key}' is empty")
        header[key] = value
    missing = [k for k in allowed if k not in header and k not in optional]
    if missing:
        raise RuleError(f"{path}:1: header lacks {', '.join(missing)}")
    body = "\n".join(lines[body_start:]).strip().rstrip(";").strip()
    code = strip_sql(body)
    if not re.match(r"(?is)^\s*(select|with)\b", code) or ";" in code:
        first = next((i for i in range(body_start, len(lines)) if lines[i].strip()), body_start)
        raise RuleError(f"{path}:{first + 1}: expected one SELECT after the header")
    return header, body


def _line_of(path: Path, key: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.startswith(f"-- {key}:"):
            return number
    return 1


def _table_list(path: Path, value: str, known: Sequence[str]) -> tuple[str, ...]:
    names = tuple(n.strip() for n in value.split(","))
    unknown = [n for n in names if n not in known]
    if unknown:
        raise RuleError(f"{path}:{_line_of(path, 'reads')}: reads unknown table(s) {', '.join(unknown)}")
    return names


def load_rule(path: Path) -> Rule:
    """Parse and validate one rule file; every problem names the file and line."""
    header, sql = _parse(path, _RULE_KEYS, _OPTIONAL_KEYS)

    def bad(key: str, message: str) -> RuleError:
        return RuleError(f"{path}:{_line_of(path, key)}: {message}")

    if header["id"] != path.stem or not _RULE_ID.match(header["id"]):
        raise bad("id", f"id '{header['id']}' must equal the file name '{path.stem}' (like LG-IAM-01)")
    if header["severity"] not in SEVERITIES:
        raise bad("severity", f"severity '{header['severity']}' is not one of {', '.join(SEVERITIES)}")
    if header["scope"] not in SCOPES:
        raise bad("scope", f"scope '{header['scope']}' is not one of {', '.join(SCOPES)}")
    if header["guide"] not in GUIDE_SECTIONS:
        raise bad("guide", f"guide section '{header['guide']}' is not a heading of the guide")
    if header.get("spans", "account") != "account":
        raise bad("spans", "spans can only be 'account'")
    rule = Rule(
        id=header["id"],
        title=header["title"],
        severity=header["severity"],
        scope=header["scope"],
        guide_section=header["guide"],
        frameworks=header["frameworks"],
        remediation=header["remediation"],
        reads=_table_list(path, header["reads"], (*TABLES, *STATIC_TABLES)),
        risk=header["risk"],
        owner=header["owner"],
        sql=sql,
        spans_account="spans" in header,
        context=tuple(n.strip() for n in header["context"].split(",")) if "context" in header else (),
        path=path,
    )
    if not set(rule.context) <= set(rule.reads):
        raise bad("context", "context tables must be listed in reads too")
    unknown = [p for p in rule.parameters if p not in PARAMETERS]
    if unknown:
        raise RuleError(
            f"{path}: unknown parameter(s) ${', $'.join(unknown)} (known: {', '.join(PARAMETERS)})"
        )
    try:
        remediation_sql(rule.remediation)
    except ValueError as exc:
        raise bad("remediation", f"remediation template: {exc}") from None
    try:
        check_risk(rule.risk)
    except ValueError as exc:
        raise bad("risk", f"risk sentence: {exc}") from None
    return rule


def check_risk(template: str) -> None:
    """Raise ValueError unless ``template`` uses only :data:`RISK_FIELDS`, ``{count}`` among them."""
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise ValueError(str(exc)) from None
    used = {f for _, f, _, _ in parsed if f is not None}
    unknown = sorted(used - set(RISK_FIELDS))
    if unknown:
        raise ValueError(f"unknown field(s) {unknown} (known: {', '.join(RISK_FIELDS)})")
    if any(spec or conversion for _, f, spec, conversion in parsed if f is not None):
        raise ValueError("fields take no format spec or conversion")
    if "count" not in used:
        raise ValueError("it must say how many resources fail: {count}")


def load_view(path: Path) -> View:
    header, sql = _parse(path, _VIEW_KEYS, frozenset())
    if header["view"] != path.stem:
        raise RuleError(f"{path}:{_line_of(path, 'view')}: view name must equal the file name '{path.stem}'")
    return View(path.stem, _table_list(path, header["reads"], (*TABLES, *STATIC_TABLES)), sql, path)


@cache
def load_catalog(directory: Path = RULES_DIR) -> tuple[Rule, ...]:
    """Every rule of ``directory``, sorted by id."""
    rules = tuple(load_rule(p) for p in sorted(directory.glob("*.sql")))
    if not rules:
        raise RuleError(f"{directory}: no rule files")
    return rules


@cache
def load_views(directory: Path = VIEWS_DIR) -> tuple[View, ...]:
    """Every view, ordered so each comes after the views it selects from."""
    pending = {v.name: v for v in (load_view(p) for p in sorted(directory.glob("*.sql")))}
    ordered: list[View] = []
    while pending:
        ready = sorted(n for n, v in pending.items() if not (mentioned(v.sql, pending) - {n}))
        if not ready:
            raise RuleError(
                f"{directory}: views refer to each other in a cycle: {', '.join(sorted(pending))}"
            )
        ordered.extend(pending.pop(n) for n in ready)
    return tuple(ordered)


def remediation_sql(template: str) -> str:
    """The template as a SQL expression over the result row ``r`` (fields become columns)."""
    parts: list[str] = []
    for literal, field, spec, conversion in string.Formatter().parse(template):
        if literal:
            parts.append("'" + literal.replace("'", "''") + "'")
        if field is None:
            continue
        if not re.fullmatch(r"[a-z_][a-z0-9_]*", field) or spec or conversion:
            raise ValueError(f"'{{{field}}}' must be a plain column name")
        parts.append(f'cast(r."{field}" as varchar)')
    return "concat(" + ", ".join(parts or ["''"]) + ")"


CATALOG_COLUMNS: tuple[str, ...] = (
    "id",
    "title",
    "severity",
    "scope",
    "guide_section",
    "frameworks",
    "remediation",
    "risk",
    "owner",
)


def catalog_frame(rules: Sequence[Rule] | None = None) -> pd.DataFrame:
    """id, title, severity, scope, guide_section, frameworks, remediation, risk, owner — a row per rule."""
    catalog = load_catalog() if rules is None else rules
    columns = CATALOG_COLUMNS
    records = [{c: getattr(r, c) for c in columns} for r in catalog]
    table = pa.Table.from_pylist(records, schema=pa.schema([(c, pa.string()) for c in columns]))
    return table.to_pandas(types_mapper=pd.ArrowDtype)


def format_catalog(rules: Sequence[Rule] | None = None) -> str:
    """A plain-text table of the catalog for ``--list-rules``."""
    catalog = load_catalog() if rules is None else rules
    heads = ("ID", "SEVERITY", "SCOPE", "TITLE", "GUIDE SECTION")
    rows = [(r.id, r.severity, r.scope, r.title, r.guide_section) for r in catalog]
    widths = [max(len(row[i]) for row in (heads, *rows)) for i in range(len(heads) - 1)]
    lines = [
        "  ".join([*(c.ljust(w) for c, w in zip(row[:-1], widths, strict=True)), row[-1]])
        for row in (heads, *rows)
    ]
    return "\n".join(line.rstrip() for line in lines) + "\n"
