"""AWS Config (regional): recorders, rules, and the rules' verdicts on functions and roles.

Call plan: ``DescribeConfigurationRecorders`` + ``DescribeConfigurationRecorderStatus`` (joined
by recorder name), ``DescribeConfigRules`` (paginated), then ``GetComplianceDetailsByConfigRule``
(paginated, at AWS's maximum page size of 100 instead of its default 10) keeping Lambda functions
and IAM roles, and only for the rules whose scope can include them: a rule scoped to other
resource types (most of what Security Hub and Control Tower deploy) cannot evaluate a function or
a role, and reading its evaluations would cost calls at Config's low request rate for nothing.

The compliance reads are evidence imported from AWS (LG-CFG-04), not the recorder/rule facts
the other rules judge, so their failure is an Issue for ``config_compliance`` alone. The first
failure stops them: the table is then unread for the whole unit, and further calls (which in
moto's server mode are retried HTTP 500s) would only add cost. Partial compliance rows are
dropped with it, so no table is ever half-filled.
"""

from __future__ import annotations

from typing import Any

from reporter.aws import quotas
from reporter.collectors.base import Collector, CollectResult, UnitContext
from reporter.collectors.common import CALL_ERRORS, issue_for, items, pages

COMPLIANCE_RESOURCE_TYPES = frozenset({"AWS::Lambda::Function", "AWS::IAM::Role"})
# INSUFFICIENT_DATA is returned by AWS but refused as a filter value (API reference)
_COMPLIANCE_TYPES = ["COMPLIANT", "NON_COMPLIANT", "NOT_APPLICABLE"]
_PAGE = quotas.page_size("config", "GetComplianceDetailsByConfigRule")
COMPLIANCE_PAGE = _PAGE.max if _PAGE else 100


def can_judge_functions_or_roles(rule: dict[str, Any]) -> bool:
    """Whether the rule's scope can include a Lambda function or an IAM role (no type list: any)."""
    types = (rule.get("Scope") or {}).get("ComplianceResourceTypes") or []
    return not types or bool(COMPLIANCE_RESOURCE_TYPES & set(types))


def collect(ctx: UnitContext) -> CollectResult:
    client = ctx.client("config")
    result = CollectResult()
    statuses = {
        s["name"]: s
        for page in pages(client, "describe_configuration_recorder_status")
        for s in page.get("ConfigurationRecordersStatus") or []
    }
    for page in pages(client, "describe_configuration_recorders"):
        for recorder in page.get("ConfigurationRecorders") or []:
            result.add(
                "config_recorders", _recorder_record(ctx, recorder, statuses.get(recorder["name"], {}))
            )
    rules = list(items(client, "describe_config_rules", "ConfigRules"))
    for rule in rules:
        result.add("config_rules", _rule_record(ctx, rule))
    _collect_compliance(client, ctx, rules, result)
    return result


def _recorder_record(ctx: UnitContext, recorder: dict[str, Any], status: dict[str, Any]) -> dict[str, Any]:
    group = recorder.get("recordingGroup") or {}
    return {
        "account_id": ctx.account_id,
        "region": ctx.region,
        "recorder_name": recorder["name"],
        # a recorder without a status entry has never been started
        "recording": bool(status.get("recording", False)),
        "all_supported": group.get("allSupported"),
        "include_global": group.get("includeGlobalResourceTypes"),
        "resource_types": list(group.get("resourceTypes") or []),
        # ALL_SUPPORTED_RESOURCE_TYPES | INCLUSION_BY_RESOURCE_TYPES | EXCLUSION_BY_RESOURCE_TYPES, or null
        "recording_strategy": (group.get("recordingStrategy") or {}).get("useOnly"),
        "excluded_types": list((group.get("exclusionByResourceTypes") or {}).get("resourceTypes") or []),
        "last_status": status.get("lastStatus"),
    }


def _rule_record(ctx: UnitContext, rule: dict[str, Any]) -> dict[str, Any]:
    source = rule.get("Source") or {}
    scope = rule.get("Scope") or {}
    return {
        "account_id": ctx.account_id,
        "region": ctx.region,
        "rule_name": rule["ConfigRuleName"],
        "rule_arn": rule.get("ConfigRuleArn"),
        "source_owner": source.get("Owner"),
        "source_identifier": source.get("SourceIdentifier"),
        "input_parameters": rule.get("InputParameters"),
        "scope_resource_types": list(scope.get("ComplianceResourceTypes") or []),
        "scope_tag_key": scope.get("TagKey"),
        "scope_tag_value": scope.get("TagValue"),
        "state": rule.get("ConfigRuleState"),
    }


def _collect_compliance(
    client: Any, ctx: UnitContext, rules: list[dict[str, Any]], result: CollectResult
) -> None:
    rows: list[dict[str, Any]] = []
    for rule in filter(can_judge_functions_or_roles, rules):
        name = rule["ConfigRuleName"]
        try:
            evaluations = list(
                items(
                    client,
                    "get_compliance_details_by_config_rule",
                    "EvaluationResults",
                    ConfigRuleName=name,
                    ComplianceTypes=_COMPLIANCE_TYPES,
                    Limit=COMPLIANCE_PAGE,
                )
            )
        except CALL_ERRORS as exc:
            result.issues.append(issue_for(exc, ("config_compliance",), context=f"rule {name}"))
            return
        for evaluation in evaluations:
            qualifier = (evaluation.get("EvaluationResultIdentifier") or {}).get(
                "EvaluationResultQualifier"
            ) or {}
            if qualifier.get("ResourceType") not in COMPLIANCE_RESOURCE_TYPES:
                continue
            rows.append(
                {
                    "account_id": ctx.account_id,
                    "region": ctx.region,
                    "rule_name": name,
                    "resource_type": qualifier.get("ResourceType"),
                    "resource_id": qualifier.get("ResourceId"),
                    "compliance": evaluation.get("ComplianceType"),
                    "annotation": evaluation.get("Annotation"),
                }
            )
    for row in rows:
        result.add("config_compliance", row)


COLLECTOR = Collector(
    name="config",
    scope="regional",
    tables=("config_recorders", "config_rules", "config_compliance"),
    actions=(
        "config:DescribeConfigurationRecorders",
        "config:DescribeConfigurationRecorderStatus",
        "config:DescribeConfigRules",
        "config:GetComplianceDetailsByConfigRule",
    ),
    size_rank=1,  # one call per rule
    collect=collect,
)
