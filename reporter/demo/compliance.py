"""What AWS Config would have evaluated for the seeded organization (moto evaluates nothing).

Only the managed rules the demo deploys are evaluated, following the AWS semantics in
notes/aws-semantics.md, and only where a recorder is recording; IAM resources are recorded,
and therefore evaluated, only in the region that records global resource types.
"""

from __future__ import annotations

import json
from typing import Any

from reporter.demo.model import ComplianceResult
from reporter.demo.seed import SeededAccount
from reporter.demo.spec import ConfigRuleSpec

LAMBDA = "AWS::Lambda::Function"
ROLE = "AWS::IAM::Role"
POLICY = "AWS::IAM::Policy"


def evaluate(accounts: list[SeededAccount]) -> dict[tuple[str, str, str], tuple[ComplianceResult, ...]]:
    results: dict[tuple[str, str, str], tuple[ComplianceResult, ...]] = {}
    for acc in accounts:
        for cfg in acc.spec.config:
            if cfg.recorder != "recording":
                continue
            for rule in cfg.rules:
                found = _evaluate_rule(acc, cfg.region, rule, cfg.include_global)
                results[(acc.account_id, cfg.region, rule.name)] = tuple(found)
    return results


def _evaluate_rule(
    acc: SeededAccount, region: str, rule: ConfigRuleSpec, records_iam: bool
) -> list[ComplianceResult]:
    params: dict[str, Any] = json.loads(rule.input_parameters) if rule.input_parameters else {}
    functions = [f for f in acc.spec.functions if f.region == region]
    if rule.scope_tag:
        key, value = rule.scope_tag
        functions = [f for f in functions if dict(f.tags).get(key) == value]
    if rule.identifier == "LAMBDA_INSIDE_VPC":
        return [_result(LAMBDA, f.name, f.network is not None) for f in functions]
    if rule.identifier == "LAMBDA_CONCURRENCY_CHECK":
        low = int(params.get("ConcurrencyLimitLow", 0))
        high = int(params.get("ConcurrencyLimitHigh", 10**9))
        return [
            _result(LAMBDA, f.name, f.reserved is not None and low <= f.reserved <= high) for f in functions
        ]
    if rule.identifier == "ENCRYPTED_VOLUMES":
        return []  # scoped to EBS volumes, of which the demo has none (the large benchmark deploys it)
    if not records_iam:
        return []
    if rule.identifier == "IAM_ROLE_MANAGED_POLICY_CHECK":
        wanted = {arn.split("/")[-1] for arn in str(params["managedPolicyArns"]).split(",")}
        return [
            _result(
                ROLE,
                acc.role_ids[r.name],
                wanted <= set(r.aws_managed),
                "" if wanted <= set(r.aws_managed) else "Required managed policies are not attached.",
            )
            for r in acc.spec.roles
        ]
    if rule.identifier == "IAM_POLICY_NO_STATEMENTS_WITH_ADMIN_ACCESS":
        return [
            _result(POLICY, acc.policy_ids[p.name], not _allows_star_on_star(p.document))
            for p in acc.spec.policies
        ]
    raise ValueError(f"the demo cannot evaluate {rule.identifier}")


def _result(resource_type: str, resource_id: str, compliant: bool, annotation: str = "") -> ComplianceResult:
    return ComplianceResult(
        resource_type, resource_id, "COMPLIANT" if compliant else "NON_COMPLIANT", annotation
    )


def _allows_star_on_star(document: str) -> bool:
    statements = json.loads(document)["Statement"]
    for stmt in statements if isinstance(statements, list) else [statements]:
        actions = stmt.get("Action", [])
        resources = stmt.get("Resource", [])
        actions = [actions] if isinstance(actions, str) else actions
        resources = [resources] if isinstance(resources, str) else resources
        if stmt.get("Effect") == "Allow" and "*" in actions and "*" in resources:
            return True
    return False
