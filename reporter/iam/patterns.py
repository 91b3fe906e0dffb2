"""IAM wildcard patterns: `*` (any run of characters, including `/` and `:`) and `?` (one character).

IAM matches actions case-insensitively and resources (ARNs) case-sensitively; callers lower-case
action patterns and names before calling. Nothing else is special: `[`, `]`, `.` and `\\` are
literal characters, which is why we do not use :mod:`fnmatch` (it treats `[...]` as a class).

Two kinds of question are answered here:

- does a pattern match a concrete string (:func:`glob_match`), in time linear-ish in the inputs,
  with no regular-expression backtracking a hostile pattern could exploit;
- how two patterns relate as sets of strings: :func:`covers` (every string of one is matched by
  the other) and :func:`overlaps` (some string is matched by both). ``covers`` is sound (a True
  answer is always right) and complete for the patterns policies use in practice; ``overlaps``
  never answers False when the patterns share a string. Both fall back to their safe answer
  when a pair is too large to examine (:data:`MAX_PAIR_WORK`).
"""

from __future__ import annotations

import re
from functools import lru_cache

# Pairs of patterns whose product of lengths exceeds this are not examined symbol by symbol;
# policies cap resource strings far below it, so only hostile input reaches the fallback.
MAX_PAIR_WORK = 400_000


def has_wildcard(pattern: str) -> bool:
    return "*" in pattern or "?" in pattern


def is_universal(pattern: str) -> bool:
    """True for `*`, `**`, …: the pattern every string matches."""
    return bool(pattern) and pattern.count("*") == len(pattern)


def squeeze(pattern: str) -> str:
    """Collapse runs of `*` (same language, less work for every matcher below)."""
    while "**" in pattern:
        pattern = pattern.replace("**", "*")
    return pattern


class Glob:
    """A compiled pattern: literal segments between stars, each a fixed-length regex.

    Matching anchors the first segment at the start and the last at the end, then finds each
    middle segment leftmost-first; for star-only wildcards that greedy strategy is exact and
    never backtracks.
    """

    __slots__ = ("_exact", "_first", "_first_len", "_last", "_last_len", "_middles")

    def __init__(self, pattern: str, ignore_case: bool) -> None:
        flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
        segments = squeeze(pattern).split("*")
        compiled = [
            re.compile("".join("." if c == "?" else re.escape(c) for c in s), flags) for s in segments
        ]
        if len(segments) == 1:
            self._exact: re.Pattern[str] | None = compiled[0]
            self._first = self._last = compiled[0]
            self._first_len = self._last_len = len(segments[0])
            self._middles: tuple[re.Pattern[str], ...] = ()
            return
        self._exact = None
        self._first, self._first_len = compiled[0], len(segments[0])
        self._last, self._last_len = compiled[-1], len(segments[-1])
        self._middles = tuple(c for c, s in zip(compiled[1:-1], segments[1:-1], strict=True) if s)

    def match(self, text: str) -> bool:
        if self._exact is not None:
            return self._exact.fullmatch(text) is not None
        if len(text) < self._first_len + self._last_len:
            return False
        if self._first.match(text) is None:
            return False
        end = len(text) - self._last_len
        if self._last.fullmatch(text, end) is None:
            return False
        pos = self._first_len
        for middle in self._middles:
            found = middle.search(text, pos, end)
            if found is None:
                return False
            pos = found.end()
        return True


@lru_cache(maxsize=32_768)
def compile_glob(pattern: str, ignore_case: bool = False) -> Glob:
    return Glob(pattern, ignore_case)


def glob_match(pattern: str, text: str, ignore_case: bool = False) -> bool:
    return compile_glob(pattern, ignore_case).match(text)


def _literal_ends(pattern: str) -> tuple[str, str]:
    """The literal text before the first and after the last wildcard."""
    first = min((i for i in (pattern.find("*"), pattern.find("?")) if i >= 0), default=len(pattern))
    last = max(pattern.rfind("*"), pattern.rfind("?"))
    return pattern[:first], pattern[last + 1 :] if last >= 0 else pattern


def _ends_agree(a: str, b: str) -> bool:
    # Strings both patterns match start with both literal prefixes and end with both literal
    # suffixes, so one of each pair must extend the other: a cheap test that settles most
    # unrelated ARN patterns before any search.
    (pa, sa), (pb, sb) = _literal_ends(a), _literal_ends(b)
    prefixes = pa.startswith(pb) or pb.startswith(pa)
    suffixes = sa.endswith(sb) or sb.endswith(sa)
    return prefixes and suffixes


@lru_cache(maxsize=65_536)
def covers(outer: str, inner: str) -> bool:
    """True when every string `inner` matches is matched by `outer` (case-sensitive)."""
    if is_universal(outer) or outer == inner:
        return True
    if not has_wildcard(inner):
        return glob_match(outer, inner)
    if not has_wildcard(outer) or not _ends_agree(outer, inner):
        return False
    outer, inner = squeeze(outer), squeeze(inner)
    if len(outer) * len(inner) > MAX_PAIR_WORK:
        return False
    return _covers_nfa(outer, inner)


def _covers_nfa(outer: str, inner: str) -> bool:
    # Run `outer` as an NFA over the symbols of `inner`, where inner's `*` is a symbol only an
    # outer `*` can absorb and inner's `?` one that an outer `?` or `*` can absorb. Accepting
    # means every expansion of inner is accepted by outer. States are bits of an int.
    size = len(outer)
    star = qmark = 0
    literal: dict[str, int] = {}
    for i, ch in enumerate(outer):
        if ch == "*":
            star |= 1 << i
        elif ch == "?":
            qmark |= 1 << i
        else:
            literal[ch] = literal.get(ch, 0) | (1 << i)

    def closure(states: int) -> int:
        # a star may match nothing: step over it (runs of stars were squeezed to one)
        return states | ((states & star) << 1)

    states = closure(1)
    for ch in inner:
        if ch == "*":
            advance = 0
        elif ch == "?":
            advance = states & qmark
        else:
            advance = states & (qmark | literal.get(ch, 0))
        states = closure((states & star) | (advance << 1))
        if not states:
            return False
    return bool(states >> size & 1)


@lru_cache(maxsize=65_536)
def overlaps(a: str, b: str) -> bool:
    """True when some string is matched by both patterns (case-sensitive)."""
    if is_universal(a) or is_universal(b) or a == b:
        return True
    if not has_wildcard(a):
        return glob_match(b, a)
    if not has_wildcard(b):
        return glob_match(a, b)
    if not _ends_agree(a, b):
        return False
    a, b = squeeze(a), squeeze(b)
    if len(a) * len(b) > MAX_PAIR_WORK:
        return True
    return _overlaps_search(a, b)


def _overlaps_search(a: str, b: str) -> bool:
    # Search the product automaton: state (i, j) = positions in a and b after reading a common
    # prefix of some string both could match.
    end = (len(a), len(b))
    seen = {(0, 0)}
    todo = [(0, 0)]
    while todo:
        i, j = todo.pop()
        if (i, j) == end:
            return True
        nxt: list[tuple[int, int]] = []
        ca = a[i] if i < len(a) else None
        cb = b[j] if j < len(b) else None
        if ca == "*":
            nxt.append((i + 1, j))
        if cb == "*":
            nxt.append((i, j + 1))
        if ca is not None and cb is not None and (ca in "*?" or cb in "*?" or ca == cb):
            nxt.append((i if ca == "*" else i + 1, j if cb == "*" else j + 1))
        for state in nxt:
            if state not in seen:
                seen.add(state)
                todo.append(state)
    return False
