"""Discovery: who we are, which accounts (with OU paths and tags) and which regions to crawl.

Discovery degrades, it does not crash: a failed tag read leaves that account's tags unknown, a
failed OU walk leaves every OU path "unknown" (each recorded as a ``discover`` problem on the
account, shown in Coverage). ListAccounts refused for ``--org``/``--ou`` ends the run with one line
naming the permission; ``--accounts`` then works without it (a member account may call
DescribeOrganization but not ListAccounts), the named accounts being crawled with OU unknown.

An account's lifecycle is ``Account.State`` (botocore's Organizations model: ``Status`` is retired
on 2026-09-09 in favour of ``State``: PENDING_ACTIVATION, ACTIVE, SUSPENDED, PENDING_CLOSURE,
CLOSED); ``Status`` is read only when ``State`` is absent. Only ACTIVE is crawled; a missing or
unknown value is recorded as skipped with the value in the reason.
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import botocore.exceptions

from reporter.aws.session import HOME_REGIONS, AwsAccess, partition_of_region
from reporter.aws.transient import retried
from reporter.collectors.base import error_code
from reporter.collectors.common import CALL_ERRORS
from reporter.errors import CollectionFailed, UserError, problems_error
from reporter.settings import Settings, filter_problems

ENABLED_OPT_IN = frozenset({"opt-in-not-required", "opted-in"})
CRAWLED_STATES = frozenset({"ACTIVE"})
UNKNOWN_OU = "unknown"
NOT_READ = "NOT_READ"
"""State of an account named by ``--accounts`` when Organizations could not list it."""
TAG_WORKERS = 4
_DENIED = frozenset({"AccessDenied", "AccessDeniedException", "AWSOrganizationsNotInUseException"})

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
    """Organizations ``State`` (``Status`` when State is absent); "" when neither was given."""
    ou_path: str
    ou_id: str
    joined: Any
    tags: dict[str, str] | None
    """None: the tags could not be read (see ``problems``)."""
    is_management: bool
    problems: tuple[tuple[str, str], ...] = ()
    """(error code, message) of what discovery could not read about this account."""

    @property
    def crawlable(self) -> bool:
        # an account the user named that Organizations could not describe is tried: assuming
        # into it tells whether it can be read
        return self.status in CRAWLED_STATES or self.status == NOT_READ

    @property
    def skip_reason(self) -> str:
        shown = self.status or "missing (neither State nor Status given)"
        return f"account state is {shown}; not crawled"

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


def account_state(item: dict[str, Any]) -> str:
    """``State``, falling back to the retired ``Status``; "" when neither is present."""
    return str(item.get("State") or item.get("Status") or "")


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
    """The starting identity (sts:GetCallerIdentity); missing credentials are a UserError."""
    region_hint = settings.regions[0] if settings.regions else access.session.region_name or "us-east-1"
    home = HOME_REGIONS[partition_of_region(region_hint) or "aws"]
    try:
        identity = retried(access.client("sts", home).get_caller_identity)
    except botocore.exceptions.NoCredentialsError:
        raise UserError(
            "no AWS credentials found (set a profile, SSO login, or environment credentials)"
        ) from None
    except CALL_ERRORS as exc:
        raise CollectionFailed(f"cannot identify the caller (sts:GetCallerIdentity): {exc}") from None
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
        described: dict[str, Any] | None = retried(org.describe_organization)["Organization"]
        described_error = ""
    except CALL_ERRORS as exc:
        described, described_error = None, error_code(exc)
    org_id = str(described["Id"]) if described else ""
    mgmt = str(described["MasterAccountId"]) if described else ""
    wants_org = settings.org or bool(settings.ous)
    if described is None and not wants_org and not settings.accounts:
        accounts: tuple[Account, ...] = (
            Account(caller_account, caller_account, "", "ACTIVE", UNKNOWN_OU, "", None, None, True),
        )
        mgmt = caller_account
    else:
        try:
            accounts = tuple(_org_accounts(org, mgmt))
        except CALL_ERRORS as exc:
            accounts = _unlisted(settings, caller_account, mgmt, error_code(exc), wants_org, described_error)
    accounts = _filter_accounts(accounts, settings, caller_account)
    regions = regions_read.result()
    return Targets(caller_arn, caller_account, partition, org_id, mgmt, accounts, regions)


def _unlisted(
    settings: Settings, caller: str, mgmt: str, code: str, wants_org: bool, described_error: str
) -> tuple[Account, ...]:
    """ListAccounts failed: the accounts named by --accounts, or the end of the run."""
    if wants_org or not settings.accounts:
        permission = "organizations:ListAccounts" if code in _DENIED else "a working ListAccounts"
        what = "--org" if settings.org else "--ou" if settings.ous else "the run"
        if described_error:
            raise CollectionFailed(
                f"nothing could be read from AWS Organizations (DescribeOrganization: {described_error}, "
                f"ListAccounts: {code}); {what} needs organizations:DescribeOrganization and "
                "organizations:ListAccounts from the management or a delegated administrator account"
            )
        raise UserError(
            f"{what}: ListAccounts was refused ({code}); add {permission} to the caller's policy "
            "(management or delegated administrator account), or name accounts with --accounts"
        )
    problem = ((code, f"not listed by AWS Organizations ({code}): OU and tags unknown"),)
    return tuple(
        Account(a, a, "", NOT_READ, UNKNOWN_OU, "", None, None, a == (mgmt or caller), problem)
        for a in sorted(set(settings.accounts))
    )


def _org_accounts(org: Any, management_id: str) -> Iterable[Account]:
    def tags_of(account_id: str) -> dict[str, str] | str:
        try:
            pages = org.get_paginator("list_tags_for_resource").paginate(ResourceId=account_id)
            return {t["Key"]: t["Value"] for t in retried(pages.build_full_result).get("Tags", [])}
        except CALL_ERRORS as exc:
            return error_code(exc)

    def walk() -> dict[str, tuple[str, str]] | str:
        try:
            return _ou_paths(org)
        except CALL_ERRORS as exc:
            return error_code(exc)

    # The OU walk (one chain of calls) runs beside the account listing and the tag reads (one
    # call per account, a few at a time: Organizations allows little concurrency).
    with ThreadPoolExecutor(max_workers=1 + TAG_WORKERS, thread_name_prefix="discover") as pool:
        walked = pool.submit(walk)
        try:
            listed = retried(org.get_paginator("list_accounts").paginate().build_full_result)["Accounts"]
        except BaseException:
            walked.cancel()
            raise
        listed = sorted(listed, key=lambda a: a["Id"])
        tag_reads = [pool.submit(tags_of, str(item["Id"])) for item in listed]
        paths = walked.result()
        tags = [read.result() for read in tag_reads]
    for item, account_tags in zip(listed, tags, strict=True):
        account_id = str(item["Id"])
        problems: list[tuple[str, str]] = []
        if isinstance(paths, str):
            ou_path, ou_id = UNKNOWN_OU, ""
            problems.append((paths, f"OU path unknown: walking the OU tree failed ({paths})"))
        else:
            ou_path, ou_id = paths.get(account_id, (UNKNOWN_OU, ""))
        if isinstance(account_tags, str):
            problems.append((account_tags, f"tags unknown: ListTagsForResource failed ({account_tags})"))
        yield Account(
            account_id=account_id,
            name=str(item.get("Name", "")),
            email=str(item.get("Email", "")),
            status=account_state(item),
            ou_path=ou_path,
            ou_id=ou_id,
            joined=item.get("JoinedTimestamp"),
            tags=None if isinstance(account_tags, str) else account_tags,
            is_management=account_id == management_id,
            problems=tuple(problems),
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
        if any(a.ou_path == UNKNOWN_OU for a in selected):
            raise UserError("--ou: the OU tree could not be read (see the discover problems); use --accounts")

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
    """The candidate regions: --regions (checked against the partition), else the caller's enabled ones.

    Opt-in regions are enabled per account: each account's own list decides which candidates
    it is crawled in (regions.py), so a region not enabled for the caller is no error here.
    """
    if settings.regions:
        foreign = [r for r in settings.regions if partition_of_region(r) != partition]
        if foreign:
            raise UserError(f"--regions: {', '.join(foreign)} not in the caller's partition {partition}")
    try:
        answer = retried(lambda: access.client("ec2", home).describe_regions(AllRegions=True))["Regions"]
    except CALL_ERRORS as exc:
        if settings.regions:
            return tuple(sorted(set(settings.regions)))
        raise UserError(
            f"cannot list regions (ec2:DescribeRegions: {error_code(exc)}); name them with --regions"
        ) from None
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
    return tuple(sorted(set(settings.regions)))
