"""The per-role facts of ``role_facts`` that rules LG-IAM-01..09 read (shared/RULES.md).

Every list is bounded and readable: action sets go through :meth:`ActionDatabase.describe`, so
a ``*`` grant reads ``* (all actions)`` rather than 20,000 names. Canonical AWS spelling
(``dynamodb:UpdateItem``) is used in facts, which people read; ``role_permissions`` keeps the
lower-case form its schema documents. An entry that holds only under a Condition ends with
:data:`CONDITIONAL`; unconditional entries come first.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import TypeVar

from reporter.iam.actions import ActionDatabase
from reporter.iam.catalog import Catalog
from reporter.iam.evaluate import CompiledStatement, EffectivePermissions
from reporter.iam.grants import deny_masks, not_list
from reporter.iam.patterns import has_wildcard, is_universal
from reporter.iam.policy import Policy

CONDITIONAL = " (conditional)"
_T = TypeVar("_T")
LAMBDA_SERVICE = "Service:lambda.amazonaws.com"


@dataclass(frozen=True)
class PermissionFacts:
    """Facts derived from a role's permission documents (trust and attachments aside)."""

    admin_like: bool
    wildcard_actions: tuple[tuple[int, str], ...]
    """(identity document position, pattern) of unconditional wildcard Allows."""
    write_on_star: tuple[str, ...]
    privilege_escalation: tuple[str, ...]
    boundary_allows_iam: tuple[str, ...]
    dead_grants: tuple[str, ...]


EMPTY_FACTS = PermissionFacts(False, (), (), (), (), ())


@dataclass(frozen=True)
class Reach:
    """What identity grants effectively reach, as action bitsets.

    Effective permissions distribute over identity documents: (∪ grants) ∩ boundary − denies
    = ∪ (grant ∩ boundary − denies). So the reach of a role is the union (``|``) of the reach
    of each of its identity documents evaluated against the same boundary and the same set of
    Deny statements, which lets a document be evaluated once for many roles.
    """

    some: int
    """Allowed unconditionally on at least one resource."""
    some_maybe: int
    """Allowed on at least one resource, possibly only under a Condition."""
    star: int
    """Allowed unconditionally on every resource (but explicitly denied ones)."""
    star_maybe: int
    granted: int
    """Granted by identity Allows, whatever the boundary and denies do."""
    through: int
    """Granted and let through by the boundary on some resource."""
    wildcards: tuple[tuple[int, str], ...] = ()
    dead_unknown: tuple[str, ...] = ()
    """Granted action names the database does not know and the boundary does not name."""

    def __or__(self, other: Reach) -> Reach:
        return Reach(
            self.some | other.some,
            self.some_maybe | other.some_maybe,
            self.star | other.star,
            self.star_maybe | other.star_maybe,
            self.granted | other.granted,
            self.through | other.through,
            _merge(self.wildcards, other.wildcards),
            _merge(self.dead_unknown, other.dead_unknown),
        )

    def without(self, denies: Iterable[CompiledStatement]) -> Reach:
        """The reach after Deny statements on Resource `*` (see grants.apply_universal_denies)."""
        removed, softened = deny_masks(denies)
        if not removed | softened:
            return self
        return Reach(
            self.some & ~removed & ~softened,
            self.some_maybe & ~removed,
            self.star & ~removed & ~softened,
            self.star_maybe & ~removed,
            self.granted,
            self.through,
            self.wildcards,
            self.dead_unknown,
        )

    def at(self, doc: int) -> Reach:
        """The same reach with its wildcard entries attributed to document position `doc`."""
        if not self.wildcards:
            return self
        return Reach(
            self.some,
            self.some_maybe,
            self.star,
            self.star_maybe,
            self.granted,
            self.through,
            tuple((doc, pattern) for _, pattern in self.wildcards),
            self.dead_unknown,
        )


NO_REACH = Reach(0, 0, 0, 0, 0, 0)


def _merge(a: tuple[_T, ...], b: tuple[_T, ...]) -> tuple[_T, ...]:
    return tuple(dict.fromkeys(a + b)) if a and b else a or b


def is_wildcard_action(pattern: str) -> bool:
    """`*`, or every action of a service (``s3:*``) — what LG-IAM-02 calls a wildcard action."""
    service, _, name = pattern.partition(":")
    if is_universal(pattern):
        return True
    return is_universal(name) and (is_universal(service) or not has_wildcard(service))


def wildcard_actions(perms: EffectivePermissions) -> tuple[tuple[int, str], ...]:
    found: dict[tuple[int, str], None] = {}
    for doc, statements in enumerate(perms.identity):
        for st in statements:
            if not st.allow or st.conditional:
                continue
            if st.not_action:
                found[(doc, not_list("NotAction", st.actions))] = None
            for pattern in () if st.not_action else st.actions:
                if is_wildcard_action(pattern):
                    found[(doc, pattern)] = None
    return tuple(found)


def reach(perms: EffectivePermissions) -> Reach:
    return Reach(
        some=perms.actions_where(star=False, conditional_ok=False),
        some_maybe=perms.actions_where(star=False, conditional_ok=True),
        star=perms.actions_where(star=True, conditional_ok=False),
        star_maybe=perms.actions_where(star=True, conditional_ok=True),
        granted=perms.granted_actions(),
        through=perms.through_actions(),
        wildcards=wildcard_actions(perms),
        dead_unknown=tuple(perms.dead_unknown_actions()),
    )


def boundary_allows_iam(perms: EffectivePermissions) -> tuple[str, ...]:
    """The iam:/kms: actions the role's boundary lets through (depends on the boundary only)."""
    db = perms.db
    iam_kms = db.service_mask("iam") | db.service_mask("kms")
    passes = perms.boundary_passes(iam_kms, conditional_ok=False)
    passes_maybe = perms.boundary_passes(iam_kms, conditional_ok=True)
    return (
        *db.by_service(passes, iam_kms),
        *(item + CONDITIONAL for item in db.by_service(passes_maybe & ~passes, iam_kms)),
        *_unknown_iam_passes(perms),
    )


@lru_cache(maxsize=8)
def write_universe(db: ActionDatabase, catalog: Catalog) -> int:
    """What LG-IAM-03 looks for on `*`: Write, Permissions-management and Tagging actions, less
    the Lambda baseline and actions that support only Resource `*`."""
    baseline = 0
    for action in catalog.baseline_actions:
        baseline |= db.bit(action)
    return db.writes() & ~db.star_only & ~baseline


@lru_cache(maxsize=8)
def escalation_masks(db: ActionDatabase, catalog: Catalog) -> tuple[tuple[str, int, int], ...]:
    """(method name, actions needed on some resource, actions needed on `*`) of every method
    whose actions are all known; a method naming an action the database lacks cannot be
    judged (tests keep this empty)."""
    out = []
    for method in catalog.escalation_methods:
        some = star = 0
        known = True
        for need in method.requires:
            bit = db.bit(need.action)
            known = known and bool(bit)
            if need.on_star:
                star |= bit
            else:
                some |= bit
        if known:
            out.append((method.name, some, star))
    return tuple(out)


def _with_conditional(db: ActionDatabase, sure: int, maybe: int, universe: int) -> tuple[str, ...]:
    return (
        *db.describe(sure, universe),
        *(item + CONDITIONAL for item in db.describe(maybe & ~sure, universe)),
    )


def combine_facts(
    r: Reach, boundary_iam: tuple[str, ...], has_boundary: bool, db: ActionDatabase, catalog: Catalog
) -> PermissionFacts:
    """The facts of a role from its reach and its boundary's iam/kms pass-through."""
    writes = write_universe(db, catalog)
    escalation: list[str] = []
    maybe_escalation: list[str] = []
    for name, some, star in escalation_masks(db, catalog):
        if some & r.some == some and star & r.star == star:
            escalation.append(name)
        elif some & r.some_maybe == some and star & r.star_maybe == star:
            maybe_escalation.append(name + CONDITIONAL)

    dead = [*db.describe(r.granted & ~r.through), *r.dead_unknown] if has_boundary else []
    return PermissionFacts(
        admin_like=r.star == db.all,
        wildcard_actions=r.wildcards,
        write_on_star=_with_conditional(db, r.star & writes, r.star_maybe & writes, writes),
        privilege_escalation=(*escalation, *maybe_escalation),
        boundary_allows_iam=boundary_iam if has_boundary else (),
        dead_grants=tuple(dead),
    )


def permission_facts(perms: EffectivePermissions, catalog: Catalog) -> PermissionFacts:
    """The facts of one role evaluated as a whole."""
    has_boundary = perms.boundary is not None
    return combine_facts(reach(perms), boundary_allows_iam(perms), has_boundary, perms.db, catalog)


def _unknown_iam_passes(perms: EffectivePermissions) -> list[str]:
    # iam:/kms: names the database does not know yet, allowed by the boundary and not denied
    # by it everywhere: they may be real, newer actions.
    out: dict[str, None] = {}
    for allow in perms.boundary_allows:
        for pattern in allow.unknown_actions:
            if not pattern.startswith(("iam:", "kms:")):
                continue
            if not perms.boundary_blocks_name(pattern):
                out[pattern + (CONDITIONAL if allow.conditional else "")] = None
    return list(out)


def trust_principals(policy: Policy) -> list[str]:
    """``Type:value`` of every principal in the trust policy's Allow statements.

    ``Principal: "*"`` reads ``AWS:*``; a NotPrincipal Allow (everyone but the list) reads
    ``NotPrincipal Type:value``.
    """
    out: dict[str, None] = {}
    for st in policy.statements:
        if not st.allow or not st.principals:
            continue
        for kind, value in st.principals:
            out[f"{'NotPrincipal ' if st.not_principal else ''}{kind}:{value}"] = None
    return list(out)


def non_lambda(principals: list[str]) -> list[str]:
    return [p for p in principals if p != LAMBDA_SERVICE]
