"""AWS Config (regional): recorders and rules, the deployment LG-CFG-01..03 judge.

Call plan: ``DescribeConfigurationRecorders`` + ``DescribeConfigurationRecorderStatus`` (joined
by recorder name) and ``DescribeConfigRules`` (paginated, 25 rules a page). The rules' verdicts
on functions and roles are another unit (config_compliance.py): reading them costs a call per
rule at Config's low request rate, and their timeout or throttling must not cost these tables.
"""

from __future__ import annotations

from typing import Any

from reporter.collectors.base import Collector, CollectResult, UnitContext
from reporter.collectors.common import items, pages


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
    for rule in items(client, "describe_config_rules", "ConfigRules"):
        result.add("config_rules", _rule_record(ctx, rule))
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


COLLECTOR = Collector(
    name="config",
    scope="regional",
    tables=("config_recorders", "config_rules"),
    actions=(
        "config:DescribeConfigurationRecorders",
        "config:DescribeConfigurationRecorderStatus",
        "config:DescribeConfigRules",
    ),
    size_rank=2,  # a few calls
    collect=collect,
)
