"""Build a demo organization in moto's in-process state.

The organization is created through boto3 by the management account; each member account is
then reached the way the tool will reach it, by assuming ``OrganizationAccountAccessRole``.
Bulk objects (policies, roles, functions…) go straight to moto's backends (:mod:`.direct`);
regional content is delegated to :mod:`reporter.demo.seed_region`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import boto3

from reporter.demo import moto_state
from reporter.demo.direct import DirectSeeder
from reporter.demo.seed_region import ClientMaker, RegionSeeder, SeededRegion
from reporter.demo.spec import AccountSpec, OrgSpec, RoleSpec

HOME_REGION = "us-east-1"
SEEDER_KEY = "demo-seeder"
AUDITOR_USER = "reporter-auditor"
MEMBER_ROLE = "OrganizationAccountAccessRole"


@dataclass
class SeededAccount:
    spec: AccountSpec
    account_id: str
    name: str
    status: str
    ou_path: str
    role_arns: dict[str, str] = field(default_factory=dict)
    role_ids: dict[str, str] = field(default_factory=dict)
    policy_arns: dict[str, str] = field(default_factory=dict)
    policy_ids: dict[str, str] = field(default_factory=dict)
    regions: dict[str, SeededRegion] = field(default_factory=dict)


@dataclass
class SeedResult:
    organization_id: str
    management_account_id: str
    auditor_key_id: str
    auditor_secret: str
    accounts: list[SeededAccount]


RoleIds = Mapping[tuple[str, str], str]
"""(account key, role name) → role id."""


def seed(spec: OrgSpec, seed_value: int, role_ids: RoleIds | None = None) -> SeedResult:
    """Create ``spec`` in moto's (process-global) state; the caller serves it afterwards.

    ``role_ids`` pins the ids of the roles it names (the ids the same roles have in another month,
    so a role keeps its identity across the demo's months). The ids drawn after the accounts then
    come from a stream of their own: the pinned ids were drawn from the seed's stream, and moto
    would file a role drawn alike over a pinned one (it keys roles by id)."""
    with moto_state.in_process_moto(seed_value):
        return _Seeder(spec, role_ids or {}, seed_value).run()


def role_ids_of(seeded: SeedResult) -> dict[tuple[str, str], str]:
    return {(a.spec.key, name): rid for a in seeded.accounts for name, rid in a.role_ids.items()}


class _Seeder:
    def __init__(self, spec: OrgSpec, role_ids: RoleIds, seed_value: int) -> None:
        self.spec = spec
        self.role_ids = role_ids
        self.seed_value = seed_value
        self.mgmt = boto3.Session(
            aws_access_key_id=SEEDER_KEY, aws_secret_access_key=SEEDER_KEY, region_name=HOME_REGION
        )

    def run(self) -> SeedResult:
        org = self.mgmt.client("organizations")
        organization = org.create_organization(FeatureSet="ALL")["Organization"]
        management_id = organization["MasterAccountId"]
        root_id = org.list_roots()["Roots"][0]["Id"]
        # Accounts first, all of them, so their ids depend only on the seed (never on content).
        ids: dict[str, str] = {}
        for acc in self.spec.accounts:
            ids[acc.key] = management_id if acc.management else self._create_account(org, acc)
        ou_ids = self._create_ous(org, root_id)
        seeded: list[SeededAccount] = []
        for acc in self.spec.accounts:
            parent = ou_ids[acc.ou_path]
            if parent != root_id:
                org.move_account(AccountId=ids[acc.key], SourceParentId=root_id, DestinationParentId=parent)
            if acc.management and acc.tags:
                org.tag_resource(ResourceId=management_id, Tags=[{"Key": k, "Value": v} for k, v in acc.tags])
            seeded.append(SeededAccount(acc, ids[acc.key], acc.name, "ACTIVE", acc.ou_path))
        if self.role_ids:
            moto_state.reseed(f"{self.seed_value}/pinned-roles")
        iam = self.mgmt.client("iam")
        iam.create_user(UserName=AUDITOR_USER, Tags=[{"Key": "Purpose", "Value": "lambda-governance-audit"}])
        key = iam.create_access_key(UserName=AUDITOR_USER)["AccessKey"]
        for member in seeded:
            self._seed_account(member, ids, organization["Id"])
        names = {
            a["Id"]: a["Name"]
            for page in org.get_paginator("list_accounts").paginate()
            for a in page["Accounts"]
        }
        for member in seeded:
            member.name = names[member.account_id]
            if member.spec.suspended:
                # Content first, then close: a suspended account keeps its resources, unreachable.
                org.close_account(AccountId=member.account_id)
                member.status = "SUSPENDED"
        return SeedResult(
            organization["Id"], management_id, key["AccessKeyId"], key["SecretAccessKey"], seeded
        )

    def _create_account(self, org: Any, acc: AccountSpec) -> str:
        status = org.create_account(
            AccountName=acc.name, Email=acc.email, Tags=[{"Key": k, "Value": v} for k, v in acc.tags]
        )["CreateAccountStatus"]
        return str(status["AccountId"])

    def _create_ous(self, org: Any, root_id: str) -> dict[str, str]:
        ou_ids = {"Root": root_id}
        for acc in self.spec.accounts:
            parts = acc.ou_path.split("/")
            if parts[0] != "Root":
                raise ValueError(f"{acc.key}: OU path must start at Root: {acc.ou_path}")
            for depth in range(2, len(parts) + 1):
                path = "/".join(parts[:depth])
                if path not in ou_ids:
                    parent = ou_ids["/".join(parts[: depth - 1])]
                    ou = org.create_organizational_unit(ParentId=parent, Name=parts[depth - 1])
                    ou_ids[path] = ou["OrganizationalUnit"]["Id"]
        return ou_ids

    def _clients(self, acc: SeededAccount) -> ClientMaker:
        if acc.spec.management:
            return ClientMaker(self.mgmt, {})
        creds = self.mgmt.client("sts").assume_role(
            RoleArn=f"arn:aws:iam::{acc.account_id}:role/{MEMBER_ROLE}", RoleSessionName="demo-seed"
        )["Credentials"]
        return ClientMaker(
            self.mgmt,
            {
                "aws_access_key_id": creds["AccessKeyId"],
                "aws_secret_access_key": creds["SecretAccessKey"],
                "aws_session_token": creds["SessionToken"],
            },
        )

    def _seed_account(self, acc: SeededAccount, ids: dict[str, str], org_id: str) -> None:
        spec = acc.spec
        clients = self._clients(acc)
        iam = clients("iam", HOME_REGION)
        managed = sorted({n for r in spec.roles for n in r.aws_managed} | ({"AdministratorAccess"}))
        moto_state.load_aws_managed_policies(acc.account_id, managed)
        if not spec.management:
            # As in AWS: the role Organizations creates carries AdministratorAccess.
            iam.attach_role_policy(
                RoleName=MEMBER_ROLE, PolicyArn=moto_state.managed_policy_arn("AdministratorAccess")
            )
        direct = DirectSeeder(acc.account_id)
        for pol in spec.policies:
            document = _render(pol.document, acc.account_id)
            acc.policy_arns[pol.name], acc.policy_ids[pol.name] = direct.create_policy(
                pol.name, document, pol.description
            )
        for role in spec.roles:
            self._create_role(direct, acc, role, ids)
        for region in self.spec.regions:
            seeder = RegionSeeder(clients, direct, acc.account_id, region, org_id)
            acc.regions[region] = seeder.run(spec, acc.role_arns)

    def _create_role(
        self, direct: DirectSeeder, acc: SeededAccount, role: RoleSpec, ids: dict[str, str]
    ) -> None:
        principals: list[dict[str, str]] = [{"Service": "lambda.amazonaws.com"}]
        for extra in role.extra_trust:
            if extra.startswith("account:"):
                principals.append({"AWS": f"arn:aws:iam::{ids[extra.split(':', 1)[1]]}:root"})
            else:
                principals.append({"Service": extra})
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": p, "Action": "sts:AssumeRole"} for p in principals
            ],
        }
        boundary = acc.policy_arns[role.boundary] if role.boundary else None
        arn, role_id = direct.create_role(
            role.name,
            trust,
            role.path,
            boundary,
            f"Execution role ({role.archetype})",
            self.role_ids.get((acc.spec.key, role.name)),
        )
        acc.role_arns[role.name], acc.role_ids[role.name] = arn, role_id
        for name in role.aws_managed:
            direct.attach_role_policy(role.name, moto_state.managed_policy_arn(name))
        for name in role.customer_managed:
            direct.attach_role_policy(role.name, acc.policy_arns[name])
        for name, document in role.inline:
            direct.put_role_policy(role.name, name, _render(document, acc.account_id))


def _render(template: str, account_id: str) -> str:
    return template.replace("<ACCOUNT>", account_id)
