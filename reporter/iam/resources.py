"""Sets of resources described by ARN patterns, closed under the operations IAM evaluation needs.

A :class:`Cell` is "every resource matching all of ``inc`` and none of ``exc``"; a resource set
is a union of cells. That form is closed under what evaluating a role takes: ``Resource``
(one cell per pattern), ``NotResource`` (one cell with ``exc``), intersecting identity grants
with the boundary, and subtracting a ``Deny`` (add its patterns to ``exc``) or a ``Deny`` with
``NotResource`` (intersect with its list). A cell with empty ``inc`` covers every resource
except its ``exc``: such a grant is "on `*`" for the facts (a Deny on one ARN does not make
``s3:*`` on ``*`` least-privilege).

Cells also carry ``cond``: the resources in it are reached only through an Allow with a
Condition or are touched by a conditioned Deny (which might apply), so they count as granted
but conditional. Emptiness tests are conservative: a cell is dropped only when it is certainly
empty, so the sets may over-state, never under-state, what a role can reach.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import NamedTuple

from reporter.iam.patterns import covers, is_universal, overlaps, squeeze
from reporter.iam.policy import PolicyError

# Past this many cells an intersection is over-approximated (see _pairwise), and a union
# refused; real roles need a handful.
MAX_CELLS = 2_000
# Pairs of cells one intersection may examine: bounds the work hostile documents can cause
# (IAM's size quotas allow about 370 × 250 between an inline policy and a boundary).
MAX_PAIRS = 250_000
# The set operations are pure functions of values that recur across the roles of an
# organization (the same grants, boundaries and denies): memoised, bounded.
_MEMO = 65_536


class Cell(NamedTuple):
    inc: tuple[str, ...]
    """Patterns a resource must all match (sorted); empty = every resource."""
    exc: tuple[str, ...]
    """Patterns a resource must not match (sorted)."""
    cond: bool = False

    @property
    def star_like(self) -> bool:
        return not self.inc

    def render(self) -> str:
        base = " & ".join(self.inc) if self.inc else "*"
        return f"{base} except [{', '.join(self.exc)}]" if self.exc else base


ResourceSet = tuple[Cell, ...]
EVERYTHING: ResourceSet = (Cell((), ()),)


class ResourceSpec(NamedTuple):
    """The ``Resource`` (or, when ``negated``, ``NotResource``) list of one statement.

    Build with :meth:`of`, which fills :attr:`universal`.
    """

    patterns: tuple[str, ...]
    negated: bool
    universal: bool
    """Resource `*`: every resource."""

    @classmethod
    def of(cls, patterns: tuple[str, ...], negated: bool = False) -> ResourceSpec:
        if negated:
            return cls(patterns, True, not patterns)  # NotResource of nothing: every resource
        return cls(patterns, False, any(is_universal(p) for p in patterns))

    def cells(self, cond: bool = False) -> ResourceSet:
        return _spec_cells(self, cond)

    def complement(self) -> ResourceSpec:
        return ResourceSpec.of(self.patterns, not self.negated)


@lru_cache(maxsize=_MEMO)
def _spec_cells(spec: ResourceSpec, cond: bool) -> ResourceSet:
    if spec.negated:
        return _union([make_cell((), spec.patterns, cond)])
    return _union(make_cell((p,), (), cond) for p in spec.patterns)


def _reduce(patterns: Iterable[str], drop_wider: bool) -> list[str]:
    # Drop patterns another one makes redundant: in an intersection the wider pattern adds
    # nothing (drop_wider); in a union (the exceptions) the narrower one adds nothing.
    unique = sorted(set(patterns))
    keep: list[str] = []
    for p in unique:
        redundant = False
        for q in unique:
            if q == p:
                continue
            wider, narrower = (p, q) if drop_wider else (q, p)
            # a pair covering each other (same language, different spelling) keeps the smaller
            if covers(wider, narrower) and (not covers(narrower, wider) or q < p):
                redundant = True
                break
        if not redundant:
            keep.append(p)
    return keep


def make_cell(inc: Iterable[str], exc: Iterable[str], cond: bool) -> Cell | None:
    """The normalised cell, or None when it is certainly empty."""
    inc_list = _reduce((squeeze(p) for p in inc if not is_universal(p)), drop_wider=True)
    for i, p in enumerate(inc_list):
        if any(not overlaps(p, q) for q in inc_list[i + 1 :]):
            return None
    exc_list: list[str] = []
    for e in (squeeze(p) for p in exc):
        if is_universal(e) or any(covers(e, p) for p in inc_list):
            return None
        if all(overlaps(e, p) for p in inc_list):
            exc_list.append(e)
    return Cell(tuple(inc_list), tuple(_reduce(exc_list, drop_wider=False)), cond)


def _union(cells: Iterable[Cell | None]) -> ResourceSet:
    best: dict[tuple[tuple[str, ...], tuple[str, ...]], bool] = {}
    for c in cells:
        if c is None:
            continue
        key = (c.inc, c.exc)
        best[key] = best.get(key, True) and c.cond
    if best.get(((), ())) is False:
        return EVERYTHING  # an unconditional grant on everything absorbs the rest
    return tuple(sorted(Cell(inc, exc, cond) for (inc, exc), cond in best.items()))


def union(*sets: ResourceSet) -> ResourceSet:
    if len(sets) == 1:
        return sets[0]
    return _bounded(_union(c for s in sets for c in s))


def _bounded(cells: ResourceSet) -> ResourceSet:
    if len(cells) > MAX_CELLS:
        raise PolicyError("policies combine too many resource patterns to analyse")
    return cells


def _pairwise(a: ResourceSet, others: list[tuple[tuple[str, ...], tuple[str, ...], bool]]) -> ResourceSet:
    """``a`` ∩ the union of `others` (inc, exc, cond), exactly while that stays small.

    Past :data:`MAX_CELLS` distinct cells (many patterns that overlap without containing one
    another) each cell of ``a`` that meets any of `others` is kept whole instead: a superset,
    so grants are over-stated, never under-stated.
    """
    if len(a) * len(others) > MAX_PAIRS:
        raise PolicyError("policies combine too many resource patterns to analyse")
    exact: list[Cell] = []
    kept: list[Cell] = []
    for x in a:
        group = [c for inc, exc, cond in others if (c := make_cell(x.inc + inc, x.exc + exc, x.cond or cond))]
        if not group:
            continue
        # When some other set contains x whole, x itself is in the result, and every other
        # piece of x adds nothing unless it is less conditional.
        whole = [c for c in group if c.inc == x.inc and c.exc == x.exc]
        if whole:
            top = min(whole, key=lambda c: c.cond)
            group = [top, *(c for c in group if top.cond and not c.cond)]
        exact.extend(group)
        kept.append(x._replace(cond=all(c.cond for c in group)))
    result = _union(exact)
    return result if len(result) <= MAX_CELLS else _bounded(_union(kept))


@lru_cache(maxsize=_MEMO)
def intersect(a: ResourceSet, b: ResourceSet) -> ResourceSet:
    if a == EVERYTHING:
        return b
    if b == EVERYTHING:
        return a
    return _pairwise(a, [(y.inc, y.exc, y.cond) for y in b])


@lru_cache(maxsize=_MEMO)
def restrict(a: ResourceSet, spec: ResourceSpec) -> ResourceSet:
    """``a`` ∩ the resources of ``spec``."""
    if spec.universal:
        return a
    if spec.negated:
        return _union(make_cell(c.inc, c.exc + spec.patterns, c.cond) for c in a)
    return _pairwise(a, [((p,), (), False) for p in spec.patterns])


def remove(a: ResourceSet, spec: ResourceSpec) -> ResourceSet:
    """``a`` minus the resources of ``spec`` (an unconditional Deny)."""
    if spec.universal:
        return ()
    return restrict(a, spec.complement())


@lru_cache(maxsize=_MEMO)
def soften(a: ResourceSet, spec: ResourceSpec) -> ResourceSet:
    """A conditioned Deny on ``spec``: what it touches stays, marked conditional."""
    if spec.universal:
        return tuple(sorted({c._replace(cond=True) for c in a}))
    touched = tuple(c._replace(cond=True) for c in restrict(a, spec))
    return union(remove(a, spec), touched)


def unconditional(a: ResourceSet) -> bool:
    return any(not c.cond for c in a)


def star_like(a: ResourceSet, *, conditional_ok: bool) -> bool:
    return any(c.star_like and (conditional_ok or not c.cond) for c in a)
