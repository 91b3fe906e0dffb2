"""Lambda: functions, their resource policies, URLs, provisioned concurrency, account concurrency.

Call plan per (account, region) — the demo layer and the crawl benchmark rely on it:

- ``ListFunctions`` (paginated, ``$LATEST`` only), read to the end before anything else: a listing
  that fails on any page raises, so a partial list is never presented as the region's functions;
- per function, six calls: ``GetFunction`` (configuration, tags, reserved concurrency),
  ``GetPolicy``, ``ListAliases``, ``ListVersionsByFunction``, ``ListFunctionUrlConfigs``,
  ``ListProvisionedConcurrencyConfigs``; then ``GetPolicy`` with ``Qualifier`` for each published
  version and alias (see :func:`_collect_qualified_policies`);
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

A region's functions are the longest chain of calls in a crawl (six or more per function, one
after another). A region with many of them is read by a few threads (:data:`FUNCTION_THREADS` at most,
one per :data:`FUNCTIONS_PER_THREAD` functions), so one big account-region does not hold up
the end of the run; small regions keep the plain sequential order. Rows are merged in listing
order either way, and the call plan stays the same.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any, NamedTuple

from reporter.collectors.base import Collector, CollectResult, Issue, UnitContext
from reporter.collectors.common import CALL_ERRORS, aws_code, canonical_json, issue_for, items
from reporter.secrets import secret_like

_NOT_FOUND = "ResourceNotFoundException"
FUNCTION_THREADS = 4
FUNCTIONS_PER_THREAD = 40


class _Reserved(NamedTuple):
    known: bool
    """False when GetFunction failed: the function's reserved concurrency is unknown."""
    value: int | None


def collect(ctx: UnitContext) -> CollectResult:
    client = ctx.client("lambda")
    result = CollectResult()
    listed = list(items(client, "list_functions", "Functions"))
    reserved_total: int | None = 0
    for part, reserved in _read_functions(client, ctx, listed):
        for table, rows in part.records.items():
            result.records.setdefault(table, []).extend(rows)
        result.issues.extend(part.issues)
        if reserved is None:
            continue
        if not reserved.known:
            reserved_total = None
        elif reserved.value is not None and reserved_total is not None:
            reserved_total += reserved.value
    _collect_account_concurrency(client, ctx, reserved_total, result)
    return result


def _read_functions(
    client: Any, ctx: UnitContext, listed: list[dict[str, Any]]
) -> list[tuple[CollectResult, _Reserved | None]]:
    """Every listed function's rows and reserved concurrency, in listing order."""

    def one(config: dict[str, Any]) -> tuple[CollectResult, _Reserved | None]:
        part = CollectResult()
        return part, _collect_function(client, ctx, config, part)

    threads = min(FUNCTION_THREADS, len(listed) // FUNCTIONS_PER_THREAD)
    if threads < 2:
        return [one(config) for config in listed]
    # boto3 clients are thread-safe; an exception in any function fails the unit, as sequentially
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="lambda-functions") as pool:
        return list(pool.map(one, listed))


def _collect_function(
    client: Any, ctx: UnitContext, listed: dict[str, Any], result: CollectResult
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
    _collect_qualified_policies(client, ctx, name, arn, result)
    _collect_urls(client, ctx, name, arn, result)
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
    client: Any, ctx: UnitContext, name: str, arn: str, result: CollectResult
) -> None:
    """The resource policies of the function's published versions and aliases.

    A permission added with a Qualifier lives on that version or alias only: GetPolicy without a
    Qualifier does not show it (Lambda API reference, AddPermission/GetPolicy ``Qualifier``), yet
    it opens that version or alias to whoever it names. Only a listing that failed makes the
    function's policies unknown; most functions have neither versions nor aliases (two calls).
    """
    try:
        aliases = [str(a["Name"]) for a in items(client, "list_aliases", "Aliases", FunctionName=name)]
        versions = [
            str(v["Version"])
            for v in items(client, "list_versions_by_function", "Versions", FunctionName=name)
            if v.get("Version") not in (None, "$LATEST")
        ]
    except CALL_ERRORS as exc:
        result.issues.append(issue_for(exc, ("function_policies",), arn, context="versions and aliases"))
        return
    for q in (*versions, *aliases):
        _collect_policy(client, ctx, name, arn, result, q)


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
        "lambda:ListVersionsByFunction",
        "lambda:ListFunctionUrlConfigs",
        "lambda:ListProvisionedConcurrencyConfigs",
        "lambda:GetAccountSettings",
    ),
    size_rank=0,  # four calls per function
    collect=collect,
)
