"""What a demo organization contains, as plain frozen data (the seeder decides how to build it).

Policy documents are JSON text templates: ``<ACCOUNT>`` is replaced by the account id when the
organization is seeded. Text without placeholders (the guide's own examples) is sent to IAM
byte for byte.
"""

from __future__ import annotations

from dataclasses import dataclass

Pairs = tuple[tuple[str, str], ...]
"""An ordered mapping kept hashable: tags, environment variables, rule outcomes."""

ROLE_RULES: tuple[str, ...] = (
    "LG-IAM-01",
    "LG-IAM-02",
    "LG-IAM-03",
    "LG-IAM-04",
    "LG-IAM-06",
    "LG-IAM-07",
    "LG-IAM-08",
    "LG-IAM-09",
)
"""Rules judged from the execution role alone; a role archetype declares its outcome for each."""


@dataclass(frozen=True)
class PolicySpec:
    """A customer-managed policy (also used as a permissions boundary)."""

    name: str
    document: str
    description: str = ""


@dataclass(frozen=True)
class RoleSpec:
    """An execution role and the outcome its author intends for each role rule."""

    name: str
    aws_managed: tuple[str, ...] = ()
    """Names of AWS-managed policies attached (loaded into the account on demand)."""
    customer_managed: tuple[str, ...] = ()
    """Names of the account's customer-managed policies attached."""
    inline: Pairs = ()
    """(policy name, document template)."""
    boundary: str | None = None
    """Name of the account's customer-managed policy used as permissions boundary."""
    extra_trust: tuple[str, ...] = ()
    """Principals trusted besides lambda.amazonaws.com: a service host or ``account:<key>``."""
    outcomes: Pairs = ()
    """(rule id, "pass" | "fail") for the rules of ROLE_RULES that apply to this role."""
    path: str = "/"
    archetype: str = ""


@dataclass(frozen=True)
class PermissionSpec:
    """One ``lambda:AddPermission`` statement on a function."""

    sid: str
    principal: str
    source_account: bool = False
    """Pin the statement to the function's own account (aws:SourceAccount)."""
    source_arn: str | None = None
    principal_org: bool = False
    """Pin the statement to the demo organization (aws:PrincipalOrgID)."""
    action: str = "lambda:InvokeFunction"
    qualifier: str | None = None
    """Add the statement to this alias (published version 1 and the alias are created): it then
    lives on the alias's own policy, which GetPolicy without a Qualifier does not show."""


@dataclass(frozen=True)
class SubnetSpec:
    name: str
    az: str
    """Zone suffix: "a", "b" or "c"."""
    route: str
    """Default route of its explicitly associated table: "nat", "igw", "tgw" (a Transit Gateway
    attachment: egress through a central VPC), "none", or "main" (no association)."""


@dataclass(frozen=True)
class NetworkSpec:
    """A VPC in one region; a public subnet with the NAT gateway is added when a route needs it."""

    key: str
    region: str
    cidr: str
    subnets: tuple[SubnetSpec, ...]
    main_route: str = "none"
    """Default route of the VPC's main route table: "nat", "igw" or "none"."""


@dataclass(frozen=True)
class ConfigRuleSpec:
    name: str
    identifier: str
    input_parameters: str | None = None
    scope_types: tuple[str, ...] = ()
    scope_tag: tuple[str, str] | None = None


@dataclass(frozen=True)
class ConfigSpec:
    """AWS Config in one region."""

    region: str
    recorder: str | None = None
    """None (no recorder), "recording" or "stopped"."""
    include_global: bool = False
    exclude_types: tuple[str, ...] = ()
    """Recording strategy EXCLUSION_BY_RESOURCE_TYPES leaving these types out (the IAM types
    are then recorded whatever include_global says)."""
    rules: tuple[ConfigRuleSpec, ...] = ()
    rejected_rules: tuple[ConfigRuleSpec, ...] = ()
    """Rules the guide asks for that AWS refuses: attempted at seeding, expected to fail."""


@dataclass(frozen=True)
class FunctionSpec:
    name: str
    region: str
    role: str
    runtime: str | None = "python3.12"
    """None: a container image (PackageType Image)."""
    memory: int = 256
    timeout: int = 30
    architecture: str = "x86_64"
    env: Pairs = ()
    secret_env: tuple[str, ...] = ()
    """Names in ``env`` meant to look like secrets (by name or by value shape)."""
    tags: Pairs = ()
    reserved: int | None = None
    provisioned: int | None = None
    """Provisioned concurrency on alias "live" (published version 1), served by the gap layer."""
    snap_start: bool = False
    large_package: bool = False
    """Upload a deployment package over 10 MB."""
    network: str | None = None
    subnets: tuple[str, ...] = ()
    url_auth: str | None = None
    permissions: tuple[PermissionSpec, ...] = ()
    log_group: bool = True
    log_retention: int | None = 30
    alarms: tuple[str, ...] = ()
    description: str = ""


@dataclass(frozen=True)
class AccountSpec:
    key: str
    name: str
    email: str
    ou_path: str
    """OU names from the root, "Root/Workloads/Prod"."""
    tags: Pairs = ()
    management: bool = False
    suspended: bool = False
    denied: bool = False
    """AssumeRole into this account always answers AccessDenied."""
    concurrency_limit: int = 1000
    """Regional concurrent-executions quota reported by GetAccountSettings."""
    opted_in: tuple[str, ...] = ()
    """Opt-in regions of the demo the account has enabled (the others answer not-opted-in)."""
    policies: tuple[PolicySpec, ...] = ()
    roles: tuple[RoleSpec, ...] = ()
    networks: tuple[NetworkSpec, ...] = ()
    config: tuple[ConfigSpec, ...] = ()
    functions: tuple[FunctionSpec, ...] = ()


@dataclass(frozen=True)
class OrgSpec:
    accounts: tuple[AccountSpec, ...]
    regions: tuple[str, ...]
    month: int
    opt_in_regions: tuple[str, ...] = ()
    """Regions of ``regions`` that AWS enables per account (AccountSpec.opted_in)."""

    def enabled_regions(self, acc: AccountSpec) -> tuple[str, ...]:
        return tuple(r for r in self.regions if r not in self.opt_in_regions or r in acc.opted_in)

    def account(self, key: str) -> AccountSpec:
        for acc in self.accounts:
            if acc.key == key:
                return acc
        raise KeyError(key)
