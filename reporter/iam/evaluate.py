"""Effective permissions of one role: identity policies ∩ permissions boundary − explicit denies.

IAM's rules as this module applies them (shared/notes/aws-semantics.md):

- a request is allowed when some identity-policy Allow matches it, the boundary (when the role
  has one) also has a matching Allow, and no Deny in either matches it; the boundary grants
  nothing by itself;
- actions match case-insensitively with `*`/`?`; resources case-sensitively, `*` spanning `/`;
  ``NotAction`` matches every action not listed, including ones not yet invented, and
  ``NotResource`` every resource not listed;
- an Allow with a Condition grants conditionally; a Deny with a Condition may or may not apply,
  so it never removes a grant but turns what it touches conditional; policy variables such as
  ``${aws:username}`` also depend on the request and are handled alike (:func:`_variable_specs`).

Two views are offered. :meth:`EffectivePermissions.is_allowed` answers for one concrete action
and resource, straight from the statements. The symbolic view answers for every known action at
once without listing them: the action space is split into *classes*, maximal sets of actions
that every statement treats alike (found by intersecting the statements' action bitsets), and
each class gets one resource set (:mod:`reporter.iam.resources`). A role with ``*`` costs one
class more than a role with ``s3:GetObject``, not 20,000 rows.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from reporter.iam.actions import ActionDatabase
from reporter.iam.patterns import covers, glob_match, overlaps
from reporter.iam.policy import Policy, PolicyError
from reporter.iam.resources import (
    ResourceSet,
    ResourceSpec,
    intersect,
    remove,
    soften,
    star_like,
    unconditional,
    union,
)

# Distinct action classes one role may split into before we call it too entangled to analyse,
# and statements one evaluation may hold (IAM's size quotas keep real roles far below both).
MAX_CLASSES = 2_000
MAX_STATEMENTS = 3_000

_VARIABLE = re.compile(r"\$\{[^}]*\}")


class Access(enum.IntEnum):
    """Outcome of one request; ordered so that ``min`` combines policies."""

    NONE = 0
    CONDITIONAL = 1
    ALLOWED = 2


@dataclass(frozen=True, eq=False)
class CompiledStatement:
    """A statement with its action set resolved against the action database.

    Compared and hashed by identity: compiled once per document and kept by the caches that
    key on it, so identity is both correct and cheap (its action bitset is 2.5 kB).
    """

    allow: bool
    conditional: bool
    not_action: bool
    actions: tuple[str, ...]
    """Lower-case patterns as written (of NotAction when :attr:`not_action`)."""
    action_mask: int
    """Known actions the statement applies to (NotAction already complemented)."""
    unknown_actions: tuple[str, ...]
    """Patterns of an Action list that match no known action (newer or misspelt names)."""
    resource: ResourceSpec
    cells: ResourceSet
    """The statement's resources as a set (Allow only), conditional when it has a Condition."""

    def applies(self, action: str, resource: str) -> bool:
        acted = any(glob_match(p, action, ignore_case=True) for p in self.actions) != self.not_action
        return acted and any(glob_match(p, resource) for p in self.resource.patterns) != self.resource.negated

    def action_covers(self, pattern: str) -> bool:
        """True when every action `pattern` names is one this statement applies to."""
        if self.not_action:
            return not any(overlaps(p, pattern) for p in self.actions)
        return any(covers(p, pattern) for p in self.actions)


def compile_policy(policy: Policy, db: ActionDatabase) -> tuple[CompiledStatement, ...]:
    """Resolve a permissions policy (identity or boundary); trust policies are not for this."""
    out: list[CompiledStatement] = []
    for n, st in enumerate(policy.statements, 1):
        if st.resources is None:
            raise PolicyError(f"statement {n} has neither Resource nor NotResource")
        mask = 0
        for pattern in st.actions:
            mask |= db.mask(pattern)
        unknown = () if st.not_action else tuple(p for p in st.actions if not db.mask(p))
        # A policy variable (${aws:username}) stands for request data we do not have; see
        # _variable_specs for how each kind of statement is widened.
        for spec, maybe in _variable_specs(st.allow, st.resources, st.not_resource):
            conditional = st.conditional or maybe
            out.append(
                CompiledStatement(
                    allow=st.allow,
                    conditional=conditional,
                    not_action=st.not_action,
                    actions=st.actions,
                    action_mask=(db.all & ~mask) if st.not_action else mask,
                    unknown_actions=unknown,
                    resource=spec,
                    cells=spec.cells(conditional) if st.allow else (),
                )
            )
    return tuple(out)


def _variable_specs(
    allow: bool, resources: tuple[str, ...], negated: bool
) -> list[tuple[ResourceSpec, bool]]:
    """(resources, conditional because of a variable) of the statements to evaluate.

    Without variables: the statement as written. With them, what the statement may reach is
    widened: in Resource a variable becomes `*`; from NotResource a pattern holding one is
    dropped. An Allow then over-states, never under-states. A Deny on Resource becomes a
    conditional Deny on the widened set (it may or may not apply to a request). A Deny on
    NotResource certainly applies outside every instance of its patterns (variables as `*`)
    and may apply anywhere else: an unconditional Deny plus a conditional one.
    """
    if not any(_VARIABLE.search(r) for r in resources):
        return [(ResourceSpec.of(resources, negated), False)]
    widened = ResourceSpec.of(tuple(_VARIABLE.sub("*", r) for r in resources), negated)
    dropped = ResourceSpec.of(tuple(r for r in resources if not _VARIABLE.search(r)), True)
    if allow:
        return [(dropped if negated else widened, False)]
    if not negated:
        return [(widened, not widened.universal)]
    return [(widened, False), (dropped, True)]


def apply_denies(granted: ResourceSet, denies: Iterable[CompiledStatement]) -> ResourceSet:
    # Unconditional denies on Resource lists are one subtraction of all their patterns at once
    # (subtracting one by one costs quadratic time on documents with hundreds of denies).
    listed: dict[str, None] = {}
    for deny in denies:
        if not granted:
            return granted
        if deny.conditional:
            granted = soften(granted, deny.resource)
        elif deny.resource.negated or deny.resource.universal:
            granted = remove(granted, deny.resource)
        else:
            listed.update(dict.fromkeys(deny.resource.patterns))
    if listed and granted:
        granted = remove(granted, ResourceSpec.of(tuple(listed)))
    return granted


def _partition(universe: int, masks: Iterable[int]) -> list[int]:
    classes = [universe] if universe else []
    for m in dict.fromkeys(masks):  # ordered de-duplication keeps the result deterministic
        split: list[int] = []
        for c in classes:
            inside = c & m
            if inside and inside != c:
                split += [inside, c & ~m]
            else:
                split.append(c)
        classes = split
        if len(classes) > MAX_CLASSES:
            raise PolicyError("policies split the actions too finely to analyse")
    return classes


@dataclass(frozen=True)
class ActionClass:
    """Actions every statement of the role treats alike, and what they effectively reach."""

    mask: int
    boundary: ResourceSet | None
    """Union of the boundary's Allows for these actions; None when the role has no boundary."""
    boundary_denies: tuple[CompiledStatement, ...]
    identity_denies: tuple[CompiledStatement, ...]
    granted: ResourceSet
    """Union of the identity policies' Allows."""
    through: ResourceSet
    """What of ``granted`` the boundary lets through (its Allows, minus its Denies)."""
    effective: ResourceSet
    """What of ``through`` the identity policies' Denies leave."""

    @property
    def dead(self) -> bool:
        """Granted by identity policies, let through by no part of the boundary."""
        return bool(self.granted) and not self.through


@dataclass(frozen=True)
class GrantOutcome:
    """What becomes of one identity grant (some actions on some resources)."""

    blocked: bool
    """The boundary lets none of it through: a dead grant."""
    removed: bool
    """Explicit denies remove all of what the boundary lets through."""
    cells: ResourceSet | None
    """The effective resources, when the grant's actions form one class; else None."""
    conditional: bool


@dataclass
class EffectivePermissions:
    """The effective permissions of one role (documents already compiled)."""

    identity: Sequence[Sequence[CompiledStatement]]
    boundary: Sequence[CompiledStatement] | None
    db: ActionDatabase
    classes: list[ActionClass] = field(init=False)
    identity_allows: list[CompiledStatement] = field(init=False)
    identity_denies: list[CompiledStatement] = field(init=False)
    boundary_allows: list[CompiledStatement] = field(init=False)
    boundary_denies: list[CompiledStatement] = field(init=False)
    _outcomes: dict[tuple[int, ResourceSpec, bool], GrantOutcome] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.identity_allows = [s for doc in self.identity for s in doc if s.allow]
        self.identity_denies = [s for doc in self.identity for s in doc if not s.allow]
        self.boundary_allows = [s for s in self.boundary or () if s.allow]
        self.boundary_denies = [s for s in self.boundary or () if not s.allow]
        universe = 0
        for s in self.identity_allows:
            universe |= s.action_mask
        statements = self.identity_allows + self.identity_denies + self.boundary_allows + self.boundary_denies
        if len(statements) > MAX_STATEMENTS:
            raise PolicyError(f"role has more than {MAX_STATEMENTS} policy statements to analyse")
        self.classes = [self._analyse(c) for c in _partition(universe, (s.action_mask for s in statements))]

    def _analyse(self, mask: int) -> ActionClass:
        granted = union(*(s.cells for s in self.identity_allows if s.action_mask & mask))
        b_denies = tuple(s for s in self.boundary_denies if s.action_mask & mask)
        i_denies = tuple(s for s in self.identity_denies if s.action_mask & mask)
        boundary: ResourceSet | None = None
        through = granted
        if self.boundary is not None:
            boundary = union(*(s.cells for s in self.boundary_allows if s.action_mask & mask))
            through = apply_denies(intersect(granted, boundary), b_denies)
        effective = apply_denies(through, i_denies)
        return ActionClass(mask, boundary, b_denies, i_denies, granted, through, effective)

    # --- one request ---------------------------------------------------------------------------
    def is_allowed(self, action: str, resource: str) -> Access:
        """Whether the role may perform `action` on the concrete `resource`."""
        action = action.lower()
        result = _best(self.identity_allows, action, resource)
        if result and self.boundary is not None:
            result = min(result, _best(self.boundary_allows, action, resource))
        for deny in self.identity_denies + self.boundary_denies:
            if not result:
                break
            if deny.applies(action, resource):
                result = min(result, Access.CONDITIONAL) if deny.conditional else Access.NONE
        return result

    # --- every known action at once -------------------------------------------------------------
    def actions_where(self, *, star: bool, conditional_ok: bool) -> int:
        """Known actions effectively allowed on some resource (or, with `star`, on every one)."""
        out = 0
        for k in self.classes:
            if star:
                hit = star_like(k.effective, conditional_ok=conditional_ok)
            else:
                hit = bool(k.effective) and (conditional_ok or unconditional(k.effective))
            if hit:
                out |= k.mask
        return out

    def granted_actions(self) -> int:
        """Known actions some identity Allow grants (on some resource)."""
        out = 0
        for k in self.classes:
            if k.granted:
                out |= k.mask
        return out

    def through_actions(self) -> int:
        """Known granted actions the boundary lets through on some resource (all, without one)."""
        out = 0
        for k in self.classes:
            if k.through:
                out |= k.mask
        return out

    def dead_unknown_actions(self) -> list[str]:
        """Unknown action names granted by identity policies that the boundary blocks."""
        if self.boundary is None:
            return []
        names = dict.fromkeys(p for s in self.identity_allows for p in s.unknown_actions)
        return [p for p in names if self.boundary_blocks_name(p)]

    def boundary_blocks_name(self, pattern: str) -> bool:
        """Whether the boundary blocks an action name the database does not know.

        Without a database entry only names compare: no boundary Allow names it, or an
        unconditional boundary Deny on Resource `*` does.
        """
        if not any(b.action_covers(pattern) for b in self.boundary_allows):
            return True
        return any(_blanket_removes(d, pattern) for d in self.boundary_denies)

    def boundary_passes(self, within: int, *, conditional_ok: bool) -> int:
        """Known actions of `within` the boundary lets through (allowed, not denied by it)."""
        if self.boundary is None:
            return 0
        universe = 0
        for s in self.boundary_allows:
            universe |= s.action_mask
        masks = (s.action_mask for s in self.boundary_allows + self.boundary_denies)
        out = 0
        for c in _partition(universe & within, masks):
            passed = apply_denies(
                union(*(s.cells for s in self.boundary_allows if s.action_mask & c)),
                (s for s in self.boundary_denies if s.action_mask & c),
            )
            if passed and (conditional_ok or unconditional(passed)):
                out |= c
        return out

    def grant(self, mask: int, spec: ResourceSpec, conditional: bool) -> GrantOutcome:
        """The outcome of an identity grant of the known actions `mask` on `spec`."""
        key = (mask, spec, conditional)
        found = self._outcomes.get(key)
        if found is None:
            found = self._outcomes[key] = self._grant(mask, spec, conditional)
        return found

    def _grant(self, mask: int, spec: ResourceSpec, conditional: bool) -> GrantOutcome:
        touched = [k for k in self.classes if k.mask & mask]
        if not touched:  # no known action at all (NotAction ["*"]): nothing is granted
            return GrantOutcome(False, True, None, conditional)
        requested = spec.cells(conditional)
        live: list[ResourceSet] = []
        blocked = True
        for k in touched:
            through = requested
            if k.boundary is not None:
                through = apply_denies(intersect(requested, k.boundary), k.boundary_denies)
            if not through:
                continue
            blocked = False
            effective = apply_denies(through, k.identity_denies)
            if effective:
                live.append(effective)
        if blocked and self.boundary is not None:
            return GrantOutcome(True, False, None, conditional)
        if not live:
            return GrantOutcome(False, True, None, conditional)
        cells = live[0] if len(touched) == 1 else None
        return GrantOutcome(False, False, cells, not any(unconditional(e) for e in live))

    def unknown_grant(self, pattern: str, spec: ResourceSpec, conditional: bool) -> GrantOutcome:
        """The outcome of granting an action pattern that matches no known action.

        Without a database entry only the action names can be compared: the boundary must name
        it, and an unconditional Deny on it with Resource `*` removes it.
        """
        if self.boundary is not None and self.boundary_blocks_name(pattern):
            return GrantOutcome(True, False, None, conditional)
        if any(_blanket_removes(d, pattern) for d in self.identity_denies):
            return GrantOutcome(False, True, None, conditional)
        return GrantOutcome(False, False, None, conditional)


def _blanket_removes(deny: CompiledStatement, pattern: str) -> bool:
    return deny.resource.universal and not deny.conditional and deny.action_covers(pattern)


def _best(statements: Iterable[CompiledStatement], action: str, resource: str) -> Access:
    best = Access.NONE
    for s in statements:
        if s.applies(action, resource):
            if not s.conditional:
                return Access.ALLOWED
            best = Access.CONDITIONAL
    return best
