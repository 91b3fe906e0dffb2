"""Terraform plans (``terraform show -json plan.out``) → inventory rows (reporter.iac.build).

Resources come from ``planned_values`` (every module), keyed by their address
(``module.api.aws_lambda_function.handler["eu"]``): findings name that address, waivers match it.
A value Terraform knows only after apply is absent from ``values`` and ``true`` in the change's
``after_unknown``. Links between resources (a function's ``role``, a URL's ``function_name``) are
usually such values; they are followed through the configuration's ``references``
(``aws_iam_role.lambda.arn``), to the instance with the same ``for_each``/``count`` key when the
target is indexed too. Anything still unknown is unresolved, never guessed.

A plan has no useful line numbers: SARIF locates a finding at the plan file and its address.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

from reporter.iac.model import Plan, Problem
from reporter.iac.resolve import Unresolved

_INDEX = re.compile(r"\[[^\]]*\]$")


def is_plan(data: Any) -> bool:
    return (
        isinstance(data, Mapping)
        and "format_version" in data
        and ("planned_values" in data or "resource_changes" in data)
    )


def load(data: Mapping[str, Any], shown: str) -> tuple[Plan | None, list[Problem]]:
    planned = data.get("planned_values")
    if not isinstance(planned, Mapping) or not isinstance(planned.get("root_module"), Mapping):
        return None, [Problem(shown, None, "malformed plan: no planned_values.root_module")]
    resources = [r for r in _modules(planned["root_module"]) if r.get("mode", "managed") == "managed"]
    unknown: dict[str, Any] = {}
    for change in data.get("resource_changes") or []:
        if isinstance(change, Mapping) and isinstance(change.get("change"), Mapping):
            unknown[str(change.get("address"))] = change["change"].get("after_unknown") or {}
    references = _references(data.get("configuration"))
    for resource in resources:
        resource["references"] = references.get(_config_address(str(resource.get("address"))), {})
    region = _region(data.get("configuration"))
    return Plan(shown, resources, unknown, region), []


def _modules(module: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    for resource in module.get("resources") or []:
        if isinstance(resource, Mapping) and isinstance(resource.get("address"), str):
            yield dict(resource)
    for child in module.get("child_modules") or []:
        if isinstance(child, Mapping):
            yield from _modules(child)


def _config_address(address: str) -> str:
    """``module.a["x"].aws_lambda_function.f[0]`` → ``module.a.aws_lambda_function.f``."""
    return ".".join(_INDEX.sub("", part) for part in _split(address))


def _split(address: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for char in address:
        if char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
        if char == "." and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return parts


def _references(configuration: Any, prefix: str = "") -> dict[str, dict[str, list[str]]]:
    """Config address → attribute → the resource addresses its expression refers to (module-qualified)."""
    out: dict[str, dict[str, list[str]]] = {}
    if not isinstance(configuration, Mapping):
        return out
    module = configuration.get("root_module") if "root_module" in configuration else configuration
    if not isinstance(module, Mapping):
        return out
    for resource in module.get("resources") or []:
        if not isinstance(resource, Mapping):
            continue
        address = prefix + str(resource.get("address"))
        attrs: dict[str, list[str]] = {}
        for name, expression in (resource.get("expressions") or {}).items():
            refs = list(_refs(expression))
            if refs:
                attrs[str(name)] = [prefix + r for r in refs]
        out[address] = attrs
    for name, call in (module.get("module_calls") or {}).items():
        if isinstance(call, Mapping):
            out.update(_references(call.get("module"), f"{prefix}module.{name}."))
    return out


def _refs(expression: Any) -> Iterator[str]:
    if isinstance(expression, Mapping):
        for ref in expression.get("references") or []:
            if isinstance(ref, str) and not ref.startswith(("var.", "local.", "each.", "count.", "data.")):
                yield ref
        for key, value in expression.items():
            if key != "references":
                yield from _refs(value)
    elif isinstance(expression, list):
        for item in expression:
            yield from _refs(item)


def _region(configuration: Any) -> str | None:
    try:
        region = configuration["provider_config"]["aws"]["expressions"]["region"]["constant_value"]
    except (KeyError, TypeError):
        return None
    return region if isinstance(region, str) else None


def policy_json(text: Any, what: str) -> Any:
    """A policy given as JSON text (``jsonencode(...)`` in the plan), or Unresolved."""
    if isinstance(text, Unresolved):
        return text
    if isinstance(text, Mapping):
        return text
    try:
        return json.loads(str(text))
    except json.JSONDecodeError as exc:
        return Unresolved(f"{what} is not valid JSON ({exc.msg})")


def unknown_variable_names(unknown: Any) -> list[str]:
    """Environment variable names whose value is known only after apply (``after_unknown``)."""
    if isinstance(unknown, list) and unknown and isinstance(unknown[0], Mapping):
        variables = unknown[0].get("variables")
        if isinstance(variables, Mapping):
            return [str(k) for k, v in variables.items() if v is True]
    return []
