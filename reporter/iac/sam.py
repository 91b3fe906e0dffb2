"""SAM templates, expanded to CloudFormation by aws-sam-translator as AWS deploys them.

``AWS::Serverless::Function`` becomes the function, its generated role (``<Id>Role``), its URL and
permissions, aliases with provisioned concurrency…; Globals are merged by the translator itself.
Offline by construction: managed-policy names come from the map bundled with the translator (the
IAM fallback loader here answers nothing), and nested applications from the Serverless
Application Repository are refused rather than fetched.

Generated resources get the line of the SAM resource they came from (the longest SAM logical id
their own id starts with: ``FnRole``, ``FnUrl``, ``FnAliaslive`` come from ``Fn``).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from reporter.iac.cloudformation import check_resources, decode, resource_lines
from reporter.iac.model import Problem, Template


class _NoManagedPolicies:
    """The translator's fallback loader asks IAM; a scan never does."""

    def load(self) -> dict[str, str]:
        return {}


def _refuse_sar() -> Any:
    raise RuntimeError("nested applications (AWS::Serverless::Application) are not fetched by a scan")


_LOCAL_URIS = {
    "AWS::Serverless::Function": ("CodeUri",),
    "AWS::Serverless::LayerVersion": ("ContentUri",),
    "AWS::Serverless::Api": ("DefinitionUri",),
    "AWS::Serverless::HttpApi": ("DefinitionUri",),
    "AWS::Serverless::StateMachine": ("DefinitionUri",),
}


def _packaged(document: dict[str, Any]) -> dict[str, Any]:
    """A copy with local code paths as ``sam package`` leaves them (S3 URIs), which the translator
    requires; where the code lies does not matter to any rule."""
    out = copy.deepcopy(document)
    sections = [
        (r.get("Type"), r.get("Properties"))
        for r in (out.get("Resources") or {}).values()
        if isinstance(r, dict)
    ]
    globals_: dict[str, Any] = out["Globals"] if isinstance(out.get("Globals"), dict) else {}
    sections += [(f"AWS::Serverless::{k}", v) for k, v in globals_.items()]
    for kind, props in sections:
        if not isinstance(props, dict):
            continue
        for key in _LOCAL_URIS.get(str(kind), ()):
            value = props.get(key)
            if isinstance(value, str) and not value.startswith("s3://"):
                props[key] = f"s3://local-package/{value.strip('./') or 'code'}"
    return out


def transform(document: dict[str, Any], region: str, partition: str) -> dict[str, Any]:
    import boto3
    from samtranslator.parser.parser import Parser
    from samtranslator.plugins.application.serverless_app_plugin import ServerlessAppPlugin
    from samtranslator.translator.translator import Translator

    # A session with a region and no credentials: the translator only reads its region name.
    session = boto3.Session(region_name=region, aws_access_key_id="scan", aws_secret_access_key="scan")
    translator = Translator(
        None,
        Parser(),
        plugins=[ServerlessAppPlugin(sar_client_creator=_refuse_sar)],
        boto_session=session,
    )
    return translator.translate(
        _packaged(document),
        parameter_values={"AWS::Region": region, "AWS::Partition": partition},
        get_managed_policy_map=_NoManagedPolicies().load,
    )


def load(
    path: Path, shown: str, region: str, partition: str, document: dict[str, Any] | None = None
) -> tuple[Template | None, list[Problem]]:
    problems: list[Problem] = []
    if document is None:
        document, problems = decode(path, shown)
        if document is None:
            return None, problems
    problems = check_resources(document, shown)
    if problems:
        return None, problems
    source_lines = resource_lines(document)
    try:
        body = transform(document, region, partition)
    except Exception as exc:
        return None, [_problem(shown, exc, source_lines)]
    lines: dict[str, int] = {}
    labels: dict[str, str] = {}
    by_length = sorted(source_lines, key=len, reverse=True)
    for logical in body.get("Resources", {}):
        if logical in source_lines:
            lines[logical] = source_lines[logical]
            continue
        origin = next((s for s in by_length if logical.startswith(s)), None)
        if origin is not None:
            lines[logical] = source_lines[origin]
            labels[logical] = f"{logical} (generated from SAM resource {origin})"
    return Template(shown, "sam", body, lines, labels), []


def _problem(shown: str, exc: Exception, lines: dict[str, int]) -> Problem:
    """The translator's first complaint, located at the resource it names where it names one."""
    causes = getattr(exc, "causes", None) or [exc]
    first = causes[0]
    message = " ".join(str(getattr(first, "message", first)).split())
    resource = getattr(first, "_logical_id", None) or getattr(first, "logical_id", None)
    line = lines.get(str(resource)) if resource else None
    if line is None:
        line = next((n for logical, n in lines.items() if f"[{logical}]" in message), None)
    return Problem(shown, line, f"SAM transform failed: {message}")
