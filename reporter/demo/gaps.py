"""Answers for the AWS operations moto 5.2.5 lacks, from the demo's seeded data (demo infrastructure).

Served here, in AWS's wire format (shapes from botocore's service-2.json models):
- lambda GetAccountSettings, ListProvisionedConcurrencyConfigs, GetProvisionedConcurrencyConfig,
  ListFunctionUrlConfigs (from moto's own URL configs);
- config GetComplianceDetailsByConfigRule (evaluations computed at seeding, paginated);
- ec2 DescribeRegions (only the demo regions are enabled; the others are "not-opted-in"; the
  demo's opt-in regions are "opted-in" only in the accounts that enabled them);
- sts AssumeRole refusals (denied or suspended accounts, roles that do not exist), which moto
  never refuses;
- SnapStart in lambda GetFunction/GetFunctionConfiguration/ListFunctions, which moto drops.
Everything else is moto's to answer.
"""

from __future__ import annotations

import base64
import functools
import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote
from xml.sax.saxutils import escape

import boto3

from reporter.demo import moto_state, wire
from reporter.demo.model import GapData
from reporter.demo.wire import Answer, Call

_PROVISIONED_PATH = re.compile(r"^/2019-09-30/functions/([^/]+)/provisioned-concurrency/?$")
_URLS_PATH = re.compile(r"^/2021-10-31/functions/([^/]+)/urls/?$")
_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):role/(?:.*/)?([^/]+)$")
_SNAPSTART_OPERATIONS = frozenset({"GetFunction", "GetFunctionConfiguration", "ListFunctions"})
# Lambda's documented account limits; only the concurrency numbers vary in the demo.
_CODE_LIMITS = {"TotalCodeSize": 80530636800, "CodeSizeUnzipped": 262144000, "CodeSizeZipped": 52428800}


class GapAnswers:
    def __init__(self, data: GapData, denied_accounts: frozenset[str]) -> None:
        self.data = data
        self.denied = data.denied_accounts | denied_accounts
        self._handlers: dict[tuple[str, str], Callable[[Call], Answer]] = {
            ("lambda", "GetAccountSettings"): self._account_settings,
            ("lambda", "ListProvisionedConcurrencyConfigs"): self._list_provisioned,
            ("lambda", "GetProvisionedConcurrencyConfig"): self._get_provisioned,
            ("lambda", "ListFunctionUrlConfigs"): self._list_urls,
            ("config", "GetComplianceDetailsByConfigRule"): self._compliance,
            ("ec2", "DescribeRegions"): self._regions,
        }

    def answer(self, call: Call) -> Answer | None:
        """The gap layer's own answer, or None to let moto answer."""
        if (call.service, call.operation) == ("sts", "AssumeRole"):
            return self._assume_role(call)
        handler = self._handlers.get((call.service, call.operation))
        return handler(call) if handler else None

    # --- sts --------------------------------------------------------------------------------
    def _assume_role(self, call: Call) -> Answer | None:
        role_arn = call.param("RoleArn") or ""
        found = _ROLE_ARN.match(role_arn)
        if found is None:
            return None
        target, role_name = found.groups()
        if (
            target in self.denied
            or target in self.data.closed_accounts
            or not moto_state.role_exists(target, role_name)
        ):
            message = (
                f"User: {call.access_key} of account {call.account_id} is not authorized to perform: "
                f"sts:AssumeRole on resource: {role_arn}"
            )
            return wire.error(call, 403, "AccessDenied", message)
        return None

    # --- lambda -----------------------------------------------------------------------------
    def _function(self, call: Call, pattern: re.Pattern[str]) -> tuple[Any, Answer | None]:
        found = pattern.match(call.path)
        name = unquote(found.group(1)) if found else ""
        fn = moto_state.lambda_function(call.account_id, call.region, name) if name else None
        if fn is None:
            arn = (
                name
                if name.startswith("arn:")
                else f"arn:aws:lambda:{call.region}:{call.account_id}:function:{name}"
            )
            return None, wire.error(call, 404, "ResourceNotFoundException", f"Function not found: {arn}")
        return fn, None

    def _account_settings(self, call: Call) -> Answer:
        functions = moto_state.lambda_functions(call.account_id, call.region)
        limit = self.data.concurrency_limit(call.account_id, call.region)
        reserved = sum(int(f.reserved_concurrency or 0) for f in functions)
        payload = {
            "AccountLimit": {
                **_CODE_LIMITS,
                "ConcurrentExecutions": limit,
                "UnreservedConcurrentExecutions": max(limit - reserved, 0),
            },
            "AccountUsage": {
                "TotalCodeSize": sum(int(f.code_size or 0) for f in functions),
                "FunctionCount": len(functions),
            },
        }
        return wire.json_answer(call, payload)

    def _provisioned_items(self, fn: Any, call: Call) -> list[dict[str, Any]]:
        configs = self.data.provisioned.get((call.account_id, call.region, fn.function_name), ())
        modified = self.data.evaluated_at.strftime("%Y-%m-%dT%H:%M:%S.000+0000")
        return [
            {
                "FunctionArn": f"{fn.function_arn}:{c.qualifier}",
                "RequestedProvisionedConcurrentExecutions": c.requested,
                "AvailableProvisionedConcurrentExecutions": c.allocated,
                "AllocatedProvisionedConcurrentExecutions": c.allocated,
                "Status": c.status,
                "LastModified": modified,
            }
            for c in configs
        ]

    def _list_provisioned(self, call: Call) -> Answer:
        fn, missing = self._function(call, _PROVISIONED_PATH)
        if missing:
            return missing
        return wire.json_answer(
            call, _page(call, self._provisioned_items(fn, call), "ProvisionedConcurrencyConfigs")
        )

    def _get_provisioned(self, call: Call) -> Answer:
        fn, missing = self._function(call, _PROVISIONED_PATH)
        if missing:
            return missing
        qualifier = (call.query.get("Qualifier") or [""])[0]
        for item in self._provisioned_items(fn, call):
            if item["FunctionArn"].rsplit(":", 1)[-1] == qualifier:
                del item["FunctionArn"]
                return wire.json_answer(call, item)
        message = f"No Provisioned Concurrency Config found for this function: {fn.function_arn}:{qualifier}"
        return wire.error(call, 404, "ProvisionedConcurrencyConfigNotFoundException", message)

    def _list_urls(self, call: Call) -> Answer:
        fn, missing = self._function(call, _URLS_PATH)
        if missing:
            return missing
        items = []
        if fn.url_config is not None:
            item = {k: v for k, v in fn.url_config.to_dict().items() if v is not None}
            items.append(item)
        return wire.json_answer(call, _page(call, items, "FunctionUrlConfigs"))

    def rewrite(self, call: Call, answer: Answer) -> Answer:
        """moto's answer, made AWS-like where moto differs (SnapStart, per-qualifier policies)."""
        if (call.service, call.operation) == ("lambda", "GetPolicy"):
            return self.policy_of_qualifier(call, answer)
        return self.rewrite_snap_start(call, answer)

    def policy_of_qualifier(self, call: Call, answer: Answer) -> Answer:
        """GetPolicy shows only the statements of the asked qualifier (none: the unqualified function).

        moto keeps one policy per function whatever ``Qualifier`` AddPermission was given (each
        statement's Resource still names it); AWS keeps a policy per version and alias, and
        GetPolicy without a Qualifier does not show an alias's (Lambda API reference,
        AddPermission and GetPolicy, parameter Qualifier).
        """
        if answer.status != 200:
            return answer
        asked: str | None = (call.query.get("Qualifier") or [""])[0] or None
        payload = json.loads(answer.body)
        document = json.loads(payload.get("Policy") or "{}")
        statements = document.get("Statement") or []
        if isinstance(statements, dict):
            statements = [statements]
        kept = [st for st in statements if _qualifier_of(str(st.get("Resource", ""))) == asked]
        if not kept:
            missing = "The resource you requested does not exist."
            return wire.error(call, 404, "ResourceNotFoundException", missing)
        document["Statement"] = kept
        payload["Policy"] = json.dumps(document)
        headers = [(k, v) for k, v in answer.headers if k.lower() != "content-length"]
        return Answer(answer.status, headers, json.dumps(payload).encode())

    def rewrite_snap_start(self, call: Call, answer: Answer) -> Answer:
        """Put back the SnapStart setting moto drops, on the functions seeded with it."""
        if call.service != "lambda" or call.operation not in _SNAPSTART_OPERATIONS or answer.status != 200:
            return answer
        payload = json.loads(answer.body)
        configs = payload.get("Functions") or [payload.get("Configuration", payload)]
        for config in configs:
            key = (call.account_id, call.region, config.get("FunctionName"))
            if key in self.data.snap_start and isinstance(config.get("SnapStart"), dict):
                # $LATEST reports the setting; optimization applies to published versions only.
                config["SnapStart"] = {"ApplyOn": "PublishedVersions", "OptimizationStatus": "Off"}
        body = json.dumps(payload).encode()
        headers = [(k, v) for k, v in answer.headers if k.lower() != "content-length"]
        return Answer(answer.status, headers, body)

    # --- config -----------------------------------------------------------------------------
    def _compliance(self, call: Call) -> Answer:
        rule = str(call.params.get("ConfigRuleName", ""))
        if not moto_state.config_rule_exists(call.account_id, call.region, rule):
            message = f"The ConfigRule '{rule}' provided in the request is invalid. Please check the name."
            return wire.error(call, 400, "NoSuchConfigRuleException", message)
        wanted = set(call.params.get("ComplianceTypes") or [])
        results = self.data.compliance.get((call.account_id, call.region, rule), ())
        when = self.data.evaluated_at.timestamp()
        items = [
            {
                "EvaluationResultIdentifier": {
                    "EvaluationResultQualifier": {
                        "ConfigRuleName": rule,
                        "ResourceType": r.resource_type,
                        "ResourceId": r.resource_id,
                        "EvaluationMode": "DETECTIVE",
                    },
                    "OrderingTimestamp": when,
                },
                "ComplianceType": r.compliance,
                "ResultRecordedTime": when,
                "ConfigRuleInvokedTime": when,
                **({"Annotation": r.annotation} if r.annotation else {}),
            }
            for r in results
            if not wanted or r.compliance in wanted
        ]
        limit = int(call.params.get("Limit") or 0) or 10
        if limit > 100:
            return wire.error(call, 400, "InvalidLimitException", "Limit must be between 0 and 100")
        start = _decode_token(call.params.get("NextToken"))
        payload: dict[str, Any] = {"EvaluationResults": items[start : start + limit]}
        if start + limit < len(items):
            payload["NextToken"] = _encode_token(start + limit)
        return wire.json_answer(call, payload)

    # --- ec2 --------------------------------------------------------------------------------
    def _regions(self, call: Call) -> Answer:
        everything = (call.param("AllRegions") or "").lower() == "true"
        asked = {v for k, v in call.params.items() if k.startswith("RegionName.")}
        filters = _filters(call.params)
        rows = []
        for name in _aws_regions():
            status = "opt-in-not-required" if name in self.data.regions else "not-opted-in"
            if name in self.data.opt_in_regions:
                # an opt-in region is enabled per account (the caller's account asking here)
                status = "opted-in" if (call.account_id, name) in self.data.opted_in else "not-opted-in"
            if not everything and not asked and status == "not-opted-in":
                continue
            if asked and name not in asked:
                continue
            if not all(
                _filter_match(values, {"region-name": name, "opt-in-status": status}.get(f))
                for f, values in filters.items()
            ):
                continue
            rows.append(
                f"<item><regionName>{escape(name)}</regionName><regionEndpoint>ec2.{escape(name)}.amazonaws.com"
                f"</regionEndpoint><optInStatus>{status}</optInStatus></item>"
            )
        xml = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<DescribeRegionsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">'
            f"<requestId>{wire.request_id()}</requestId><regionInfo>{''.join(rows)}</regionInfo>"
            "</DescribeRegionsResponse>"
        )
        return wire.xml_answer(xml)


@functools.cache
def _aws_regions() -> tuple[str, ...]:
    """The commercial partition's regions as botocore knows them (no China, no GovCloud)."""
    return tuple(boto3.session.Session().get_available_regions("ec2"))


def _page(call: Call, items: list[dict[str, Any]], key: str) -> dict[str, Any]:
    """Lambda's Marker/MaxItems pagination."""
    start = _decode_token((call.query.get("Marker") or [""])[0])
    size = int((call.query.get("MaxItems") or ["50"])[0])
    payload: dict[str, Any] = {key: items[start : start + size]}
    if start + size < len(items):
        payload["NextMarker"] = _encode_token(start + size)
    return payload


def _encode_token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"demo:{offset}".encode()).decode()


def _decode_token(token: Any) -> int:
    if not token:
        return 0
    try:
        return int(base64.urlsafe_b64decode(str(token).encode()).decode().split(":", 1)[1])
    except (ValueError, IndexError):
        return 0


def _filters(params: dict[str, Any]) -> dict[str, set[str]]:
    names = {k.split(".")[1]: v for k, v in params.items() if re.fullmatch(r"Filter\.\d+\.Name", k)}
    return {
        name: {v for k, v in params.items() if k.startswith(f"Filter.{n}.Value.")}
        for n, name in names.items()
    }


def _filter_match(values: set[str], actual: str | None) -> bool:
    return actual is not None and actual in values


def _qualifier_of(resource: str) -> str | None:
    """``arn:aws:lambda:r:a:function:name[:qualifier]`` → the qualifier, None when unqualified."""
    parts = resource.split(":")
    return parts[7] if len(parts) > 7 else None
