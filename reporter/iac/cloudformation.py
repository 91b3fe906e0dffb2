"""CloudFormation templates, YAML or JSON, read by cfn-lint's decoder (short-form intrinsics and
line marks included); SAM templates are handed to reporter.iac.sam, CDK output to reporter.iac.cdk.

The decoder returns dict/str subclasses carrying ``start_mark``: the line of each logical id is
read from its key in ``Resources``. A malformed file is one :class:`Problem` naming the line and
what the decoder found wrong; nothing here raises for bad input.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from reporter.iac.model import Problem, Template

SAM_TRANSFORM = "AWS::Serverless-2016-10-31"


def decode(path: Path, shown: str) -> tuple[dict[str, Any] | None, list[Problem]]:
    """The decoded document (None when malformed) and the problems found."""
    from cfnlint.decode import decode as cfn_decode

    # cfn-lint logs parse errors itself; we report them once, as one line each.
    logging.getLogger("cfnlint").setLevel(logging.CRITICAL)
    try:
        document, matches = cfn_decode(str(path))
    except Exception as exc:  # the decoder's own failures (recursion limits, odd encodings)
        return None, [Problem(shown, None, f"cannot decode: {type(exc).__name__}: {exc}")]
    if matches:
        first = matches[0]
        line = getattr(first, "linenumber", None)
        message = str(getattr(first, "message", first)).strip().splitlines()[0]
        return None, [Problem(shown, int(line) if line else None, f"malformed template: {message}")]
    if not isinstance(document, dict):
        return None, []
    return document, []


def is_template(document: Mapping[str, Any]) -> bool:
    return isinstance(document.get("Resources"), Mapping) or "AWSTemplateFormatVersion" in document


def is_sam(document: Mapping[str, Any]) -> bool:
    transform = document.get("Transform")
    names = transform if isinstance(transform, list) else [transform]
    return SAM_TRANSFORM in [str(n) for n in names if isinstance(n, str)]


def resource_lines(document: Mapping[str, Any]) -> dict[str, int]:
    """Logical id → 1-based line of its key (the decoder's marks are 0-based)."""
    resources = document.get("Resources")
    lines: dict[str, int] = {}
    if isinstance(resources, Mapping):
        for key in resources:
            mark = getattr(key, "start_mark", None)
            if mark is not None:
                lines[str(key)] = int(mark.line) + 1
    return lines


def load(
    path: Path, shown: str, kind: str = "cloudformation", document: dict[str, Any] | None = None
) -> tuple[Template | None, list[Problem]]:
    """A plain CloudFormation template (or None: not a template, or malformed); ``document`` when
    the caller has decoded it already."""
    problems: list[Problem] = []
    if document is None:
        document, problems = decode(path, shown)
    if document is None or not is_template(document):
        return None, problems
    problems += check_resources(document, shown)
    if problems:
        return None, problems
    return Template(shown, kind, document, resource_lines(document)), []


def check_resources(document: Mapping[str, Any], shown: str) -> list[Problem]:
    """Structural errors the builder would otherwise trip over: one line each."""
    resources = document.get("Resources")
    if not isinstance(resources, Mapping):
        return [Problem(shown, None, "malformed template: Resources is not a map")]
    problems = []
    lines = resource_lines(document)
    for logical, resource in resources.items():
        if not isinstance(resource, Mapping) or not isinstance(resource.get("Type"), str):
            problems.append(
                Problem(shown, lines.get(str(logical)), f"malformed template: resource {logical} has no Type")
            )
        elif "Properties" in resource and not isinstance(resource["Properties"], Mapping):
            problems.append(
                Problem(
                    shown,
                    lines.get(str(logical)),
                    f"malformed template: Properties of {logical} is not a map",
                )
            )
    return problems
