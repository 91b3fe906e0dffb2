"""The dated data files the IAM facts read: admin policies, escalation methods, Lambda baseline.

Each file documents its own sources (``reporter/data/*.json``); this module only loads and
checks their shape, once per process.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any


@dataclass(frozen=True)
class Requirement:
    action: str
    """Canonical ``service:Action``."""
    on_star: bool
    """True: the action must be allowed on every resource; False: on at least one."""


@dataclass(frozen=True)
class EscalationMethod:
    name: str
    requires: tuple[Requirement, ...]
    source: str


@dataclass(frozen=True, eq=False)  # hashed by identity: one instance, a cache key in facts.py
class Catalog:
    admin_policy_pattern: re.Pattern[str]
    """Matches the ARN of an admin/power-user AWS managed policy in any partition."""
    escalation_methods: tuple[EscalationMethod, ...]
    baseline_actions: tuple[str, ...]
    """Lambda baseline actions tolerated on Resource "*" (LG-IAM-03)."""

    def admin_policy_arns(self, arns: Iterable[str]) -> list[str]:
        return [arn for arn in arns if self.admin_policy_pattern.fullmatch(arn)]


def _read(name: str) -> Any:
    return json.loads(resources.files("reporter").joinpath("data", name).read_text(encoding="utf-8"))


def _requirement(raw: dict[str, Any]) -> Requirement:
    scope = raw.get("resource", "any")
    if scope not in ("any", "*"):
        raise ValueError(f"privilege_escalation.json: resource must be 'any' or '*', not {scope!r}")
    return Requirement(str(raw["action"]), scope == "*")


@cache
def load_catalog() -> Catalog:
    admin = _read("admin_policies.json")
    suffixes = "|".join(re.escape(p["arn_suffix"]) for p in admin["policies"])
    escalation = _read("privilege_escalation.json")
    methods = tuple(
        EscalationMethod(str(m["name"]), tuple(_requirement(r) for r in m["requires"]), str(m["source"]))
        for m in escalation["methods"]
    )
    baseline = _read("lambda_baseline_actions.json")
    actions = tuple(a for group in baseline["groups"] for a in group["actions"])
    return Catalog(re.compile(rf"arn:[a-z0-9-]+:iam::aws:(?:{suffixes})"), methods, actions)
