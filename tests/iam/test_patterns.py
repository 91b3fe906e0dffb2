"""IAM wildcard patterns: matching, and the set relations between two patterns."""

from __future__ import annotations

import itertools
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from reporter.iam.patterns import covers, glob_match, is_universal, overlaps

ALPHABET = "ab/"
PATTERN = st.text(alphabet="ab/*?", max_size=5)
# Every string up to length 5 over the alphabet: enough to witness any difference between the
# languages of two patterns of at most 5 symbols.
STRINGS = ["".join(p) for n in range(6) for p in itertools.product(ALPHABET, repeat=n)]


def _reference(pattern: str) -> re.Pattern[str]:
    return re.compile(
        "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern), re.DOTALL
    )


def test_star_spans_slashes_and_colons() -> None:
    assert glob_match("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/a/b/c")
    assert glob_match(
        "arn:aws:logs:us-east-1:123456789012:*", "arn:aws:logs:us-east-1:123456789012:log-group:/x:*"
    )
    assert not glob_match("arn:aws:s3:::bucket/*", "arn:aws:s3:::other/a")


def test_brackets_and_dots_are_literal() -> None:
    assert glob_match("a[bc]", "a[bc]")
    assert not glob_match("a[bc]", "ab")
    assert not glob_match("a.c", "abc")


def test_question_mark_is_one_character() -> None:
    assert glob_match("s3:get?bject", "s3:getobject")
    assert not glob_match("s3:get?bject", "s3:getbject")


def test_case_rules() -> None:
    assert not glob_match("arn:aws:s3:::Bucket", "arn:aws:s3:::bucket")  # ARNs: case-sensitive
    assert glob_match("S3:Get*", "s3:getobject", ignore_case=True)  # actions: case-insensitive


def test_hostile_pattern_matches_quickly() -> None:
    # Regular-expression backtracking would take ages here; the segment matcher is linear-ish.
    assert not glob_match("*a" * 40 + "b", "a" * 2000)


def test_universal() -> None:
    assert is_universal("*") and is_universal("***")
    assert not is_universal("*?") and not is_universal("")


@settings(max_examples=300, deadline=None)
@given(PATTERN, st.text(alphabet=ALPHABET, max_size=8))
def test_glob_match_agrees_with_a_regular_expression(pattern: str, text: str) -> None:
    assert glob_match(pattern, text) == bool(_reference(pattern).fullmatch(text))


@settings(max_examples=300, deadline=None)
@given(PATTERN, PATTERN)
def test_covers_is_sound(outer: str, inner: str) -> None:
    if covers(outer, inner):
        assert all(glob_match(outer, s) for s in STRINGS if glob_match(inner, s))


@settings(max_examples=300, deadline=None)
@given(PATTERN, PATTERN)
def test_overlaps_never_misses_a_shared_string(a: str, b: str) -> None:
    shared = any(glob_match(a, s) and glob_match(b, s) for s in STRINGS)
    if shared:
        assert overlaps(a, b)
    if not overlaps(a, b):
        assert not shared


def test_covers_on_policy_shapes() -> None:
    assert covers("arn:aws:s3:::my-app-data-bucket/*", "arn:aws:s3:::my-app-data-bucket/processed/*")
    assert not covers("arn:aws:s3:::my-app-data-bucket/processed/*", "arn:aws:s3:::my-app-data-bucket/*")
    assert covers("*", "arn:aws:s3:::b")
    assert covers("arn:aws:s3:::b?", "arn:aws:s3:::bx")
    assert not covers("arn:aws:s3:::b?", "arn:aws:s3:::b*")


def test_overlaps_on_policy_shapes() -> None:
    assert overlaps("arn:aws:s3:::a*", "arn:aws:s3:::*b")
    assert not overlaps("arn:aws:s3:::a/*", "arn:aws:s3:::b/*")
