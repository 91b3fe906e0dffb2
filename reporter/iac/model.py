"""What the format readers hand the inventory builder, and the one-line problems they report."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Problem:
    """A file that could not be scanned (or a part of it): one line, ``file:line: what``."""

    path: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.message}"


@dataclass
class Template:
    """One CloudFormation-shaped template (plain CloudFormation, SAM after its transform, CDK output)."""

    path: str
    """The file as given on the command line (relative paths stay relative)."""
    kind: str
    """cloudformation | sam | cdk"""
    body: dict[str, Any]
    """Parameters, Conditions, Mappings, Resources (SAM already expanded)."""
    lines: dict[str, int] = field(default_factory=dict)
    """Logical id → line of its declaration in the file (generated SAM resources: their source's)."""
    labels: dict[str, str] = field(default_factory=dict)
    """Logical id → a name people know it by (CDK construct path, SAM resource it came from)."""


@dataclass
class Plan:
    """One Terraform plan (``terraform show -json``)."""

    path: str
    resources: list[dict[str, Any]]
    """planned_values resources of every module: address, type, name, index, values."""
    unknown: dict[str, Any]
    """address → after_unknown of its resource change (values known only after apply)."""
    region: str | None = None


@dataclass
class Loaded:
    """Everything read from the paths given: what to scan, what was skipped and what was broken."""

    templates: list[Template] = field(default_factory=list)
    plans: list[Plan] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def scanned(self) -> list[str]:
        return [t.path for t in self.templates] + [p.path for p in self.plans]


def display(path: Path) -> str:
    return path.as_posix()
