"""Build ``role_permissions`` and ``role_facts`` from ``roles`` and ``policy_documents``.

Organizations repeat themselves: thousands of roles share a handful of managed policies and
inline documents stamped out by the same template. So work is cached at three levels:

- each distinct document text is parsed and compiled once;
- each identity document is evaluated once per context it appears in, a context being the
  role's boundary and those of the role's Deny statements on specific resources that can
  touch what the document grants: effective permissions distribute over identity documents
  (:class:`reporter.iam.facts.Reach`), so a role's reach is the union of its documents'
  reaches in its context. Deny statements on Resource `*` act on actions alone and are
  applied to that union afterwards (:meth:`Reach.without`, :func:`apply_universal_denies`);
- each distinct combination (identity documents, boundary) is combined once; its rows refer
  to documents by position, and each role maps positions to its own policy keys (inline
  policy keys differ per role even when the text is the same).

A role whose documents cannot be analysed (malformed, over the size limits, or not collected)
still gets its facts row: ``analysis_error`` says why, the permission-derived facts are empty,
and the facts that need no policy text (attached admin policies, boundary presence, trust
principals when the trust policy parses) are kept, so LG-IAM-01/06/08 can still judge it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import pandas as pd
import pyarrow as pa

from reporter.iam.actions import ActionDatabase, action_database
from reporter.iam.catalog import Catalog, load_catalog
from reporter.iam.evaluate import CompiledStatement, EffectivePermissions, compile_policy
from reporter.iam.facts import (
    EMPTY_FACTS,
    NO_REACH,
    PermissionFacts,
    Reach,
    boundary_allows_iam,
    combine_facts,
    non_lambda,
    reach,
    trust_principals,
)
from reporter.iam.grants import PermissionRow, apply_universal_denies, permission_rows
from reporter.iam.policy import PolicyError, parse_policy
from reporter.inventory import SCHEMAS, frame

_ROLE_COLUMNS = [
    "account_id",
    "role_arn",
    "trust_policy",
    "permissions_boundary_arn",
    "attached_policy_arns",
    "inline_policy_names",
]
_DOCUMENT_COLUMNS = ["account_id", "policy_key", "document"]
_ROW_FIELDS = ("action", "resource", "access_level", "conditional", "blocked_by_boundary")
# (identity document, boundary document, Deny statements on specific resources that touch it)
_EffectKey = tuple[int, int | None, tuple[CompiledStatement, ...]]


def _records(df: pd.DataFrame, columns: list[str]) -> list[dict[str, Any]]:
    # Through Arrow: plain Python values and None for nulls, whatever dtypes the frame uses.
    return pa.Table.from_pandas(df.loc[:, columns], preserve_index=False).to_pylist()


def is_aws_managed(policy_key: str) -> bool:
    """``arn:<partition>:iam::aws:policy/…``: a policy AWS maintains, identical in every account."""
    parts = policy_key.split(":", 5)
    return len(parts) == 6 and parts[0] == "arn" and parts[2] == "iam" and parts[4] == "aws"


def inline_policy_key(role_arn: str, name: str) -> str:
    """The ``policy_documents.policy_key`` of an inline policy (reporter/inventory.py)."""
    return f"{role_arn}#inline/{name}"


@dataclass(frozen=True)
class _Combo:
    positions: list[int]
    """Identity-document position of each row (rows are held column-wise, ready to extend the
    output columns role after role)."""
    columns: dict[str, list[Any]]
    facts: PermissionFacts


@dataclass(frozen=True)
class _DocEffect:
    rows: tuple[PermissionRow, ...]
    reach: Reach


class RoleAnalyser:
    """Analyses roles one by one, sharing every cache across them."""

    def __init__(self, policy_documents: pd.DataFrame, db: ActionDatabase, catalog: Catalog) -> None:
        self.db = db
        self.catalog = catalog
        self._by_account: dict[tuple[str, str], int] = {}
        self._by_key: dict[str, int] = {}
        self._texts: dict[str | None, int] = {}
        for rec in _records(policy_documents, _DOCUMENT_COLUMNS):
            doc_id = self._texts.setdefault(rec["document"], len(self._texts))
            self._by_account.setdefault((rec["account_id"], rec["policy_key"]), doc_id)
            self._by_key.setdefault(rec["policy_key"], doc_id)
        self._documents = list(self._texts)
        self._compiled: dict[int, tuple[CompiledStatement, ...] | PolicyError] = {}
        self._combos: dict[tuple[tuple[int, ...], int | None], _Combo | PolicyError] = {}
        self._effects: dict[_EffectKey, _DocEffect] = {}
        self._final: dict[tuple[_EffectKey, tuple[CompiledStatement, ...]], dict[str, list[Any]]] = {}
        self._granted: dict[int, int] = {}
        self._boundary_iam: dict[int, tuple[str, ...]] = {}
        self._trust: dict[str | None, list[str] | PolicyError] = {}

    # --- caches --------------------------------------------------------------------------------
    def _document(self, account_id: str, key: str) -> int:
        doc_id = self._by_account.get((account_id, key))
        if doc_id is None and is_aws_managed(key):
            # the same AWS-managed ARN names the same document in every account; nothing else
            # may be borrowed from another account
            doc_id = self._by_key.get(key)
        if doc_id is None:
            raise PolicyError(f"{key}: policy document was not collected")
        return doc_id

    def _compile(self, doc_id: int) -> tuple[CompiledStatement, ...]:
        document = self._documents[doc_id]
        return _memo(self._compiled, doc_id, lambda: compile_policy(parse_policy(document), self.db))

    def _combo(self, identity: tuple[int, ...], boundary: int | None) -> _Combo:
        return _memo(self._combos, (identity, boundary), lambda: self._evaluate(identity, boundary))

    def _evaluate(self, identity: tuple[int, ...], boundary: int | None) -> _Combo:
        # Denies on Resource `*` act on actions alone and are applied after the fact; denies
        # on specific resources join the context a document is evaluated in, when they can
        # touch what it grants.
        denies = [st for d in dict.fromkeys(identity) for st in self._compile(d) if not st.allow]
        blanket = tuple(st for st in denies if st.resource.universal)
        specific = [st for st in denies if not st.resource.universal]
        boundary_doc = None if boundary is None else self._compile(boundary)
        positions: list[int] = []
        columns: dict[str, list[Any]] = {name: [] for name in _ROW_FIELDS}
        total = NO_REACH
        for position, doc_id in enumerate(identity):
            granted = self._granted_mask(doc_id)
            key = (doc_id, boundary, tuple(st for st in specific if st.action_mask & granted))
            effect = self._effect(key)
            total = total | effect.reach.at(position)
            final = self._final_rows(key, effect, blanket)
            positions += [position] * len(final["action"])
            for name in _ROW_FIELDS:
                columns[name] += final[name]
        boundary_iam: tuple[str, ...] = ()
        if boundary is not None and boundary_doc is not None:
            if boundary not in self._boundary_iam:
                perms = EffectivePermissions([], boundary_doc, self.db)
                self._boundary_iam[boundary] = boundary_allows_iam(perms)
            boundary_iam = self._boundary_iam[boundary]
        facts = combine_facts(
            total.without(blanket), boundary_iam, boundary is not None, self.db, self.catalog
        )
        return _Combo(positions, columns, facts)

    def _final_rows(
        self, key: _EffectKey, effect: _DocEffect, blanket: tuple[CompiledStatement, ...]
    ) -> dict[str, list[Any]]:
        """A document's rows after the role's blanket denies, column-wise."""
        final_key = (key, blanket)
        found = self._final.get(final_key)
        if found is None:
            rows = apply_universal_denies(effect.rows, blanket) if blanket else effect.rows
            found = {name: [getattr(row, name) for row in rows] for name in _ROW_FIELDS}
            self._final[final_key] = found
        return found

    def _granted_mask(self, doc_id: int) -> int:
        found = self._granted.get(doc_id)
        if found is None:
            found = 0
            for st in self._compile(doc_id):
                if st.allow:
                    found |= st.action_mask
            self._granted[doc_id] = found
        return found

    def _effect(self, key: _EffectKey) -> _DocEffect:
        """One identity document's Allows evaluated against a boundary and some Denies."""
        found = self._effects.get(key)
        if found is None:
            doc_id, boundary, denies = key
            allows = tuple(st for st in self._compile(doc_id) if st.allow)
            boundary_doc = None if boundary is None else self._compile(boundary)
            perms = EffectivePermissions([allows, denies], boundary_doc, self.db)
            found = self._effects[key] = _DocEffect(tuple(permission_rows(perms)), reach(perms))
        return found

    def _trust_principals(self, text: str | None) -> list[str]:
        found = self._trust.get(text)
        if found is None:
            try:
                found = trust_principals(parse_policy(text))
            except PolicyError as exc:
                found = exc
            self._trust[text] = found
        if isinstance(found, PolicyError):
            raise found
        return found

    # --- one role -------------------------------------------------------------------------------
    def analyse(self, role: Mapping[str, Any]) -> tuple[_Combo | None, list[str], dict[str, Any]]:
        """(evaluated combination or None, policy key of each document position, facts record)."""
        account, arn = role["account_id"], role["role_arn"]
        errors: list[str] = []
        try:
            principals = self._trust_principals(role["trust_policy"])
        except PolicyError as exc:
            errors.append(f"trust policy: {exc}")
            principals = []
        keys = [inline_policy_key(arn, n) for n in role["inline_policy_names"] or ()]
        keys += list(role["attached_policy_arns"] or ())
        boundary_arn = role["permissions_boundary_arn"]
        facts = EMPTY_FACTS
        combo: _Combo | None = None
        ordered_keys: list[str] = []
        try:
            pairs = sorted((self._document(account, k), k) for k in keys)
            boundary = None if boundary_arn is None else self._document(account, boundary_arn)
            for doc_id, key in [*pairs, *([] if boundary is None else [(boundary, boundary_arn)])]:
                try:
                    self._compile(doc_id)
                except PolicyError as exc:
                    raise PolicyError(f"{key}: {exc}") from None
            combo = self._combo(tuple(d for d, _ in pairs), boundary)
            facts, ordered_keys = combo.facts, [k for _, k in pairs]
        except PolicyError as exc:
            errors.append(str(exc))
        record = {
            "account_id": account,
            "role_arn": arn,
            "admin_policy_arns": self.catalog.admin_policy_arns(role["attached_policy_arns"] or ()),
            "admin_like": facts.admin_like,
            "wildcard_actions": [
                f"{ordered_keys[doc]}: {pattern}" for doc, pattern in facts.wildcard_actions
            ],
            "write_on_star": list(facts.write_on_star),
            "privilege_escalation": list(facts.privilege_escalation),
            "has_boundary": boundary_arn is not None,
            "boundary_allows_iam": list(facts.boundary_allows_iam),
            "dead_grants": list(facts.dead_grants),
            "trust_principals": principals,
            "non_lambda_trust": non_lambda(principals),
            "analysis_error": "; ".join(errors) or None,
        }
        return combo, ordered_keys, record


def _permission_frame(columns: Mapping[str, Sequence[Any]]) -> pd.DataFrame:
    # Column-wise construction of exactly what inventory.frame() builds from records: the
    # table can reach hundreds of thousands of rows, where per-row dicts cost seconds.
    schema = SCHEMAS["role_permissions"]
    table = pa.Table.from_pydict({name: list(columns[name]) for name in schema.names}, schema=schema)
    return table.to_pandas(types_mapper=pd.ArrowDtype)


def derive_role_tables(
    roles: pd.DataFrame, policy_documents: pd.DataFrame, execution_roles: Iterable[str] | None = None
) -> dict[str, pd.DataFrame]:
    """``{"role_permissions": …, "role_facts": …}``: one facts row per analysed role.

    ``execution_roles``: analyse only these (the execution roles of the crawled functions: every
    rule reading role facts judges a function through its role). SSO, service-linked and other
    roles no function uses are read (``roles``) but not analysed. None analyses every role.
    """
    analyser = RoleAnalyser(policy_documents, action_database(), load_catalog())
    columns: dict[str, list[Any]] = {name: [] for name in SCHEMAS["role_permissions"].names}
    facts: list[dict[str, Any]] = []
    if execution_roles is not None:
        wanted = set(execution_roles)
        roles = roles[roles["role_arn"].isin(wanted)]
    for role in _records(roles, _ROLE_COLUMNS):
        combo, keys, record = analyser.analyse(role)
        facts.append(record)
        if combo is None or not combo.positions:
            continue
        n = len(combo.positions)
        columns["account_id"] += [role["account_id"]] * n
        columns["role_arn"] += [role["role_arn"]] * n
        columns["source"] += [keys[p] for p in combo.positions]
        for name in _ROW_FIELDS:
            columns[name] += combo.columns[name]
    return {"role_permissions": _permission_frame(columns), "role_facts": frame("role_facts", facts)}


_K = TypeVar("_K")
_V = TypeVar("_V")


def _memo(cache: dict[_K, _V | PolicyError], key: _K, compute: Callable[[], _V]) -> _V:
    """Compute once per key; a PolicyError is remembered and raised again, like a result."""
    found = cache.get(key)
    if found is None:
        try:
            found = compute()
        except PolicyError as exc:
            found = exc
        cache[key] = found
    if isinstance(found, PolicyError):
        raise found
    return found
