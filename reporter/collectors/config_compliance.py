"""AWS Config (regional): the NON_COMPLIANT verdicts of the deployed rules on functions and roles.

Call plan: ``DescribeConfigRules`` (paginated, 25 rules a page), then
``GetComplianceDetailsByConfigRule`` with ``ComplianceTypes=["NON_COMPLIANT"]`` at AWS's maximum
page size of 100 (default 10), keeping Lambda functions and IAM roles, and only for the rules
whose scope can include them: a rule scoped to other resource types (most of what Security Hub
and Control Tower deploy) cannot evaluate a function or a role, and reading its evaluations would
cost calls at Config's low request rate for nothing.

Only failures are read: LG-CFG-04's pass side is every function and execution role that a
deployed rule can evaluate and that no rule reports NON_COMPLIANT, judged from the inventory, so
the COMPLIANT evaluations (most of them, in a governed organization) cost no page.

The rule list is read again here rather than shared with the ``config`` unit: units are
independent (one may fail, time out or be retried alone), and the listing is one call per 25
rules against one call or more per rule for the details. This is its own unit so that a
throttled or timed-out compliance read leaves the recorders and rules (LG-CFG-01..03) read: any
failure fails the unit, its coverage row makes LG-CFG-04 ``error`` where it ran, and no table is
ever half-filled. Where a Config aggregator covers the account-region, the crawler reads the
same rows from it instead and does not run this unit (reporter/aws/aggregator.py).
"""

from __future__ import annotations

from typing import Any

from reporter.aws import quotas
from reporter.collectors.base import Collector, CollectResult, UnitContext
from reporter.collectors.common import items

COMPLIANCE_RESOURCE_TYPES = frozenset({"AWS::Lambda::Function", "AWS::IAM::Role"})
NON_COMPLIANT = ["NON_COMPLIANT"]
_PAGE = quotas.page_size("config", "GetComplianceDetailsByConfigRule")
COMPLIANCE_PAGE = _PAGE.max if _PAGE else 100

AGGREGATOR_ACTIONS = (
    "config:DescribeConfigurationAggregators",
    "config:DescribeConfigurationAggregatorSourcesStatus",
    "config:DescribeAggregateComplianceByConfigRules",
    "config:GetAggregateComplianceDetailsByConfigRule",
)
"""Called in the caller's own account (starting credentials) when it holds an organization
aggregator: declared here so that --print-policy lists them."""


def can_judge_functions_or_roles(rule: dict[str, Any]) -> bool:
    """Whether the rule's scope can include a Lambda function or an IAM role (no type list: any)."""
    types = (rule.get("Scope") or {}).get("ComplianceResourceTypes") or []
    return not types or bool(COMPLIANCE_RESOURCE_TYPES & set(types))


def compliance_row(
    account_id: str, region: str, rule_name: str, evaluation: dict[str, Any]
) -> dict[str, Any] | None:
    """The config_compliance row of one evaluation result, None for a type LG-CFG-04 ignores.

    The same shape comes from GetComplianceDetailsByConfigRule and from the aggregator's
    GetAggregateComplianceDetailsByConfigRule (botocore config model, EvaluationResultIdentifier).
    """
    qualifier = (evaluation.get("EvaluationResultIdentifier") or {}).get("EvaluationResultQualifier") or {}
    if qualifier.get("ResourceType") not in COMPLIANCE_RESOURCE_TYPES:
        return None
    return {
        "account_id": account_id,
        "region": region,
        "rule_name": rule_name,
        "resource_type": qualifier.get("ResourceType"),
        "resource_id": qualifier.get("ResourceId"),
        "compliance": evaluation.get("ComplianceType"),
        "annotation": evaluation.get("Annotation"),
    }


def collect(ctx: UnitContext) -> CollectResult:
    client = ctx.client("config")
    result = CollectResult()
    rules = list(items(client, "describe_config_rules", "ConfigRules"))
    for rule in filter(can_judge_functions_or_roles, rules):
        name = rule["ConfigRuleName"]
        evaluations = items(
            client,
            "get_compliance_details_by_config_rule",
            "EvaluationResults",
            ConfigRuleName=name,
            ComplianceTypes=NON_COMPLIANT,
            Limit=COMPLIANCE_PAGE,
        )
        for evaluation in evaluations:
            row = compliance_row(ctx.account_id, ctx.region, name, evaluation)
            if row is not None:
                result.add("config_compliance", row)
    return result


COLLECTOR = Collector(
    name="config_compliance",
    scope="regional",
    tables=("config_compliance",),
    actions=(
        "config:DescribeConfigRules",
        "config:GetComplianceDetailsByConfigRule",
        *AGGREGATOR_ACTIONS,
    ),
    size_rank=1,  # one call per rule
    collect=collect,
)
