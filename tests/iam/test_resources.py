"""Resource sets: the cell algebra behind boundaries and resource-scoped denies."""

from __future__ import annotations

import pytest

from reporter.iam import resources
from reporter.iam.policy import PolicyError
from reporter.iam.resources import (
    EVERYTHING,
    Cell,
    ResourceSpec,
    intersect,
    make_cell,
    remove,
    restrict,
    soften,
    star_like,
    unconditional,
)

BUCKET = "arn:aws:s3:::b/*"


def test_cells_normalise_and_detect_emptiness() -> None:
    assert make_cell(("*",), (), False) == Cell((), ())
    assert make_cell(("arn:aws:s3:::a/*", "arn:aws:s3:::b/*"), (), False) is None  # disjoint
    assert make_cell((BUCKET,), ("arn:aws:s3:::*",), False) is None  # excluded whole
    narrowed = make_cell((BUCKET, "arn:aws:s3:::b/processed/*"), (), False)
    assert narrowed == Cell(("arn:aws:s3:::b/processed/*",), ())  # the wider pattern adds nothing
    assert make_cell((BUCKET,), ("arn:aws:s3:::c/*",), False) == Cell((BUCKET,), ())  # exc that cannot meet


def test_specs() -> None:
    assert ResourceSpec.of(("*",)).universal
    assert not ResourceSpec.of(("*",), True).universal
    assert ResourceSpec.of((), True).universal  # NotResource of nothing
    assert ResourceSpec.of((BUCKET,), True).cells() == (Cell((), (BUCKET,)),)


def test_intersection_with_a_boundary() -> None:
    star = ResourceSpec.of(("*",)).cells()
    bounded = intersect(star, ResourceSpec.of((BUCKET,)).cells())
    assert bounded == (Cell((BUCKET,), ()),) and not star_like(bounded, conditional_ok=True)
    assert intersect(EVERYTHING, bounded) == bounded


def test_denies() -> None:
    star = EVERYTHING
    one_removed = remove(star, ResourceSpec.of(("arn:aws:s3:::prod/*",)))
    assert one_removed == (Cell((), ("arn:aws:s3:::prod/*",)),)
    assert star_like(one_removed, conditional_ok=False)  # still "on *" but for one bucket
    assert remove(star, ResourceSpec.of(("*",))) == ()
    confined = remove(star, ResourceSpec.of((BUCKET,), True))  # Deny NotResource
    assert confined == (Cell((BUCKET,), ()),)
    softened = soften(restrict(star, ResourceSpec.of((BUCKET,))), ResourceSpec.of(("arn:aws:s3:::b/x/*",)))
    assert set(softened) == {
        Cell((BUCKET,), ("arn:aws:s3:::b/x/*",)),
        Cell(("arn:aws:s3:::b/x/*",), (), True),
    }
    assert unconditional(softened)


def test_too_many_cells_over_approximate(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(resources, "MAX_CELLS", 2)
    grants = tuple(Cell((f"arn:aws:s3:::q{i}/*",), ()) for i in range(2))
    # every grant overlaps both boundary patterns without either containing the other
    boundary = (Cell(("arn:aws:s3:::*/x/*",), ()), Cell(("arn:aws:s3:::*/y/*",), ()))
    assert intersect(grants, boundary) == grants  # kept whole: a superset, never less


def test_work_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(resources, "MAX_PAIRS", 10)
    many = ResourceSpec.of(tuple(f"arn:aws:s3:::m{i}/*" for i in range(11)))
    with pytest.raises(PolicyError):
        restrict((Cell(("arn:aws:s3:::*",), ()),), many)
