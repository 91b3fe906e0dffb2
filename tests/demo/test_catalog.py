"""The demo organization as data: its shape, its names, and the honesty of its declared intent."""

from __future__ import annotations

import fnmatch
import hashlib
import json
import re
import unicodedata
from typing import Any

import pytest

from reporter.demo import policies
from reporter.demo.catalog import DEMO_REGIONS, LATEST_MONTH, standard_org
from reporter.demo.guide import GUIDE_BOUNDARY, GUIDE_ROLE_POLICY
from reporter.demo.moto_state import managed_policy_document
from reporter.demo.scaled import scaled_org
from reporter.demo.spec import OrgSpec, RoleSpec

# sha256 of the two JSON blocks as printed in shared/guide (collected 2026-11-28).
GUIDE_ROLE_POLICY_SHA256 = "6351420dadc183bf7c35a45f7dafe17f6264b755087443966a7dbc47ea2e9c40"
GUIDE_BOUNDARY_SHA256 = "13a2f537be0c473c142f771c442f9461dda0b9e35a4af00177141599aa2deac9"

FUNCTION_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
ROLE_NAME = re.compile(r"^[\w+=,.@-]{1,64}$")
ENV_NAME = re.compile(r"^[a-zA-Z][a-zA-Z0-9_]+$")


@pytest.fixture(scope="module")
def org() -> OrgSpec:
    return standard_org(7, LATEST_MONTH)


def test_guide_documents_are_verbatim() -> None:
    assert hashlib.sha256(GUIDE_ROLE_POLICY.encode()).hexdigest() == GUIDE_ROLE_POLICY_SHA256
    assert hashlib.sha256(GUIDE_BOUNDARY.encode()).hexdigest() == GUIDE_BOUNDARY_SHA256
    assert "dynamodb:UpdateItem" in GUIDE_ROLE_POLICY and "dynamodb:UpdateItem" not in GUIDE_BOUNDARY


def test_standard_shape(org: OrgSpec) -> None:
    members = [a for a in org.accounts if not a.management]
    assert len(members) >= 6 and sum(a.management for a in org.accounts) == 1
    assert [a.key for a in members if a.suspended] == ["legacy-archive"]
    assert [a.key for a in members if a.denied] == ["acquired-startup"]
    assert max(a.ou_path.count("/") for a in org.accounts) >= 2
    assert org.regions == DEMO_REGIONS
    reachable = [f for a in org.accounts if not (a.suspended or a.denied) for f in a.functions]
    assert len(reachable) >= 60
    assert {f.region for f in reachable} == set(DEMO_REGIONS)


def test_names_are_valid_aws_names(org: OrgSpec) -> None:
    for acc in org.accounts:
        names = [f.name for f in acc.functions]
        assert len(names) == len({(f.name, f.region) for f in acc.functions})
        for fn in acc.functions:
            assert FUNCTION_NAME.match(fn.name), fn.name
            assert all(ENV_NAME.match(k) for k, _ in fn.env), fn.name
            assert set(fn.secret_env) <= {k for k, _ in fn.env}
            assert all(_valid_tag(k) and _valid_tag(v) for k, v in fn.tags), fn.name
        assert all(ROLE_NAME.match(r.name) for r in acc.roles)
        assert all(_valid_tag(k) and _valid_tag(v) for k, v in acc.tags), acc.key


def _valid_tag(text: str) -> bool:
    """AWS tag pattern [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*."""
    return all(unicodedata.category(ch)[0] in "LZN" or ch in "_.:/=+-@" for ch in text)


def test_hostile_content_is_present(org: OrgSpec) -> None:
    functions = [f for a in org.accounts for f in a.functions]
    assert any(len(f.name) == 64 for f in functions)
    assert any(f.name.startswith("-") for f in functions)
    assert any(not a.name.isascii() for a in org.accounts)
    assert any(v.startswith("=") for a in org.accounts for _, v in a.tags)


# --- the declared outcomes of role archetypes agree with their documents -----------------------


def _statements(document: str | dict[str, Any]) -> list[dict[str, Any]]:
    doc = json.loads(document) if isinstance(document, str) else document
    stmts = doc["Statement"]
    return stmts if isinstance(stmts, list) else [stmts]


def _as_list(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value or [])


def _identity_documents(role: RoleSpec) -> list[str | dict[str, Any]]:
    customer = {p.name: p.document for p in policies.customer_policies()}
    docs: list[str | dict[str, Any]] = [managed_policy_document(n) for n in role.aws_managed]
    docs += [customer[n] for n in role.customer_managed]
    docs += [d for _, d in role.inline]
    return docs


def _wildcard(role: RoleSpec) -> bool:
    for document in _identity_documents(role):
        for st in _statements(document):
            if st["Effect"] != "Allow" or "Condition" in st:
                continue
            if "NotAction" in st or any(a == "*" or a.endswith(":*") for a in _as_list(st.get("Action"))):
                return True
    return False


def _boundary_lets_through(role: RoleSpec, action: str) -> bool:
    boundary = {p.name: p.document for p in policies.customer_policies()}[role.boundary or ""]
    matches = [
        st
        for st in _statements(boundary)
        if any(fnmatch.fnmatch(action.lower(), a.lower()) for a in _as_list(st.get("Action")))
    ]
    return any(st["Effect"] == "Allow" for st in matches) and not any(
        st["Effect"] == "Deny" for st in matches
    )


@pytest.mark.parametrize("archetype", policies.ARCHETYPES)
def test_archetype_outcomes_match_documents(archetype: str) -> None:
    role = policies.role("r", archetype, "app", "other-account")
    outcomes = dict(role.outcomes)
    admin = bool({policies.ADMIN, policies.POWER_USER} & set(role.aws_managed))
    assert outcomes["LG-IAM-01"] == ("fail" if admin else "pass")
    assert outcomes["LG-IAM-02"] == ("fail" if _wildcard(role) else "pass")
    assert outcomes["LG-IAM-06"] == ("fail" if role.boundary is None else "pass")
    assert outcomes["LG-IAM-08"] == ("fail" if role.extra_trust else "pass")
    if role.boundary is None:
        assert "LG-IAM-07" not in outcomes and "LG-IAM-09" not in outcomes
    else:
        leaky = any(
            _boundary_lets_through(role, a) for a in ("iam:PassRole", "iam:CreateRole", "kms:Decrypt")
        )
        assert outcomes["LG-IAM-07"] == ("fail" if leaky else "pass")


# --- months and the scaled organization ----------------------------------------------------------


def test_months_keep_function_identities() -> None:
    def names(month: int) -> set[tuple[str, str, str]]:
        return {(a.key, f.region, f.name) for a in standard_org(7, month).accounts for f in a.functions}

    old, mid, new = names(0), names(1), names(2)
    # media-prod (issue 12's cases) joins the organization in the standard month
    joined = {n for k, _, n in new if k == "media-prod"}
    assert joined == {"media-transcoder", "media-preview-api", "media-catalog-milan"}
    assert {n for _, _, n in old - new} == {"orders-legacy-cron"}
    assert {n for _, _, n in new - old} == {"data-etl-loader", "payments-webhook-public"} | joined
    assert {n for _, _, n in new - mid} == {"payments-webhook-public"} | joined and mid <= new
    assert standard_org(7, 0) != standard_org(7, 1) != standard_org(7, 2)
    with pytest.raises(ValueError):
        standard_org(7, 3)


def test_scaled_organization_shape() -> None:
    spec = scaled_org(accounts=4, regions=2, functions_per_region=5, seed=9)
    assert spec == scaled_org(accounts=4, regions=2, functions_per_region=5, seed=9)
    members = [a for a in spec.accounts if not a.management]
    assert len(members) == 4 and not any(a.suspended or a.denied for a in members)
    assert sum(len(a.functions) for a in members) == 4 * 2 * 5
    assert {f.region for a in members for f in a.functions} == set(spec.regions) == {"us-east-1", "eu-west-1"}
    with pytest.raises(ValueError):
        scaled_org(accounts=1, regions=99, functions_per_region=1, seed=1)
