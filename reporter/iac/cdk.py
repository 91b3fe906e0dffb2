"""CDK output: ``cdk.out/<Stack>.template.json``, CloudFormation JSON synthesised by ``cdk synth``.

It is read like any CloudFormation template (lines from cfn-lint's decoder); what CDK adds is the
construct path of each resource (``Metadata: aws:cdk:path``), which names a resource better than
its hashed logical id (``ApiHandler5E7490E8``) in messages.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from reporter.iac import cloudformation
from reporter.iac.model import Problem, Template

CDK_PATH = "aws:cdk:path"


def is_cdk_output(path: Path, data: Mapping[str, Any]) -> bool:
    if path.name.endswith(".template.json") and (path.parent.name == "cdk.out" or "cdk.out" in path.parts):
        return True
    resources = data.get("Resources")
    return isinstance(resources, Mapping) and any(
        isinstance(r, Mapping) and isinstance(r.get("Metadata"), Mapping) and CDK_PATH in r["Metadata"]
        for r in resources.values()
    )


def load(path: Path, shown: str) -> tuple[Template | None, list[Problem]]:
    template, problems = cloudformation.load(path, shown, kind="cdk")
    if template is None:
        return None, problems
    resources = template.body.get("Resources") or {}
    for logical, resource in resources.items():
        metadata = resource.get("Metadata") if isinstance(resource, Mapping) else None
        if isinstance(metadata, Mapping) and isinstance(metadata.get(CDK_PATH), str):
            template.labels[str(logical)] = f"{logical} ({metadata[CDK_PATH]})"
    return template, []
