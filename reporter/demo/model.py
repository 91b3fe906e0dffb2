"""What a demo server holds: the seeded truth (for tests and checks) and the gap layer's data."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class DemoAccount:
    account_id: str
    name: str
    status: str
    """ACTIVE | SUSPENDED, as Organizations reports it."""
    ou_path: str
    denied: bool
    """AssumeRole into this account answers AccessDenied (the demo's unreachable account)."""
    email: str = ""
    is_management: bool = False
    tags: tuple[tuple[str, str], ...] = ()

    @property
    def reachable(self) -> bool:
        return self.status == "ACTIVE" and not self.denied


@dataclass(frozen=True)
class Expectation:
    """One outcome the seeding intends a rule to produce.

    ``resource_id`` is the function ARN (function scope), ``<account>/<region>`` (account-region
    scope), the account id (account scope) or ``<config rule>/<resource type>/<resource id>``
    (config-resource scope, LG-CFG-04: one per Config evaluation; IAM roles appear by role id).
    Expectations are a subset of what the rules judge: a rule may also return resources listed
    here for no rule id, but every listed outcome must appear.
    """

    rule_id: str
    status: str
    """pass | fail"""
    account_id: str
    region: str
    """The resource's region; for account-scope rules the region recording global resources, else "global"."""
    resource_type: str
    """function | account-region | account | config-resource"""
    resource_id: str


@dataclass(frozen=True)
class DemoFunction:
    """A seeded function. ``expected_failures``/``expected_passes`` are the seeding intent.

    They list the rules this function was built to fail or to pass. Functions of unreachable
    accounts (suspended, denied) carry no expectations: a crawl cannot see them.
    """

    account_id: str
    region: str
    name: str
    function_arn: str
    ou_path: str
    role_arn: str
    runtime: str | None
    expected_failures: frozenset[str] = frozenset()
    expected_passes: frozenset[str] = frozenset()


@dataclass(frozen=True)
class RejectedConfigRule:
    """A Config rule the guide asks for that AWS (and moto) refuse to create."""

    account_id: str
    region: str
    rule_name: str
    source_identifier: str
    error: str


@dataclass(frozen=True)
class DemoTruth:
    organization_id: str
    management_account_id: str
    accounts: tuple[DemoAccount, ...]
    regions: tuple[str, ...]
    functions: tuple[DemoFunction, ...]
    """Every function a crawl of the reachable accounts should find (ACTIVE, role assumable)."""
    expectations: tuple[Expectation, ...] = ()
    rejected_config_rules: tuple[RejectedConfigRule, ...] = ()
    unreachable_functions: tuple[DemoFunction, ...] = ()
    """Functions seeded in the suspended and the denied account: present in AWS, invisible to a crawl."""
    month: int = 0
    as_of: dt.date = field(default_factory=lambda: dt.datetime.now(dt.UTC).date())
    """The date runtime-deprecation expectations were computed for."""

    def account(self, account_id: str) -> DemoAccount:
        for acc in self.accounts:
            if acc.account_id == account_id:
                return acc
        raise KeyError(account_id)

    def account_named(self, name: str) -> DemoAccount:
        for acc in self.accounts:
            if acc.name == name:
                return acc
        raise KeyError(name)

    def function(self, name: str) -> DemoFunction:
        found = [f for f in (*self.functions, *self.unreachable_functions) if f.name == name]
        if len(found) != 1:
            raise KeyError(f"{name}: {len(found)} functions with this name")
        return found[0]

    def expected(self, rule_id: str, status: str | None = None) -> tuple[Expectation, ...]:
        return tuple(
            e for e in self.expectations if e.rule_id == rule_id and (status is None or e.status == status)
        )

    @property
    def reachable_accounts(self) -> tuple[DemoAccount, ...]:
        return tuple(a for a in self.accounts if a.reachable)


# --- data the AWS-gap layer serves (demo infrastructure) ------------------------------------


@dataclass(frozen=True)
class ProvisionedConfig:
    qualifier: str
    requested: int
    allocated: int
    status: str = "READY"


@dataclass(frozen=True, order=True)
class ComplianceResult:
    resource_type: str
    resource_id: str
    compliance: str
    annotation: str = ""


FunctionKey = tuple[str, str, str]
"""(account id, region, function name)"""


@dataclass(frozen=True)
class GapData:
    regions: tuple[str, ...]
    """Regions reported as enabled by DescribeRegions; all others are "not-opted-in"."""
    evaluated_at: dt.datetime
    concurrency_limits: Mapping[tuple[str, str], int] = field(default_factory=dict)
    provisioned: Mapping[FunctionKey, tuple[ProvisionedConfig, ...]] = field(default_factory=dict)
    snap_start: frozenset[FunctionKey] = frozenset()
    compliance: Mapping[tuple[str, str, str], tuple[ComplianceResult, ...]] = field(default_factory=dict)
    """(account id, region, config rule name) → evaluation results."""
    denied_accounts: frozenset[str] = frozenset()
    closed_accounts: frozenset[str] = frozenset()
    opt_in_regions: frozenset[str] = frozenset()
    """Demo regions that are opt-in regions in AWS: enabled only where ``opted_in`` says so."""
    opted_in: frozenset[tuple[str, str]] = frozenset()
    """(account id, region) pairs of opt-in regions an account has enabled."""

    def concurrency_limit(self, account_id: str, region: str) -> int:
        return self.concurrency_limits.get((account_id, region), 1000)
