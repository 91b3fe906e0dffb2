"""Rows of ``role_permissions``: each identity-policy grant of a role and what becomes of it.

One row per (action, resource) of every identity Allow, with these choices keeping the table
bounded whatever the policies say:

- an action pattern matching at most :data:`EXPAND_LIMIT` known actions is listed action by
  action (lower-case ``service:action`` with its access level); a broader pattern (``*``,
  ``s3:*``, ``ec2:Describe*``) stays one row with the pattern as written and the access level
  its actions share, else ``Unknown``; a pattern matching no known action is kept as written
  (``Unknown``); a NotAction grant is one row ``NotAction [..]``;
- each Resource pattern is a row, a NotResource list one row ``NotResource [..]``; a
  statement whose rows would exceed :data:`MAX_ROWS_PER_STATEMENT` gets one row per action
  with its resources summarised;
- ``blocked_by_boundary`` marks grants the boundary lets none of through (dead grants); grants
  explicit denies remove entirely are left out; a grant that the boundary or a Deny narrows
  (identity ``*`` under a boundary naming one bucket) shows the narrowed resources, one row
  each, when its actions form one class and the pieces are few (:data:`MAX_NARROWED`), else
  the identity resource as written;
- ``conditional`` is true when the grant holds only under a Condition (its own, the boundary's,
  or a conditioned Deny's that might apply).

Exact reach of wildcard rows is in ``role_facts`` and :meth:`EffectivePermissions.is_allowed`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from reporter.iam.actions import UNKNOWN_LEVEL
from reporter.iam.evaluate import CompiledStatement, EffectivePermissions, GrantOutcome
from reporter.iam.patterns import has_wildcard
from reporter.iam.resources import ResourceSpec, unconditional

EXPAND_LIMIT = 10
MAX_ROWS_PER_STATEMENT = 1_000
# A grant narrowed into more pieces than this is shown once, with its identity resource.
MAX_NARROWED = 10


@dataclass(frozen=True)
class PermissionRow:
    doc: int
    """Position of the granting document among the role's identity documents."""
    action: str
    resource: str
    access_level: str
    conditional: bool
    blocked_by_boundary: bool
    mask: int = field(default=0, compare=False, repr=False)
    """The known actions of :attr:`action` (0 for a name the database does not know)."""


@dataclass(frozen=True)
class _ActionEntry:
    label: str
    mask: int
    level: str
    unknown: bool


def not_list(element: str, patterns: tuple[str, ...]) -> str:
    return f"{element} [{', '.join(patterns)}]"


def _action_entries(st: CompiledStatement, perms: EffectivePermissions, expand: bool) -> list[_ActionEntry]:
    db = perms.db
    if st.not_action:
        return [_ActionEntry(not_list("NotAction", st.actions), st.action_mask, UNKNOWN_LEVEL, False)]
    entries: dict[str, _ActionEntry] = {}
    for pattern in st.actions:
        mask = db.mask(pattern)
        if not mask:
            entries.setdefault(pattern, _ActionEntry(pattern, 0, UNKNOWN_LEVEL, True))
        elif has_wildcard(pattern) and (not expand or mask.bit_count() > EXPAND_LIMIT):
            entries.setdefault(pattern, _ActionEntry(pattern, mask, db.common_level(mask), False))
        else:
            for name in db.names_of(mask):
                bit = db.bit(name)
                entries.setdefault(name.lower(), _ActionEntry(name.lower(), bit, db.level(name), False))
    return list(entries.values())


def _resource_entries(st: CompiledStatement, collapse: bool) -> list[tuple[str, ResourceSpec]]:
    spec = st.resource
    if spec.negated:
        return [(not_list("NotResource", spec.patterns), spec)]
    if collapse:
        shown = ", ".join(spec.patterns[:3])
        return [(f"{len(spec.patterns)} resources: {shown}, …", spec)]
    return [(p, ResourceSpec.of((p,))) for p in dict.fromkeys(spec.patterns)]


def _rows(
    doc: int, entry: _ActionEntry, label: str, spec: ResourceSpec, outcome: GrantOutcome
) -> list[PermissionRow]:
    if outcome.removed:
        return []
    if outcome.blocked:
        return [PermissionRow(doc, entry.label, label, entry.level, outcome.conditional, True, entry.mask)]
    cells = outcome.cells
    if cells is None or len(cells) > MAX_NARROWED:
        return [PermissionRow(doc, entry.label, label, entry.level, outcome.conditional, False, entry.mask)]
    if [(c.inc, c.exc) for c in cells] == [(c.inc, c.exc) for c in spec.cells()]:
        conditional = not unconditional(cells)
        return [PermissionRow(doc, entry.label, label, entry.level, conditional, False, entry.mask)]
    return [
        PermissionRow(doc, entry.label, c.render(), entry.level, c.cond, False, entry.mask) for c in cells
    ]


def permission_rows(perms: EffectivePermissions) -> list[PermissionRow]:
    """Every identity grant of the role, in document and statement order, de-duplicated."""
    rows: dict[PermissionRow, None] = {}
    for doc, statements in enumerate(perms.identity):
        for st in statements:
            if not st.allow:
                continue
            actions = _action_entries(st, perms, expand=True)
            n_resources = 1 if st.resource.negated else len(set(st.resource.patterns))
            if len(actions) * n_resources > MAX_ROWS_PER_STATEMENT:
                actions = _action_entries(st, perms, expand=False)
            collapse = len(actions) * n_resources > MAX_ROWS_PER_STATEMENT
            for label, spec in _resource_entries(st, collapse):
                for entry in actions:
                    if entry.unknown:
                        outcome = perms.unknown_grant(entry.label, spec, st.conditional)
                    else:
                        outcome = perms.grant(entry.mask, spec, st.conditional)
                    for row in _rows(doc, entry, label, spec, outcome):
                        rows[row] = None
    return list(rows)


def deny_masks(denies: Iterable[CompiledStatement]) -> tuple[int, int]:
    """Actions the Deny statements remove outright, and those they only may remove (conditioned)."""
    removed = softened = 0
    for deny in denies:
        if deny.conditional:
            softened |= deny.action_mask
        else:
            removed |= deny.action_mask
    return removed, softened


def apply_universal_denies(
    rows: Sequence[PermissionRow], denies: Sequence[CompiledStatement]
) -> list[PermissionRow]:
    """Rows after Deny statements on Resource `*`, which act on actions alone.

    Such a Deny removes (or, conditioned, makes conditional) its actions on every resource, so
    it can be applied to rows computed without it: this is what lets a document's rows be
    shared by roles whose other documents carry different blanket denies.
    """
    removed, softened = deny_masks(denies)
    out: list[PermissionRow] = []
    for row in rows:
        if row.blocked_by_boundary:
            out.append(row)  # a dead grant is dead whatever the denies say
            continue
        if row.mask:
            gone = not row.mask & ~removed
            maybe = not row.mask & ~(removed | softened)
        else:  # a name the database does not know: compare names
            gone = any(d.action_covers(row.action) for d in denies if not d.conditional)
            maybe = any(d.action_covers(row.action) for d in denies)
        if gone:
            continue
        if maybe and not row.conditional:
            row = PermissionRow(row.doc, row.action, row.resource, row.access_level, True, False, row.mask)
        out.append(row)
    return list(dict.fromkeys(out))  # softening can make two rows alike
