"""The seeding intent: which rule each seeded resource is meant to pass or fail, and the gap data.

Function outcomes are derived from the specs (tags, reserved concurrency, subnets, runtimes…)
with RULES.md's semantics and the default thresholds of ``reporter.settings.Thresholds``; role
outcomes come from the archetypes in :mod:`reporter.demo.policies`. Where RULES.md leaves the
outcome open (e.g. LG-RT-02 for a runtime that is already deprecated) no expectation is made.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

from reporter.demo import compliance
from reporter.demo.model import (
    ComplianceResult,
    DemoAccount,
    DemoFunction,
    DemoTruth,
    Expectation,
    GapData,
    ProvisionedConfig,
    RejectedConfigRule,
)
from reporter.demo.seed import SeededAccount, SeedResult
from reporter.demo.seed_region import ALIAS
from reporter.demo.spec import FunctionSpec, OrgSpec
from reporter.settings import Thresholds

# Deprecation dates of the runtimes the demo uses (notes/aws-semantics.md, AWS Lambda runtimes page).
DEPRECATION: dict[str, dt.date] = {
    "nodejs16.x": dt.date(2024, 6, 12),
    "python3.8": dt.date(2024, 10, 14),
    "nodejs20.x": dt.date(2026, 4, 30),
    "python3.10": dt.date(2026, 10, 31),
    "ruby3.3": dt.date(2027, 3, 31),
    "nodejs22.x": dt.date(2027, 4, 30),
    "python3.11": dt.date(2027, 6, 30),
    "python3.12": dt.date(2028, 10, 31),
    "python3.13": dt.date(2029, 6, 30),
    "java21": dt.date(2029, 6, 30),
}
ALARM_METRICS = frozenset({"Errors", "Throttles"})
CONFIG_JUDGED_TYPES = frozenset({"AWS::Lambda::Function", "AWS::IAM::Role"})
LAMBDA_TYPE = "AWS::Lambda::Function"


def build(spec: OrgSpec, seeded: SeedResult, as_of: dt.date) -> tuple[DemoTruth, GapData]:
    evaluations = compliance.evaluate(seeded.accounts)
    limits = Thresholds()
    accounts: list[DemoAccount] = []
    functions: list[DemoFunction] = []
    expectations: list[Expectation] = []
    rejected: list[RejectedConfigRule] = []
    for acc in seeded.accounts:
        demo_acc = DemoAccount(
            acc.account_id,
            acc.name,
            acc.status,
            acc.ou_path,
            acc.spec.denied,
            acc.spec.email,
            acc.spec.management,
            acc.spec.tags,
        )
        accounts.append(demo_acc)
        for region, seeded_region in acc.regions.items():
            rejected.extend(
                RejectedConfigRule(acc.account_id, region, *r) for r in seeded_region.rejected_rules
            )
        found = _Oracle(acc, evaluations, limits, as_of) if demo_acc.reachable else None
        for fn in acc.spec.functions:
            arn = acc.regions[fn.region].function_arns[fn.name]
            outcomes = found.function(fn) if found else {}
            functions.append(
                DemoFunction(
                    acc.account_id,
                    fn.region,
                    fn.name,
                    arn,
                    acc.ou_path,
                    acc.role_arns[fn.role],
                    fn.runtime,
                    frozenset(r for r, s in outcomes.items() if s == "fail"),
                    frozenset(r for r, s in outcomes.items() if s == "pass"),
                )
            )
            # LG-CFG-04 judges Config evaluations, one row per (rule, resource): listed in scoped().
            expectations.extend(
                Expectation(rule, status, acc.account_id, fn.region, "function", arn)
                for rule, status in sorted(outcomes.items())
                if rule != "LG-CFG-04"
            )
        if found:
            expectations.extend(found.scoped(spec.enabled_regions(acc.spec)))
    reachable = {a.account_id for a in accounts if a.reachable}
    truth = DemoTruth(
        organization_id=seeded.organization_id,
        management_account_id=seeded.management_account_id,
        accounts=tuple(accounts),
        regions=spec.regions,
        functions=tuple(f for f in functions if f.account_id in reachable),
        expectations=tuple(expectations),
        rejected_config_rules=tuple(rejected),
        unreachable_functions=tuple(f for f in functions if f.account_id not in reachable),
        month=spec.month,
        as_of=as_of,
    )
    return truth, _gap_data(spec, seeded, evaluations, as_of)


class _Oracle:
    def __init__(
        self,
        acc: SeededAccount,
        evaluations: dict[tuple[str, str, str], tuple[ComplianceResult, ...]],
        limits: Thresholds,
        as_of: dt.date,
    ) -> None:
        self.acc = acc
        self.limits = limits
        self.as_of = as_of
        self.roles = {r.name: r for r in acc.spec.roles}
        self.role_use = Counter(f.role for f in acc.spec.functions)
        self.evaluations = sorted(
            (region, rule, res)
            for (account_id, region, rule), found in evaluations.items()
            if account_id == acc.account_id
            for res in found
        )
        self.worst: dict[tuple[str, str], str] = {}
        """(resource type, resource id) → NON_COMPLIANT if any rule says so, else COMPLIANT."""
        for _, _, res in self.evaluations:
            key = (res.resource_type, res.resource_id)
            if self.worst.get(key) != "NON_COMPLIANT":
                self.worst[key] = res.compliance

    def function(self, fn: FunctionSpec) -> dict[str, str]:
        lim = self.limits
        out = dict(self.roles[fn.role].outcomes)
        out["LG-IAM-05"] = _verdict(self.role_use[fn.role] > 1)
        # every function is judged: no permission (on the function, a version or an alias) or
        # no URL is a pass, so a false fail on a function without either is caught too
        out["LG-PUB-01"] = _verdict(
            any(
                p.principal == "*" and not (p.source_account or p.source_arn or p.principal_org)
                for p in fn.permissions
            )
        )
        out["LG-PUB-02"] = _verdict(fn.url_auth == "NONE")
        tags = dict(fn.tags)
        if tags.get(lim.high_risk_tag_key) == lim.high_risk_tag_value:
            out["LG-COST-01"] = _verdict(fn.reserved is None)
            if fn.reserved is not None:
                out["LG-COST-02"] = _verdict(fn.reserved > lim.concurrency_cap)
        if fn.log_group:
            out["LG-COST-04"] = _verdict(fn.log_retention is None)
        if tags.get(lim.latency_tag_key) == lim.latency_tag_value:
            out["LG-PERF-01"] = _verdict(not (fn.provisioned or fn.snap_start))
        if fn.runtime is not None:
            out["LG-PERF-02"] = _verdict(fn.large_package)
            deprecated = DEPRECATION[fn.runtime]
            out["LG-RT-01"] = _verdict(deprecated <= self.as_of)
            if deprecated > self.as_of:
                soon = self.as_of + dt.timedelta(days=lim.runtime_warning_days)
                out["LG-RT-02"] = _verdict(deprecated <= soon)
        out["LG-PERF-03"] = _verdict(not ALARM_METRICS & set(fn.alarms))
        out["LG-NET-01"] = _verdict(fn.network is None)
        if fn.network:
            net = next(n for n in self.acc.spec.networks if n.key == fn.network and n.region == fn.region)
            routes = {s.name: (net.main_route if s.route == "main" else s.route) for s in net.subnets}
            # a Transit Gateway route is egress through a central VPC: no false alarm (issue 12)
            out["LG-NET-02"] = _verdict(any(routes[s] not in ("nat", "tgw") for s in fn.subnets))
            zones = {self.acc.regions[fn.region].subnets[(fn.network, s)][1] for s in fn.subnets}
            out["LG-NET-03"] = _verdict(len(zones) < lim.min_availability_zones)
        out["LG-RT-03"] = _verdict(bool(fn.secret_env))
        seen = self.worst.get(("AWS::Lambda::Function", fn.name))
        if seen is not None:
            out["LG-CFG-04"] = _verdict(seen == "NON_COMPLIANT")
        return out

    def scoped(self, regions: tuple[str, ...]) -> list[Expectation]:
        acc, lim, out = self.acc, self.limits, []
        cfg = {c.region: c for c in acc.spec.config if c.region in regions}
        # IAM is global: AWS::IAM::Role must be recorded in one region, else LG-CFG-01 fails in
        # us-east-1 (or the account's first crawled region); exclusion recording includes it.
        roles_recorded = any(
            c.recorder == "recording" and (c.include_global or bool(c.exclude_types)) for c in cfg.values()
        )
        iam_region = "us-east-1" if "us-east-1" in regions else min(regions)
        for region in regions:
            rid = f"{acc.account_id}/{region}"
            reserved = sum(f.reserved or 0 for f in acc.spec.functions if f.region == region)
            unreserved = acc.spec.concurrency_limit - reserved
            low = (
                unreserved < lim.unreserved_min
                or unreserved < acc.spec.concurrency_limit * lim.unreserved_min_pct / 100
            )
            c = cfg.get(region)
            recording = (
                c is not None and c.recorder == "recording" and LAMBDA_TYPE not in c.exclude_types
            ) and not (region == iam_region and not roles_recorded)
            vpc_rule = c is not None and any(r.identifier == "LAMBDA_INSIDE_VPC" for r in c.rules)
            for rule, failed in (
                ("LG-COST-03", low),
                ("LG-CFG-01", not recording),
                ("LG-CFG-02", not vpc_rule),
            ):
                out.append(Expectation(rule, _verdict(failed), acc.account_id, region, "account-region", rid))
        global_cfg = next((c for c in acc.spec.config if c.include_global and c.recorder), None)
        detects = global_cfg is not None and any(
            r.identifier == "IAM_POLICY_NO_STATEMENTS_WITH_ADMIN_ACCESS" for r in global_cfg.rules
        )
        region = global_cfg.region if global_cfg else "global"
        out.append(
            Expectation("LG-CFG-03", _verdict(not detects), acc.account_id, region, "account", acc.account_id)
        )
        out.extend(self.config_verdicts())
        return out

    def config_verdicts(self) -> list[Expectation]:
        """LG-CFG-04: a fail per NON_COMPLIANT (rule, resource); a pass per function or execution
        role that a rule evaluated in a region (the demo's evaluator: only where a recorder
        records it) and that no rule there reports NON_COMPLIANT."""
        acc, out = self.acc, []
        execution_roles = {self.acc.role_ids[f.role] for f in acc.spec.functions}
        evaluated: dict[tuple[str, str, str], bool] = {}
        for region, rule, res in self.evaluations:
            if res.resource_type not in CONFIG_JUDGED_TYPES:
                continue
            failed = res.compliance == "NON_COMPLIANT"
            key = (region, res.resource_type, res.resource_id)
            evaluated[key] = evaluated.get(key, False) or failed
            if failed:
                rid = f"{rule}/{res.resource_type}/{res.resource_id}"
                out.append(Expectation("LG-CFG-04", "fail", acc.account_id, region, "config-resource", rid))
        for (region, kind, resource_id), failed in sorted(evaluated.items()):
            if failed or (kind != LAMBDA_TYPE and resource_id not in execution_roles):
                continue
            rid = f"{kind}/{resource_id}"
            out.append(Expectation("LG-CFG-04", "pass", acc.account_id, region, "config-resource", rid))
        return out


def _verdict(failed: bool) -> str:
    return "fail" if failed else "pass"


def _gap_data(
    spec: OrgSpec,
    seeded: SeedResult,
    evaluations: dict[tuple[str, str, str], tuple[ComplianceResult, ...]],
    as_of: dt.date,
) -> GapData:
    limits: dict[tuple[str, str], int] = {}
    provisioned: dict[tuple[str, str, str], tuple[ProvisionedConfig, ...]] = {}
    snap: set[tuple[str, str, str]] = set()
    for acc in seeded.accounts:
        for region in spec.regions:
            limits[(acc.account_id, region)] = acc.spec.concurrency_limit
        for fn in acc.spec.functions:
            key = (acc.account_id, fn.region, fn.name)
            if fn.provisioned:
                provisioned[key] = (ProvisionedConfig(ALIAS, fn.provisioned, fn.provisioned),)
            if fn.snap_start:
                snap.add(key)
    return GapData(
        regions=spec.regions,
        evaluated_at=dt.datetime.combine(as_of, dt.time(6, 0), tzinfo=dt.UTC) - dt.timedelta(days=1),
        concurrency_limits=limits,
        provisioned=provisioned,
        snap_start=frozenset(snap),
        compliance=evaluations,
        denied_accounts=frozenset(a.account_id for a in seeded.accounts if a.spec.denied),
        closed_accounts=frozenset(a.account_id for a in seeded.accounts if a.spec.suspended),
        opt_in_regions=frozenset(spec.opt_in_regions),
        opted_in=frozenset((a.account_id, r) for a in seeded.accounts for r in a.spec.opted_in),
    )
