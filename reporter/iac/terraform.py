"""Terraform plans (``terraform show -json plan.out``) → inventory rows. (mapping below)"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reporter.iac.model import Plan, Problem


def is_plan(data: Any) -> bool:
    return (
        isinstance(data, Mapping)
        and "format_version" in data
        and ("planned_values" in data or "resource_changes" in data)
    )


def load(data: Mapping[str, Any], shown: str) -> tuple[Plan | None, list[Problem]]:
    return None, [Problem(shown, None, "Terraform plans are not scanned yet")]


def map_plan(builder: object, plan: Plan) -> None:
    raise NotImplementedError
