"""IAM (global, one unit per account): roles and the policy documents they use.

Call plan: ``GetAccountAuthorizationDetails`` (paginated; roles, customer- and AWS-managed
policies with all their versions). Managed policies that a role attaches or uses as its
permissions boundary but that the answer does not include (AWS lists only some AWS-managed
policies) are fetched one by one with ``GetPolicy`` + ``GetPolicyVersion``; a failure there is an
Issue for that policy's document only.

Only managed policies some role references are recorded: the rules judge execution roles, and
an organization holds thousands of unattached or user-only policies nobody asked about.
Documents are stored as canonical JSON; one that cannot be decoded is kept as the raw string
AWS sent, for the IAM analyser to report (it never stops the collection).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any
from urllib.parse import unquote

from reporter.collectors.base import Collector, CollectResult, UnitContext
from reporter.collectors.common import CALL_ERRORS, canonical_json, issue_for, pages

_FILTER = ["Role", "LocalManagedPolicy", "AWSManagedPolicy"]


def collect(ctx: UnitContext) -> CollectResult:
    client = ctx.client("iam")
    result = CollectResult()
    roles: list[dict[str, Any]] = []
    managed: dict[str, dict[str, Any]] = {}
    for page in pages(client, "get_account_authorization_details", Filter=_FILTER):
        roles.extend(page.get("RoleDetailList") or [])
        managed.update((p["Arn"], p) for p in page.get("Policies") or [])
    referenced: set[str] = set()
    for role in roles:
        result.add("roles", _role_record(ctx, role))
        for inline in role.get("RolePolicyList") or []:
            result.add("policy_documents", _inline_record(ctx, role["Arn"], inline))
        referenced.update(p["PolicyArn"] for p in role.get("AttachedManagedPolicies") or [])
        boundary = (role.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")
        if boundary:
            referenced.add(boundary)
    for arn in sorted(referenced):
        version = _default_version(managed[arn]) if arn in managed else None
        if version is not None:
            name = managed[arn].get("PolicyName") or policy_name_from_arn(arn)
            result.add("policy_documents", _managed_record(ctx, arn, name, *version))
        else:
            _fetch_managed(client, ctx, arn, result)
    return result


def _role_record(ctx: UnitContext, role: dict[str, Any]) -> dict[str, Any]:
    created = role.get("CreateDate")
    return {
        "account_id": ctx.account_id,
        "role_arn": role["Arn"],
        "role_name": role.get("RoleName"),
        "path": role.get("Path"),
        "trust_policy": document_text(role.get("AssumeRolePolicyDocument")),
        "permissions_boundary_arn": (role.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn"),
        "attached_policy_arns": [p["PolicyArn"] for p in role.get("AttachedManagedPolicies") or []],
        "inline_policy_names": [p["PolicyName"] for p in role.get("RolePolicyList") or []],
        "create_date": created.astimezone(dt.UTC) if isinstance(created, dt.datetime) else None,
        "role_id": role.get("RoleId"),
    }


def _inline_record(ctx: UnitContext, role_arn: str, inline: dict[str, Any]) -> dict[str, Any]:
    document = document_text(inline.get("PolicyDocument"))
    return {
        "account_id": ctx.account_id,
        "policy_key": f"{role_arn}#inline/{inline['PolicyName']}",
        "policy_arn": None,
        "policy_name": inline["PolicyName"],
        "kind": "inline",
        "role_arn": role_arn,
        "version_id": None,
        "document": document,
        "document_sha256": _sha256(document),
    }


def _managed_record(ctx: UnitContext, arn: str, name: str, version_id: str, raw: Any) -> dict[str, Any]:
    document = document_text(raw)
    return {
        "account_id": ctx.account_id,
        "policy_key": arn,
        "policy_arn": arn,
        "policy_name": name,
        "kind": "aws_managed" if arn.split(":")[4:5] == ["aws"] else "customer_managed",
        "role_arn": None,
        "version_id": version_id,
        "document": document,
        "document_sha256": _sha256(document),
    }


def _default_version(policy: dict[str, Any]) -> tuple[str, Any] | None:
    """(version id, document) of the default version listed in a Policies entry."""
    default_id = policy.get("DefaultVersionId")
    for version in policy.get("PolicyVersionList") or []:
        if "Document" in version and (
            version.get("IsDefaultVersion") or version.get("VersionId") == default_id
        ):
            return str(version.get("VersionId")), version["Document"]
    return None


def _fetch_managed(client: Any, ctx: UnitContext, arn: str, result: CollectResult) -> None:
    try:
        policy = client.get_policy(PolicyArn=arn)["Policy"]
        version_id = policy["DefaultVersionId"]
        version = client.get_policy_version(PolicyArn=arn, VersionId=version_id)["PolicyVersion"]
    except CALL_ERRORS as exc:
        result.issues.append(issue_for(exc, ("policy_documents",), arn))
        return
    name = policy.get("PolicyName") or policy_name_from_arn(arn)
    result.add("policy_documents", _managed_record(ctx, arn, name, version_id, version.get("Document")))


def document_text(document: Any) -> str | None:
    """Canonical JSON of a policy document given as a dict, a JSON string or a URL-encoded string.

    boto3 URL-decodes and parses IAM documents itself, but leaves the string when that fails;
    other transports may hand over the encoded text. Undecodable text is returned unchanged.
    """
    if document is None:
        return None
    if not isinstance(document, str):
        return canonical_json(document)
    for candidate in (document, unquote(document)):
        try:
            return canonical_json(json.loads(candidate))
        except ValueError:
            continue
    return document


def policy_name_from_arn(arn: str) -> str:
    """``arn:aws:iam::123:policy/path/Name`` → ``Name`` (moto omits PolicyName in Policies)."""
    return arn.rsplit("/", 1)[-1]


def _sha256(document: str | None) -> str | None:
    return hashlib.sha256(document.encode("utf-8")).hexdigest() if document is not None else None


COLLECTOR = Collector(
    name="iam",
    scope="global",
    tables=("roles", "policy_documents"),
    actions=("iam:GetAccountAuthorizationDetails", "iam:GetPolicy", "iam:GetPolicyVersion"),
    size_rank=2,  # a few pages
    collect=collect,
)
