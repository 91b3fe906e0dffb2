"""Templates and plans → the inventory tables the rules read (reporter/inventory.py), unchanged.

Each scanned file stands for one account the stack is deployed to: a placeholder account id per
file (``000000000001``, …; the ``accounts`` row carries the file as its name), so resources of two
files never collide and ``${AWS::AccountId}`` means the same thing throughout one file.

What a template cannot say becomes an :class:`Unknown`, kept beside the inventory: the scan turns
the rows of the rules it touches into ``error`` "unresolved" (reporter.iac.scan). Kinds:

- ``column``: a ``functions`` column (the rules whose query mentions it are touched);
- ``table``: a table the function's judgement reads (``subnets``: a subnet not defined in the file;
  ``roles``: an execution role defined elsewhere) — the rules that read it are touched;
- ``tag``: the value of one tag key (rules whose parameters name that key are touched, and their
  rows are added where the rule could not even tell that it applies).

Roles whose policies hold unresolved parts, or whose boundary or managed policies are defined
outside the file, keep an ``analysis_error`` starting with "unresolved:" and a ``role`` Unknown.
AWS-managed policy documents come from the snapshot moto ships (``moto.iam.aws_managed_policies``),
the only offline copy at hand; a managed policy it does not know is unresolved, never assumed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import pyarrow as pa

from reporter.collectors.common import canonical_json
from reporter.iac.model import Problem
from reporter.iac.resolve import Unresolved, first_unresolved
from reporter.iam.tables import inline_policy_key
from reporter.inventory import GLOBAL_REGION, SCHEMAS, Inventory
from reporter.rules.derive import derive

COLLECTOR = "iac"
_PINS: dict[str, tuple[str, str]] = {
    "SourceArn": ("ArnLike", "AWS:SourceArn"),
    "SourceAccount": ("StringEquals", "AWS:SourceAccount"),
    "PrincipalOrgID": ("StringEquals", "aws:PrincipalOrgID"),
    "EventSourceToken": ("StringEquals", "lambda:EventSourceToken"),
    "FunctionUrlAuthType": ("StringEquals", "lambda:FunctionUrlAuthType"),
}


@dataclass(frozen=True)
class Location:
    """Where a resource is declared: file, line (templates) or address (plans)."""

    path: str
    line: int | None
    logical_id: str
    """CloudFormation logical id, or Terraform address."""
    label: str = ""


@dataclass(frozen=True)
class Unknown:
    """A value of one function's judgement known only at deploy (see the module docstring)."""

    function_arn: str
    kind: str  # column | table | tag | role
    key: str
    reason: str
    adds: bool = False
    """Whether the rules it touches apply at all is unknown too: rows they did not return are added."""


@dataclass
class Built:
    inventory: Inventory
    locations: dict[str, Location]
    """function ARN → where the function is declared."""
    role_locations: dict[str, Location]
    """function ARN → where its execution role is declared (when in the same file)."""
    unknowns: list[Unknown]
    problems: list[Problem] = field(default_factory=list)


canonical = canonical_json
"""Documents and policy elements are stored in the crawl's one JSON spelling."""


@cache
def aws_managed_documents() -> dict[str, dict[str, Any]]:
    """AWS-managed policy name → document, from the snapshot moto ships (a runtime dependency).

    The file is one Python string literal of JSON; it is read as text, not imported, because
    importing anything under ``moto`` loads moto's core (over a second) for one data file.
    """
    import importlib.util
    from pathlib import Path

    spec = importlib.util.find_spec("moto")
    if spec is None or not spec.submodule_search_locations:
        return {}
    path = Path(next(iter(spec.submodule_search_locations))) / "iam" / "aws_managed_policies.py"
    try:
        text = path.read_text(encoding="utf-8")
        data: dict[str, dict[str, Any]] = json.loads(text[text.index('"""') + 3 : text.rindex('"""')])
    except (OSError, ValueError):
        return {}  # a moto that moved the file: every AWS-managed policy reads as unresolved
    return {
        name: entry["Document"] for name, entry in data.items() if isinstance(entry.get("Document"), dict)
    }


class ShapeError(ValueError):
    """A property of a template or plan has a shape no deployment could have (a list where a name
    goes): the resource is reported as malformed, never read as "not set"."""


def _shown(value: Any) -> str:
    return type(value).__name__ if isinstance(value, list | dict) else repr(value)[:40]


def _typed(column: str, kind: pa.DataType, value: Any) -> Any:
    """``value`` as the column's type allows (numbers for names are written as text), or ShapeError."""
    if value is None:
        return None
    if kind == pa.string():
        if isinstance(value, str):
            return value
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
    elif kind == pa.int64():
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif kind == pa.bool_():
        if isinstance(value, bool):
            return value
    elif kind == pa.float64():
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
    elif pa.types.is_list(kind):
        if isinstance(value, list):
            return [_typed(column, kind.value_type, v) for v in value]
    elif pa.types.is_map(kind):
        if isinstance(value, Mapping):
            return {str(k): _typed(column, kind.item_type, v) for k, v in value.items()}
    else:
        return value
    raise ShapeError(f"{column}: expected {kind}, found {_shown(value)}")


@dataclass
class Builder:
    region: str
    partition: str = "aws"
    records: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    locations: dict[str, Location] = field(default_factory=dict)
    role_locations: dict[str, Location] = field(default_factory=dict)
    unknowns: list[Unknown] = field(default_factory=list)
    role_problems: dict[str, list[str]] = field(default_factory=dict)
    """role ARN → why its analysis is unresolved."""
    problems: list[Problem] = field(default_factory=list)
    """Resources left out because a property has an impossible shape."""
    _files: int = 0

    # --- files and rows -----------------------------------------------------------------------
    def add_file(self, path: str) -> str:
        """A new placeholder account for the file at ``path``; returns its id."""
        self._files += 1
        account = f"{self._files:012d}"
        self.add("accounts", account_id=account, name=path, status="ACTIVE", ou_path="iac", ou_id="iac")
        return account

    def add(self, table: str, **row: Any) -> None:
        schema = SCHEMAS[table]
        self.records.setdefault(table, []).append(
            {k: _typed(k, schema.field(k).type, v) for k, v in row.items()}
        )

    def function_arn(self, account: str, name: str) -> str:
        return f"arn:{self.partition}:lambda:{self.region}:{account}:function:{name}"

    def role_arn(self, account: str, name: str) -> str:
        return f"arn:{self.partition}:iam::{account}:role/{name}"

    def policy_arn(self, account: str, name: str) -> str:
        return f"arn:{self.partition}:iam::{account}:policy/{name}"

    def unknown(self, function_arn: str, kind: str, key: str, reason: str, adds: bool = False) -> None:
        self.unknowns.append(Unknown(function_arn, kind, key, f"unresolved: {reason}", adds or kind == "tag"))

    def known(self, arn: str, column: str, value: Any, kind: str = "column", key: str | None = None) -> Any:
        """``value``, or None with the function's rules marked unresolved when it is unknown until deploy."""
        problem = first_unresolved(value)
        if problem:
            self.unknown(arn, kind, key or column, f"{column}: {problem.reason}")
            return None
        return value

    def role_problem(self, role_arn: str, reason: str) -> None:
        self.role_problems.setdefault(role_arn, []).append(reason)

    def policy_document(
        self, account: str, key: str, name: str, kind: str, document: Any, role_arn: str | None = None
    ) -> None:
        text = canonical(document)
        self.add(
            "policy_documents",
            account_id=account,
            policy_key=key,
            policy_arn=None if kind == "inline" else key,
            policy_name=name,
            kind=kind,
            role_arn=role_arn,
            document=text,
        )

    def permission(
        self, account: str, function_arn: str, sid: str, principal: str, action: Any, pins: dict[str, Any]
    ) -> None:
        """One resource-policy statement as Lambda writes it from AddPermission: ``pins`` maps the
        condition-forming parameters (SourceArn, SourceAccount, PrincipalOrgID, EventSourceToken,
        FunctionUrlAuthType) to their values."""
        if principal == "*":
            principal_doc: Any = "*"
        elif principal.isdigit() or principal.startswith("arn:"):
            root = f"arn:{self.partition}:iam::{principal}:root"
            principal_doc = {"AWS": principal if principal.startswith("arn:") else root}
        else:
            principal_doc = {"Service": principal}
        unknown = [f"{k}: {v.reason}" for k, v in pins.items() if isinstance(v, Unresolved)]
        if unknown:  # an unknown value might be a wildcard: whether it pins the caller is unknown
            self.unknown(
                function_arn, "table", "function_policies", f"permission {sid}: {'; '.join(unknown)}"
            )
            return
        condition: dict[str, dict[str, Any]] = {}
        for name, value in pins.items():
            if value is None or name not in _PINS:
                continue
            operator, key = _PINS[name]
            condition.setdefault(operator, {})[key] = str(value)
        statement: dict[str, Any] = {"Effect": "Allow", "Principal": principal_doc, "Action": action}
        if condition:
            statement["Condition"] = condition
        self.add(
            "function_policies",
            account_id=account,
            function_arn=function_arn,
            sid=sid,
            effect="Allow",
            principal=canonical(principal_doc),
            action=canonical(action),
            condition=canonical(condition) if condition else None,
            statement=canonical(statement),
        )

    def inline_key(self, role_arn: str, name: str) -> str:
        return inline_policy_key(role_arn, name)

    def malformed(self, path: str, line: int | None, what: str, exc: Exception) -> None:
        detail = str(exc) if isinstance(exc, ShapeError) else f"{type(exc).__name__}: {exc}"
        self.problems.append(
            Problem(path, line, f"{what} left out, a property has an unexpected shape: {detail}")
        )

    def mark(self) -> tuple[dict[str, int], int, set[str], dict[str, int], int]:
        """Where the rows stand, so that a file that cannot be mapped is taken out whole."""
        return (
            {t: len(r) for t, r in self.records.items()},
            len(self.unknowns),
            set(self.locations),
            {k: len(v) for k, v in self.role_problems.items()},
            len(self.problems),
        )

    def rollback(self, mark: tuple[dict[str, int], int, set[str], dict[str, int], int]) -> None:
        rows, unknowns, locations, role_problems, problems = mark
        for table in list(self.records):
            del self.records[table][rows.get(table, 0) :]
        del self.unknowns[unknowns:]
        del self.problems[problems:]
        for key in set(self.locations) - locations:
            del self.locations[key]
            self.role_locations.pop(key, None)
        for key in list(self.role_problems):
            if key not in role_problems:
                del self.role_problems[key]
            else:
                del self.role_problems[key][role_problems[key] :]

    # --- the end ------------------------------------------------------------------------------
    def finish(self) -> Built:
        self._add_external_policies()
        for table in (
            "functions",
            "function_policies",
            "function_urls",
            "provisioned_concurrency",
            "subnets",
        ):
            for row in self.records.get(table, []):
                row.setdefault("region", self.region)
        for row in self.records.get("log_groups", []) + self.records.get("alarms", []):
            row.setdefault("region", self.region)
        self._coverage()
        inventory = Inventory.from_records(self.records)
        # The same judge step as a crawl: public access and role facts from the stored documents.
        inventory = derive(inventory)
        self._mark_roles(inventory)
        return Built(inventory, self.locations, self.role_locations, self.unknowns, self.problems)

    def _add_external_policies(self) -> None:
        """Attached policies and boundaries not defined in the file: AWS-managed ones from the
        bundled snapshot; the others make the role's analysis unresolved."""
        known = {(p["account_id"], p["policy_key"]) for p in self.records.get("policy_documents", [])}
        managed = aws_managed_documents()
        for role in self.records.get("roles", []):
            account = role["account_id"]
            wanted = list(role.get("attached_policy_arns") or [])
            if role.get("permissions_boundary_arn"):
                wanted.append(role["permissions_boundary_arn"])
            for arn in wanted:
                if (account, arn) in known:
                    continue
                name = arn.rsplit("/", 1)[-1]
                if ":iam::aws:policy/" in arn and name in managed:
                    self.policy_document(account, arn, name, "aws_managed", managed[name])
                    known.add((account, arn))
                else:
                    what = "permissions boundary" if arn == role.get("permissions_boundary_arn") else "policy"
                    self.role_problem(role["role_arn"], f"{what} {arn} is not defined in this file")

    def _coverage(self) -> None:
        """One ok unit per file for the tables a template fills (account-region rules read none)."""
        tables = sorted(
            {"functions", "function_policies", "function_urls", "provisioned_concurrency", "roles"}
            | {"policy_documents", "subnets", "log_groups", "alarms"}
        )
        for account in self.records.get("accounts", []):
            for region in (self.region, GLOBAL_REGION):
                self.add(
                    "coverage",
                    account_id=account["account_id"],
                    region=region,
                    collector=COLLECTOR,
                    tables=tables,
                    status="ok",
                    api_calls=0,
                    seconds=0.0,
                )

    def _mark_roles(self, inventory: Inventory) -> None:
        if not self.role_problems:
            return
        facts = inventory["role_facts"].copy()
        errors = facts["analysis_error"].astype(object).tolist()
        for i, arn in enumerate(facts["role_arn"].tolist()):
            if arn in self.role_problems:
                errors[i] = "unresolved: " + "; ".join(dict.fromkeys(self.role_problems[arn]))
        facts["analysis_error"] = errors
        inventory["role_facts"] = facts.astype(inventory["role_facts"].dtypes.to_dict())
        users: dict[str, list[str]] = {}
        for fn in self.records.get("functions", []):
            users.setdefault(fn.get("role_arn") or "", []).append(fn["function_arn"])
        for arn, reasons in self.role_problems.items():
            for function_arn in users.get(arn, []):
                self.unknowns.append(
                    Unknown(
                        function_arn, "role", "role_facts", "unresolved: " + "; ".join(dict.fromkeys(reasons))
                    )
                )
