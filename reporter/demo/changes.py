"""One change of the demo organization between two months, and how to undo it.

:mod:`reporter.demo.quarter` lists the changes; going back a month undoes them on the account
builders of the standard month, newest first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from reporter.demo.builder import AccountBuilder
from reporter.demo.spec import ConfigSpec


@dataclass(frozen=True)
class Was:
    """The function's fields before the change."""

    function: str
    fields: tuple[tuple[str, Any], ...]

    def undo(self, b: AccountBuilder) -> None:
        b.change(self.function, **dict(self.fields))


@dataclass(frozen=True)
class RoleWas:
    """The function's execution role before the change: its own role as another archetype, or
    (``shared``) a role it shared with other functions."""

    function: str
    archetype: str
    shared: str | None = None

    def undo(self, b: AccountBuilder) -> None:
        b.recast(self.function, self.archetype, role=self.shared)


@dataclass(frozen=True)
class Absent:
    """The function was created by the change."""

    function: str

    def undo(self, b: AccountBuilder) -> None:
        b.drop(self.function)


@dataclass(frozen=True)
class Existed:
    """The function was deleted by the change; its declaration before."""

    function: str
    region: str
    archetype: str
    fields: tuple[tuple[str, Any], ...] = ()

    def undo(self, b: AccountBuilder) -> None:
        b.fn(self.function, self.region, self.archetype, **dict(self.fields))


@dataclass(frozen=True)
class ConfigWas:
    """AWS Config in one region before the change (None: not set up at all)."""

    region: str
    config: ConfigSpec | None

    def undo(self, b: AccountBuilder) -> None:
        kept = [c for c in b.config if c.region != self.region]
        b.config = kept if self.config is None else [*kept, self.config]


Undo = Was | RoleWas | Absent | Existed | ConfigWas


def was(function: str, **fields: Any) -> Was:
    return Was(function, tuple(fields.items()))


@dataclass(frozen=True)
class Change:
    month: int
    """The first month that shows the change."""
    account: str
    effect: Literal["fix", "regression", "both"]
    """What it does to the account's findings: only fixes, only new failures, or some of each."""
    intent: str
    before: tuple[Undo, ...]
