"""Lambda: functions, their resource policies, URLs, provisioned concurrency, account concurrency.

Call plan per (account, region) — the demo layer and the crawl benchmark rely on it:

- ``ListFunctions`` with ``FunctionVersion=ALL`` (paginated), read to the end before anything
  else: a listing that fails on any page raises, so a partial list is never presented as the
  region's functions. Its ``$LATEST`` entries are the functions; its other entries are their
  published versions, so ``ListVersionsByFunction`` is never needed;
- per function, four calls: ``GetFunction`` (configuration, tags, reserved concurrency),
  ``GetPolicy``, ``ListAliases``, ``ListFunctionUrlConfigs``; then, only for a function with a
  published version or an alias, ``GetPolicy`` with ``Qualifier`` for each of them (see
  :func:`_collect_qualified_policies`), and ``ListProvisionedConcurrencyConfigs`` only for a
  function with a published version: provisioned concurrency lives on published versions and on
  aliases (which may not point to ``$LATEST`` for it), never on ``$LATEST``, so a function
  without one has none. The control-plane quota (15/s, shared by ListAliases and
  ListFunctionUrlConfigs) is what bounds a large region; the listing's versions spare it two
  calls per function, for one listing page per 50 versions;
- once: ``GetAccountSettings``.

A failing per-function call becomes an :class:`Issue` for the one table it feeds and that
function; its other rows are kept. The function row itself is kept even when ``GetFunction``
fails (the listing already gave its configuration) so the rules on other tables still find it;
the Issue makes every ``functions`` verdict for it an error rather than a pass. Its reserved
concurrency is then unknown, so ``reserved_total`` is null rather than an undercount. A function
that GetFunction no longer finds was deleted since the listing and is left out.

Errors AWS embeds in a successful GetFunction are Issues too: ``TagsError`` (tags are returned
only to callers allowed ``lambda:ListTags``, hence that declared action) and
``Environment.Error`` (variables withheld, e.g. without kms:Decrypt on the function's key).

Environment-variable values are read only to judge :func:`reporter.secrets.secret_like`; only
names are recorded, and no value reaches a record, an Issue or a log. That verdict is the one
judgement made here (it needs the values); whether a policy statement is public is judged from the
stored statement when the rules run (``function_policies.is_public``, reporter/rules/derive.py).

A region's functions are read in chunks of :data:`CHUNK` listed functions, and a region is
resumable (collectors/chunks.py): the listing and each completed chunk are kept in the unit's
:class:`UnitProgress`, so a retry (a per-function read that spent its retries, a unit attempt
that failed) re-reads only the chunks that are missing or met a transient failure, and a unit
the crawler gives up on (timeout) still delivers its completed chunks (:func:`salvage`): every
other listed function is an Issue of its own, so its verdicts are errors, never passes, and
nothing is counted twice. The listed count is announced (``progress.expected``) so the crawler
scales the unit's timeout by it.
Chunks are read by a few threads (:data:`FUNCTION_THREADS` at most): each function's calls draw
on three different API quotas, so threads interleave them and no single quota idles the
others. Rows are merged in listing order either way, and the call plan stays the same.
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple

from reporter.aws import quotas
from reporter.collectors import chunks
from reporter.collectors.base import Collector, CollectResult, Issue, Salvage, UnitContext, UnitProgress
from reporter.collectors.common import CALL_ERRORS, aws_code, canonical_json, issue_for, items
from reporter.secrets import secret_like

_NOT_FOUND = "ResourceNotFoundException"
LATEST = "$LATEST"
FUNCTION_THREADS = 8
CHUNK = 10
"""Listed functions per chunk: the unit of resumption."""
FUNCTION_TABLES = ("functions", "function_policies", "function_urls", "provisioned_concurrency")
_SLOWEST = quotas.quota_for("lambda", "ListFunctionUrlConfigs")
SECONDS_PER_FUNCTION = 3 * 2 / (_SLOWEST.rate if _SLOWEST else 15.0)
"""Timeout budget per listed function: two of its reads share the 15/s control-plane quota; x3 slack."""


class _Reserved(NamedTuple):
    known: bool
    """False when GetFunction failed: the function's reserved concurrency is unknown."""
    value: int | None


def collect(ctx: UnitContext) -> CollectResult:
    client = ctx.client("lambda")
    progress = ctx.progress
    listed: list[dict[str, Any]] | None = progress.get("listed")
    if listed is None:
        every = list(items(client, "list_functions", "Functions", FunctionVersion="ALL"))
        listed = [f for f in every if f.get("Version", LATEST) == LATEST]
        versions: dict[str, list[str]] = {}
        for entry in every:
            if entry.get("Version", LATEST) != LATEST:
                versions.setdefault(entry["FunctionName"], []).append(str(entry["Version"]))
        progress.keep("published", versions)
        progress.keep("listed", listed)
        progress.expected = len(listed)
        progress.salvage = lambda: salvage(progress)
    published: dict[str, list[str]] = progress.get("published", {})

    def read_one(config: dict[str, Any], part: CollectResult) -> _Reserved | None:
        return _collect_function(client, ctx, config, part, published)

    result = CollectResult()
    reserved_total: int | None = 0
    for chunk in chunks.read_chunks(progress, listed, CHUNK, FUNCTION_THREADS, read_one):
        chunks.merge(result, chunk.result)
        for reserved in chunk.values:
            if reserved is None:
                continue
            if not reserved.known:
                reserved_total = None
            elif reserved.value is not None and reserved_total is not None:
                reserved_total += reserved.value
    _collect_account_concurrency(client, ctx, reserved_total, result)
    return result


def salvage(progress: UnitProgress) -> Salvage | None:
    """The completed chunks of a unit given up on; every other listed function becomes an Issue."""
    return chunks.salvage(
        progress, CHUNK, _listed_arn, FUNCTION_TABLES, ("account_concurrency",), "functions"
    )


def _listed_arn(config: dict[str, Any]) -> str:
    return unqualified_arn(config["FunctionArn"])


def _collect_function(
    client: Any,
    ctx: UnitContext,
    listed: dict[str, Any],
    result: CollectResult,
    published: dict[str, list[str]],
) -> _Reserved | None:
    """All rows of one function; None when it was deleted since the listing."""
    name = listed["FunctionName"]
    arn = unqualified_arn(listed["FunctionArn"])
    try:
        got: dict[str, Any] = client.get_function(FunctionName=name)
    except CALL_ERRORS as exc:
        if aws_code(exc) == _NOT_FOUND:
            return None
        result.issues.append(issue_for(exc, ("functions",), arn))
        got = {}
    reserved = _Reserved(False, None)
    tags: dict[str, str] | None = None
    if got:
        reserved = _Reserved(True, (got.get("Concurrency") or {}).get("ReservedConcurrentExecutions"))
        tags = got.get("Tags") or {}
        if got.get("TagsError"):
            # GetFunction returns tags only to callers allowed lambda:ListTags
            tags = None
            result.issues.append(_embedded_issue(got["TagsError"], "TagsError", arn))
    config = got.get("Configuration") or listed
    env_error = (config.get("Environment") or {}).get("Error")
    if env_error:
        # variables withheld (e.g. no kms:Decrypt on the function's key): their names are unknown
        result.issues.append(_embedded_issue(env_error, "EnvironmentError", arn))
    result.add("functions", _function_record(ctx, arn, config, reserved.value, tags))
    _collect_policy(client, ctx, name, arn, result)
    _collect_qualified_policies(client, ctx, name, arn, result, published.get(name, []))
    _collect_urls(client, ctx, name, arn, result)
    if name in published:
        _collect_provisioned(client, ctx, name, arn, result)
    return reserved


def _embedded_issue(error: dict[str, Any], default_code: str, arn: str) -> Issue:
    """An Issue for an error AWS reports inside a successful response (TagsError, Environment.Error)."""
    code = str(error.get("ErrorCode") or default_code)
    return Issue(("functions",), code, str(error.get("Message") or code)[:500], arn)


def _function_record(
    ctx: UnitContext,
    arn: str,
    config: dict[str, Any],
    reserved: int | None,
    tags: dict[str, str] | None,
) -> dict[str, Any]:
    vpc = config.get("VpcConfig") or {}
    subnets = list(vpc.get("SubnetIds") or [])
    environment = config.get("Environment") or {}
    variables: dict[str, str] = environment.get("Variables") or {}
    # withheld variables (Environment.Error, reported as an Issue) have unknown names: null, not []
    withheld = bool(environment.get("Error"))
    return {
        "account_id": ctx.account_id,
        "region": ctx.region,
        "function_arn": arn,
        "name": config.get("FunctionName"),
        "runtime": config.get("Runtime"),
        "package_type": config.get("PackageType"),
        "architectures": list(config.get("Architectures") or []),
        "memory_mb": config.get("MemorySize"),
        "timeout_s": config.get("Timeout"),
        "code_size": config.get("CodeSize"),
        "last_modified": config.get("LastModified"),
        "role_arn": config.get("Role"),
        # an empty subnet list means "not in a VPC" whatever VpcId says (moto always says vpc-123abc)
        "vpc_id": (vpc.get("VpcId") or None) if subnets else None,
        "subnet_ids": subnets,
        "security_group_ids": list(vpc.get("SecurityGroupIds") or []) if subnets else [],
        "layers": [layer["Arn"] for layer in config.get("Layers") or []],
        "env_var_names": None if withheld else sorted(variables),
        # values are looked at here for the judgement only, and go no further
        "secret_env_var_names": None
        if withheld
        else sorted(n for n, v in variables.items() if secret_like(n, v)),
        "kms_key_arn": config.get("KMSKeyArn"),
        "tracing_mode": (config.get("TracingConfig") or {}).get("Mode"),
        "dead_letter_target": (config.get("DeadLetterConfig") or {}).get("TargetArn"),
        "reserved_concurrency": reserved,
        "snap_start": (config.get("SnapStart") or {}).get("ApplyOn"),
        "tags": tags,
    }


def _collect_qualified_policies(
    client: Any, ctx: UnitContext, name: str, arn: str, result: CollectResult, versions: list[str]
) -> None:
    """The resource policies of the function's published versions (from the listing) and aliases.

    A permission added with a Qualifier lives on that version or alias only: GetPolicy without a
    Qualifier does not show it (Lambda API reference, AddPermission/GetPolicy ``Qualifier``), yet
    it opens that version or alias to whoever it names. Only a listing that failed makes the
    function's policies unknown; most functions have neither versions nor aliases (one call).
    """
    try:
        aliases = [str(a["Name"]) for a in items(client, "list_aliases", "Aliases", FunctionName=name)]
    except CALL_ERRORS as exc:
        result.issues.append(issue_for(exc, ("function_policies",), arn, context="versions and aliases"))
        return
    for q in (*sorted(versions, key=_version_order), *aliases):
        _collect_policy(client, ctx, name, arn, result, q)


def _version_order(version: str) -> tuple[int, str]:
    return (int(version), "") if version.isdigit() else (0, version)


def _collect_policy(
    client: Any, ctx: UnitContext, name: str, arn: str, result: CollectResult, qualifier: str | None = None
) -> None:
    try:
        asked = {"Qualifier": qualifier} if qualifier else {}
        raw = client.get_policy(FunctionName=name, **asked)["Policy"]
    except CALL_ERRORS as exc:
        if aws_code(exc) != _NOT_FOUND:  # not found = the function has no resource policy
            result.issues.append(issue_for(exc, ("function_policies",), arn))
        return
    try:
        statements = json.loads(raw).get("Statement") or []
    except (ValueError, AttributeError):
        result.issues.append(
            Issue(("function_policies",), "InvalidPolicy", "policy is not a JSON object", arn)
        )
        return
    if isinstance(statements, dict):
        statements = [statements]
    for statement in statements:
        if not isinstance(statement, dict):
            result.issues.append(
                Issue(("function_policies",), "InvalidPolicy", "statement is not an object", arn)
            )
            continue
        result.add("function_policies", {**_statement_record(ctx, arn, statement), "qualifier": qualifier})


def _statement_record(ctx: UnitContext, arn: str, statement: dict[str, Any]) -> dict[str, Any]:
    principal = (
        statement["Principal"]
        if "Principal" in statement
        else {"NotPrincipal": statement.get("NotPrincipal")}
    )
    action = statement["Action"] if "Action" in statement else {"NotAction": statement.get("NotAction")}
    condition = statement.get("Condition")
    return {
        "account_id": ctx.account_id,
        "region": ctx.region,
        "function_arn": arn,
        "sid": statement.get("Sid"),
        "effect": statement.get("Effect"),
        "principal": canonical_json(principal),
        "action": canonical_json(action),
        "condition": canonical_json(condition) if condition is not None else None,
        "statement": canonical_json(statement),
    }


def _collect_urls(client: Any, ctx: UnitContext, name: str, arn: str, result: CollectResult) -> None:
    try:
        configs = list(items(client, "list_function_url_configs", "FunctionUrlConfigs", FunctionName=name))
    except CALL_ERRORS as exc:
        result.issues.append(issue_for(exc, ("function_urls",), arn))
        return
    for url in configs:
        result.add(
            "function_urls",
            {
                "account_id": ctx.account_id,
                "region": ctx.region,
                "function_arn": arn,
                "qualifier": qualifier(url.get("FunctionArn", arn)),
                "url": url.get("FunctionUrl"),
                "auth_type": url.get("AuthType"),
                "cors_allow_origins": list((url.get("Cors") or {}).get("AllowOrigins") or []),
            },
        )


def _collect_provisioned(client: Any, ctx: UnitContext, name: str, arn: str, result: CollectResult) -> None:
    try:
        configs = list(
            items(
                client,
                "list_provisioned_concurrency_configs",
                "ProvisionedConcurrencyConfigs",
                FunctionName=name,
            )
        )
    except CALL_ERRORS as exc:
        result.issues.append(issue_for(exc, ("provisioned_concurrency",), arn))
        return
    for pc in configs:
        result.add(
            "provisioned_concurrency",
            {
                "account_id": ctx.account_id,
                "region": ctx.region,
                "function_arn": arn,
                "qualifier": qualifier(pc.get("FunctionArn", arn)),
                "requested": pc.get("RequestedProvisionedConcurrentExecutions"),
                "allocated": pc.get("AllocatedProvisionedConcurrentExecutions"),
                "status": pc.get("Status"),
            },
        )


def _collect_account_concurrency(
    client: Any, ctx: UnitContext, reserved_total: int | None, result: CollectResult
) -> None:
    try:
        limits = client.get_account_settings().get("AccountLimit") or {}
    except CALL_ERRORS as exc:
        result.issues.append(issue_for(exc, ("account_concurrency",)))
        return
    result.add(
        "account_concurrency",
        {
            "account_id": ctx.account_id,
            "region": ctx.region,
            "concurrency_limit": limits.get("ConcurrentExecutions"),
            "unreserved_concurrency": limits.get("UnreservedConcurrentExecutions"),
            # null when a GetFunction failed: the sum would silently undercount
            "reserved_total": reserved_total,
        },
    )


def unqualified_arn(arn: str) -> str:
    """``arn:…:function:name[:qualifier]`` → ``arn:…:function:name``."""
    return ":".join(arn.split(":")[:7])


def qualifier(arn: str) -> str | None:
    """The version or alias of a qualified function ARN, None when unqualified."""
    parts = arn.split(":")
    return parts[7] if len(parts) > 7 else None


COLLECTOR = Collector(
    name="lambda",
    scope="regional",
    tables=(
        "functions",
        "function_policies",
        "function_urls",
        "provisioned_concurrency",
        "account_concurrency",
    ),
    actions=(
        "lambda:ListFunctions",
        "lambda:GetFunction",
        # not an operation we call: GetFunction returns Tags only to callers allowed lambda:ListTags
        "lambda:ListTags",
        "lambda:GetPolicy",
        "lambda:ListAliases",
        "lambda:ListFunctionUrlConfigs",
        "lambda:ListProvisionedConcurrencyConfigs",
        "lambda:GetAccountSettings",
    ),
    size_rank=0,  # four calls per function
    collect=collect,
    seconds_per_item=SECONDS_PER_FUNCTION,
)
