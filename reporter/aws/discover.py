"""Discovery: who we are, which accounts (with OU paths and tags) and which regions to crawl."""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import botocore.exceptions

from reporter.aws.session import HOME_REGIONS, AwsAccess, partition_of_region
from reporter.aws.transient import retried
from reporter.errors import UserError, problems_error
from reporter.settings import Settings, filter_problems

ENABLED_OPT_IN = frozenset({"opt-in-not-required", "opted-in"})
CRAWLED_STATUSES = frozenset({"ACTIVE"})
TAG_WORKERS = 4

DISCOVERY_ACTIONS: tuple[str, ...] = (
    "sts:GetCallerIdentity",
    "organizations:DescribeOrganization",
    "organizations:ListRoots",
    "organizations:ListAccounts",
    "organizations:ListAccountsForParent",
    "organizations:ListOrganizationalUnitsForParent",
    "organizations:ListTagsForResource",
    "ec2:DescribeRegions",
)
"""Every call this module makes, with the starting identity: the audit policy's discovery statement.
A test records the calls of a discovery and compares them with this list."""


@dataclass(frozen=True)
class Account:
    account_id: str
    name: str
    email: str
    status: str
    ou_path: str
    ou_id: str
    joined: Any
    tags: dict[str, str]
    is_management: bool

    @property
    def crawlable(self) -> bool:
        return self.status in CRAWLED_STATUSES

    def record(self) -> dict[str, Any]:
        return {
            "account_id": self.account_id,
            "name": self.name,
            "email": self.email,
            "status": self.status,
            "ou_path": self.ou_path,
            "ou_id": self.ou_id,
            "joined": self.joined,
            "tags": self.tags,
            "is_management": self.is_management,
        }


@dataclass(frozen=True)
class Targets:
    caller_arn: str
    caller_account: str
    partition: str
    organization_id: str
    management_account_id: str
    accounts: tuple[Account, ...]
    regions: tuple[str, ...]


def validate_filters(settings: Settings) -> None:
    """Reject malformed filters before any AWS call (the CLI's preflight lists them all earlier)."""
    problems = filter_problems(settings)
    if problems:
        raise problems_error(problems)


@dataclass(frozen=True)
class Caller:
    arn: str
    account: str
    partition: str
    home: str
    """Region of the partition's global services (IAM, Organizations, STS)."""


def identify(access: AwsAccess, settings: Settings) -> Caller:
    """The starting identity (sts:GetCallerIdentity); missing or refused credentials are a UserError."""
    region_hint = settings.regions[0] if settings.regions else access.session.region_name or "us-east-1"
    home = HOME_REGIONS[partition_of_region(region_hint)]
    try:
        identity = retried(access.client("sts", home).get_caller_identity)
    except botocore.exceptions.NoCredentialsError:
        raise UserError(
            "no AWS credentials found (set a profile, SSO login, or environment credentials)"
        ) from None
    except botocore.exceptions.ClientError as exc:
        raise UserError(f"cannot identify the caller: {exc}") from None
    arn = str(identity["Arn"])
    partition = arn.split(":")[1]
    return Caller(arn, str(identity["Account"]), partition, HOME_REGIONS.get(partition, home))


def discover(access: AwsAccess, settings: Settings) -> Targets:
    validate_filters(settings)
    caller = identify(access, settings)
    home, partition = caller.home, caller.partition

    # The regions are read while Organizations is walked: neither depends on the other.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="discover-regions") as side:
        regions_read = side.submit(_regions, access, settings, home, partition)
        return _targets(access, settings, home, partition, caller.arn, caller.account, regions_read)


def _targets(
    access: AwsAccess,
    settings: Settings,
    home: str,
    partition: str,
    caller_arn: str,
    caller_account: str,
    regions_read: Future[tuple[str, ...]],
) -> Targets:
    org = access.client("organizations", home)
    try:
        described = retried(org.describe_organization)["Organization"]
    except botocore.exceptions.ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if settings.org or settings.ous:
            raise UserError(f"--org needs AWS Organizations access from the caller: {code}") from None
        described = None
    if described is None:
        accounts: tuple[Account, ...] = (
            Account(caller_account, caller_account, "", "ACTIVE", "", "", None, {}, True),
        )
        org_id, mgmt = "", caller_account
    else:
        org_id, mgmt = str(described["Id"]), str(described["MasterAccountId"])
        accounts = tuple(_org_accounts(org, mgmt))
    accounts = _filter_accounts(accounts, settings, caller_account)
    regions = regions_read.result()
    return Targets(caller_arn, caller_account, partition, org_id, mgmt, accounts, regions)


def _org_accounts(org: Any, management_id: str) -> Iterable[Account]:
    def tags_of(account_id: str) -> dict[str, str]:
        pages = org.get_paginator("list_tags_for_resource").paginate(ResourceId=account_id)
        return {t["Key"]: t["Value"] for t in retried(pages.build_full_result).get("Tags", [])}

    # The OU walk (one chain of calls) runs beside the account listing and the tag reads (one
    # call per account, a few at a time: Organizations allows little concurrency).
    with ThreadPoolExecutor(max_workers=1 + TAG_WORKERS, thread_name_prefix="discover") as pool:
        walked = pool.submit(_ou_paths, org)
        listed = retried(org.get_paginator("list_accounts").paginate().build_full_result)["Accounts"]
        listed = sorted(listed, key=lambda a: a["Id"])
        tag_reads = [pool.submit(tags_of, str(item["Id"])) for item in listed]
        paths = walked.result()
        tags = [read.result() for read in tag_reads]
    for item, account_tags in zip(listed, tags, strict=True):
        account_id = str(item["Id"])
        ou_path, ou_id = paths.get(account_id, ("", ""))
        yield Account(
            account_id=account_id,
            name=str(item.get("Name", "")),
            email=str(item.get("Email", "")),
            status=str(item.get("Status", "ACTIVE")),
            ou_path=ou_path,
            ou_id=ou_id,
            joined=item.get("JoinedTimestamp"),
            tags=account_tags,
            is_management=account_id == management_id,
        )


def _ou_paths(org: Any) -> dict[str, tuple[str, str]]:
    """account id → (OU path root to leaf, direct parent id), walking the tree once from the roots.

    Two paginated calls per OU instead of one list_parents chain per account.
    """
    found: dict[str, tuple[str, str]] = {}
    stack: list[tuple[str, str]] = [
        (str(root["Id"]), str(root.get("Name") or "Root"))
        for root in retried(org.get_paginator("list_roots").paginate().build_full_result)["Roots"]
    ]
    while stack:
        parent_id, path = stack.pop()
        accounts = org.get_paginator("list_accounts_for_parent").paginate(ParentId=parent_id)
        for account in retried(accounts.build_full_result)["Accounts"]:
            found[str(account["Id"])] = (path, parent_id)
        units = org.get_paginator("list_organizational_units_for_parent").paginate(ParentId=parent_id)
        stack.extend(
            (str(unit["Id"]), f"{path}/{unit['Name']}")
            for unit in retried(units.build_full_result)["OrganizationalUnits"]
        )
    return found


def _filter_accounts(accounts: tuple[Account, ...], settings: Settings, caller: str) -> tuple[Account, ...]:
    selected = list(accounts)
    if settings.accounts:
        known = {a.account_id for a in accounts}
        unknown = sorted(set(settings.accounts) - known)
        if unknown:
            raise UserError(f"--accounts: not in the organization: {', '.join(unknown)}")
        selected = [a for a in selected if a.account_id in settings.accounts]
    if settings.ous:

        def in_ou(a: Account) -> bool:
            return any(
                a.ou_id == ou or a.ou_path == ou or a.ou_path.startswith(ou.rstrip("/") + "/")
                for ou in settings.ous
            )

        selected = [a for a in selected if in_ou(a)]
        if not selected:
            raise UserError(f"--ou: no account under {', '.join(settings.ous)}")
    return tuple(selected)


def _regions(access: AwsAccess, settings: Settings, home: str, partition: str) -> tuple[str, ...]:
    try:
        answer = retried(lambda: access.client("ec2", home).describe_regions(AllRegions=True))["Regions"]
    except botocore.exceptions.ClientError as exc:
        raise UserError(f"cannot list regions: {exc}") from None
    enabled = sorted(
        str(r["RegionName"])
        for r in answer
        if r.get("OptInStatus", "opt-in-not-required") in ENABLED_OPT_IN
        and partition_of_region(str(r["RegionName"])) == partition
    )
    if not settings.regions:
        return tuple(enabled)
    known_all = {str(r["RegionName"]) for r in answer}
    for region in settings.regions:
        if region not in known_all:
            raise UserError(f"--regions: unknown region '{region}'")
        if region not in enabled:
            raise UserError(f"--regions: region '{region}' is not enabled for this {partition} caller")
    return tuple(sorted(set(settings.regions)))
