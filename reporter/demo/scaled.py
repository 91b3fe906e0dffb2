"""A bigger synthetic organization for benchmarks (e.g. 50 accounts × 3 regions × 20 functions).

Every member is ACTIVE and reachable; functions draw their traits from a seeded generator, so
the same arguments always give the same organization. Each account holds a pool of execution
roles that its functions share round-robin: IAM stays realistically sized while seeding stays
fast (roles are the most expensive objects to create).
"""

from __future__ import annotations

import random

from reporter.demo import infra
from reporter.demo.builder import AccountBuilder
from reporter.demo.spec import ConfigRuleSpec, ConfigSpec, OrgSpec, PermissionSpec

SCALED_REGIONS: tuple[str, ...] = (
    "us-east-1",
    "eu-west-1",
    "ap-southeast-2",
    "us-west-2",
    "eu-central-1",
    "ap-northeast-1",
    "ca-central-1",
    "sa-east-1",
)
_OUS = ("Root/Workloads/Prod", "Root/Workloads/Dev", "Root/Sandbox", "Root/Security")
_TEAMS = ("payments", "orders", "catalog", "identity", "search", "billing", "shipping", "analytics")
_KINDS = (
    "api",
    "worker",
    "consumer",
    "cron",
    "webhook",
    "exporter",
    "resizer",
    "indexer",
    "notifier",
    "sync",
)
_RUNTIMES = (
    "python3.12",
    "python3.13",
    "python3.11",
    "nodejs22.x",
    "python3.10",
    "java21",
    "ruby3.3",
    "python3.8",
)
_ARCHETYPES = (
    ("clean", 40),
    ("unbounded", 15),
    ("write_star", 8),
    ("s3_star", 6),
    ("leaky_boundary", 6),
    ("trust_ec2", 5),
    ("admin", 4),
    ("pass_role", 4),
    ("dead_grants", 4),
    ("power_user", 3),
    ("not_action", 3),
    ("assume_any", 2),
)
ROLES_PER_ACCOUNT = 20
LARGE_REGIONS: tuple[str, ...] = (
    *SCALED_REGIONS,
    "us-east-2",
    "us-west-1",
    "eu-west-2",
    "eu-west-3",
    "eu-north-1",
    "ap-southeast-1",
    "ap-northeast-2",
    "ap-south-1",
    "ap-northeast-3",
)
"""17 regions enabled by default (no opt-in), as an organization's crawl meets them."""
_RULE_TYPES = (
    "AWS::S3::Bucket",
    "AWS::EC2::SecurityGroup",
    "AWS::EC2::Volume",
    "AWS::RDS::DBInstance",
    "AWS::CloudTrail::Trail",
    "AWS::KMS::Key",
    "AWS::DynamoDB::Table",
)


def large_org(
    *,
    accounts: int,
    regions: int,
    big: tuple[tuple[int, int], ...],
    giant: int,
    rules: int,
    seed: int,
) -> OrgSpec:
    """Many accounts, most regions empty: ``big`` (account index, functions) in each such account's
    first region, one account-region of ``giant`` functions, ``rules`` Config rules per account-region
    (most scoped to resource types that are neither functions nor roles, as Security Hub deploys)."""
    if not 1 <= regions <= len(LARGE_REGIONS):
        raise ValueError(f"regions must be between 1 and {len(LARGE_REGIONS)}")
    rng = random.Random(f"reporter-demo-large-{seed}")
    names = tuple(LARGE_REGIONS[:regions])
    built = [_management(names[0])]
    sizes = dict(big)
    for index in range(accounts):
        count = giant if index == accounts - 1 else sizes.get(index, 0)
        region = names[(index % (len(names) - 1)) + 1] if len(names) > 1 else names[0]
        b = _member_in(index, region, count, rng)
        b.config = [_deployed(r, rules) for r in names]
        built.append(b)
    return OrgSpec(accounts=tuple(b.build() for b in built), regions=names, month=0)


def account_org(*, regions: int, functions_per_region: int, seed: int) -> OrgSpec:
    """The ad hoc run: one member account, each function with its own role."""
    rng = random.Random(f"reporter-demo-account-{seed}")
    names = tuple(SCALED_REGIONS[:regions])
    b = AccountBuilder("adhoc-prod-000", "adhoc-prod-000", "Root/Workloads/Prod", app="adhoc")
    for region in names:
        for j in range(functions_per_region):
            name = f"adhoc-{_KINDS[j % len(_KINDS)]}-{region}-{j:03d}"
            b.fn(name, region, rng.choice(("clean", "unbounded", "write_star")), runtime="python3.12")
    b.config = [infra.config_global(names[0], admin_rule="no_admin_statements", vpc_rule=True)]
    return OrgSpec(accounts=(_management(names[0]).build(), b.build()), regions=names, month=0)


def _member_in(index: int, region: str, count: int, rng: random.Random) -> AccountBuilder:
    team = _TEAMS[index % len(_TEAMS)]
    key = f"{team}-large-{index:03d}"
    b = AccountBuilder(key, key, _OUS[index % len(_OUS)], app=team)
    pool = [
        rng.choices([a for a, _ in _ARCHETYPES], [w for _, w in _ARCHETYPES])[0]
        for _ in range(min(ROLES_PER_ACCOUNT, max(1, count // 50 + 2)))
    ]
    for j in range(count):
        name = f"{team}-{_KINDS[j % len(_KINDS)]}-{j:04d}"
        slot = j % len(pool)
        b.fn(
            name,
            region,
            pool[slot],
            role=f"{team}-exec-{slot:02d}",
            runtime=rng.choice(_RUNTIMES),
            tags=(("Team", team),),
            log_group=False,
        )
    return b


def _deployed(region: str, rules: int) -> ConfigSpec:
    """A recorder and ``rules`` rules: one in eight can judge functions or roles, as deployed by
    Security Hub standards, whose rules are mostly about other resource types."""
    specs = []
    for i in range(rules):
        if i % 8 == 0:
            specs.append(ConfigRuleSpec(f"lambda-inside-vpc-{i:02d}", "LAMBDA_INSIDE_VPC"))
        else:
            scope = (_RULE_TYPES[i % len(_RULE_TYPES)],)
            specs.append(ConfigRuleSpec(f"other-rule-{i:02d}", "ENCRYPTED_VOLUMES", None, scope))
    return ConfigSpec(region, "recording", include_global=region == "us-east-1", rules=tuple(specs))


def scaled_org(*, accounts: int, regions: int, functions_per_region: int, seed: int) -> OrgSpec:
    if not 1 <= regions <= len(SCALED_REGIONS):
        raise ValueError(f"regions must be between 1 and {len(SCALED_REGIONS)}")
    if accounts < 1 or functions_per_region < 0:
        raise ValueError("accounts must be positive and functions_per_region not negative")
    rng = random.Random(f"reporter-demo-scaled-{seed}")
    names = tuple(SCALED_REGIONS[:regions])
    built = [_management(names[0])]
    built.extend(_member(i, names, functions_per_region, rng) for i in range(accounts))
    return OrgSpec(accounts=tuple(b.build() for b in built), regions=names, month=0)


def _management(home: str) -> AccountBuilder:
    b = AccountBuilder("management", "management", "Root", management=True, app="org")
    b.config = [infra.config_global(home, admin_rule="no_admin_statements")]
    return b


def _member(index: int, regions: tuple[str, ...], per_region: int, rng: random.Random) -> AccountBuilder:
    team = _TEAMS[index % len(_TEAMS)]
    ou = _OUS[index % len(_OUS)]
    env = ou.rsplit("/", 1)[-1].lower()
    key = f"{team}-{env}-{index:03d}"
    b = AccountBuilder(key, key, ou, tags=(("Environment", env), ("CostCenter", team)), app=team)
    pool = [
        rng.choices([a for a, _ in _ARCHETYPES], [w for _, w in _ARCHETYPES])[0]
        for _ in range(ROLES_PER_ACCOUNT)
    ]
    pool[0] = "clean_vpc"  # the role of the account's VPC functions
    for region in regions:
        # A VPC with its NAT gateway costs over a dozen seeding calls: one per account suffices.
        vpc_allowed = region == regions[0]
        in_vpc = [_function(b, region, j, pool, rng, vpc_allowed) for j in range(per_region)]
        if any(in_vpc):
            b.networks.append(infra.two_az_vpc(f"{key}-vpc", region, "10.50.0.0/16"))
    b.config = [
        infra.config_global(regions[0], admin_rule="no_admin_statements", vpc_rule=rng.random() < 0.5)
        if rng.random() < 0.6
        else infra.config_regional(regions[0], recording=rng.random() < 0.5)
    ]
    return b


def _function(
    b: AccountBuilder, region: str, j: int, pool: list[str], rng: random.Random, vpc_allowed: bool
) -> bool:
    """Declare one function; True when it runs in the account-region's VPC."""
    name = f"{b.app}-{_KINDS[j % len(_KINDS)]}-{region}-{j:03d}"
    in_vpc = rng.random() < (0.4 if vpc_allowed else 0.0)
    slot = 0 if in_vpc else 1 + (j * 7 + len(b.functions)) % (len(pool) - 1)
    role = f"{b.app}-exec-{slot:02d}"
    tags: list[tuple[str, str]] = [("Team", b.app)]
    reserved = provisioned = None
    if rng.random() < 0.1:
        tags.append(("CostControl", "HighRisk"))
        reserved = rng.choice((None, 5, 50))
    if rng.random() < 0.1:
        tags.append(("LatencyCritical", "true"))
        provisioned = rng.choice((None, 2))
    env: list[tuple[str, str]] = [("STAGE", "prod")]
    secret: tuple[str, ...] = ()
    if rng.random() < 0.1:
        env.append(("DB_PASSWORD", f"pw-{rng.getrandbits(64):x}"))
        secret = ("DB_PASSWORD",)
    retention = rng.choices((30, None, 14), (6, 3, 1))[0]
    b.fn(
        name,
        region,
        pool[slot],
        role=role,
        runtime=rng.choice(_RUNTIMES),
        tags=tuple(tags),
        reserved=reserved,
        provisioned=provisioned,
        env=tuple(env),
        secret_env=secret,
        network=f"{b.key}-vpc" if in_vpc else None,
        subnets=(("app-a", "app-b") if rng.random() < 0.7 else ("app-a",)) if in_vpc else (),
        url_auth=rng.choices((None, "NONE", "AWS_IAM"), (18, 1, 1))[0],
        permissions=(PermissionSpec("public", "*"),) if rng.random() < 0.03 else (),
        log_group=rng.random() < 0.9,
        log_retention=retention,
        alarms=("Errors", "Throttles") if rng.random() < 0.4 else (),
    )
    return in_vpc
