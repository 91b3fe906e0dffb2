"""``--check``: can this identity start a crawl? Credentials, caller and the organization's size.

Three kinds of read and nothing else: sts:GetCallerIdentity, organizations:DescribeOrganization and
the pages of organizations:ListAccounts. No role is assumed and no region is read, so the check
costs a second or two even for a large organization.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import botocore.exceptions

from reporter.aws.discover import Caller, identify
from reporter.aws.session import AwsAccess
from reporter.errors import UserError
from reporter.settings import Settings


@dataclass(frozen=True)
class Readiness:
    caller: Caller
    organization_id: str
    """Empty when the caller cannot read AWS Organizations (only its own account is then read)."""
    management_account_id: str
    statuses: Counter[str]
    """Accounts of the organization by status (ACTIVE, SUSPENDED, …)."""
    denied: str = ""
    """Error code of DescribeOrganization when it was refused."""

    @property
    def accounts(self) -> int:
        return sum(self.statuses.values())

    def lines(self) -> list[str]:
        out = [f"caller: {self.caller.arn} (account {self.caller.account})"]
        if self.organization_id:
            by_status = ", ".join(f"{n} {status.lower()}" for status, n in sorted(self.statuses.items()))
            out.append(
                f"organization {self.organization_id}: {self.accounts} accounts ({by_status}); "
                f"management account {self.management_account_id}"
            )
        else:
            out.append(
                f"organization: not readable ({self.denied}); only the caller's account "
                f"{self.caller.account} would be read (1 account)"
            )
        return out


def probe(access: AwsAccess, settings: Settings) -> Readiness:
    """Identify the caller and count the organization's accounts; a target the caller cannot reach
    (``--org``/``--ou`` without Organizations access, ``--accounts`` outside the organization) is a
    UserError, as it would be at the start of the crawl."""
    caller = identify(access, settings)
    org = access.client("organizations", caller.home)
    try:
        described = org.describe_organization()["Organization"]
    except botocore.exceptions.ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", "")) or "refused"
        if settings.org or settings.ous:
            raise UserError(f"--org needs AWS Organizations access from the caller: {code}") from None
        _require_known(settings, {caller.account})
        return Readiness(caller, "", caller.account, Counter({"ACTIVE": 1}), denied=code)
    statuses: Counter[str] = Counter()
    ids: set[str] = set()
    try:
        for page in org.get_paginator("list_accounts").paginate():
            for account in page["Accounts"]:
                ids.add(str(account["Id"]))
                statuses[str(account.get("Status", "ACTIVE"))] += 1
    except botocore.exceptions.ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", "")) or "refused"
        raise UserError(f"cannot list the organization's accounts: {code}") from None
    _require_known(settings, ids)
    return Readiness(caller, str(described["Id"]), str(described["MasterAccountId"]), statuses)


def _require_known(settings: Settings, known: set[str]) -> None:
    unknown = sorted(set(settings.accounts) - known)
    if unknown:
        raise UserError(f"--accounts: not in the organization: {', '.join(unknown)}")
