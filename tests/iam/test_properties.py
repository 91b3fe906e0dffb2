"""Properties over documents generated from the policy grammar (hypothesis).

Documents mix realistic actions (with wildcards, `?` and a name the database does not know),
resources (with wildcards and a policy variable), NotAction/NotResource, Deny and Conditions.
Permissions are compared on a fixed probe set of (action, resource) requests through
:meth:`EffectivePermissions.is_allowed`.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reporter.iam import Access, EffectivePermissions, PolicyError, action_database, derive_role_tables
from reporter.iam.catalog import load_catalog
from reporter.iam.facts import permission_facts, reach
from reporter.iam.grants import permission_rows
from reporter.inventory import frame
from tests.iam.documents import CONDITION, LAMBDA_TRUST, evaluate

ACTIONS = [
    "*",
    "s3:*",
    "s3:Get*",
    "s3:GetObject",
    "s3:PutObject",
    "s3:Put?bject",
    "iam:*",
    "iam:PassRole",
    "lambda:CreateFunction",
    "lambda:InvokeFunction",
    "lambda:UpdateFunctionCode",
    "sts:AssumeRole",
    "dynamodb:UpdateItem",
    "kms:Decrypt",
    "newservice:DoThing",
]
RESOURCES = [
    "*",
    "arn:aws:s3:::b/*",
    "arn:aws:s3:::b/x",
    "arn:aws:s3:::c/*",
    "arn:aws:s3:::*",
    "arn:aws:iam::1:role/*",
    "arn:aws:iam::1:role/r",
    "arn:aws:lambda:us-east-1:1:function:f",
    "arn:aws:s3:::b/${aws:username}/*",
]
FRESH = "zz-fresh-resource"  # matched by no pattern above but `*` (and every NotResource)
PROBE_ACTIONS = [
    "s3:GetObject",
    "s3:PutObject",
    "s3:DeleteObject",
    "iam:PassRole",
    "iam:CreateRole",
    "lambda:UpdateFunctionCode",
    "sts:AssumeRole",
    "dynamodb:UpdateItem",
    "kms:Decrypt",
    "ec2:RunInstances",
    "newservice:DoThing",
]
PROBE_RESOURCES = [
    "arn:aws:s3:::b/x",
    "arn:aws:s3:::b/y/z",
    "arn:aws:s3:::c/k",
    "arn:aws:iam::1:role/r",
    "arn:aws:iam::1:role/q",
    "arn:aws:lambda:us-east-1:1:function:f",
    FRESH,
]
PROBES = [(a, r) for a in PROBE_ACTIONS for r in PROBE_RESOURCES]


def _one_or_more(options: list[str]) -> st.SearchStrategy[Any]:
    return st.one_of(st.sampled_from(options), st.lists(st.sampled_from(options), min_size=1, max_size=3))


@st.composite
def statements(draw: st.DrawFn, effect: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"Effect": effect or draw(st.sampled_from(["Allow", "Deny"]))}
    out["NotAction" if draw(st.integers(0, 5)) == 0 else "Action"] = draw(_one_or_more(ACTIONS))
    out["NotResource" if draw(st.integers(0, 5)) == 0 else "Resource"] = draw(_one_or_more(RESOURCES))
    if draw(st.integers(0, 3)) == 0:
        out["Condition"] = CONDITION
    return out


def documents(min_size: int = 1) -> st.SearchStrategy[str]:
    return st.lists(statements(), min_size=min_size, max_size=4).map(
        lambda s: json.dumps({"Version": "2012-10-17", "Statement": s})
    )


def _access(perms: EffectivePermissions) -> dict[tuple[str, str], Access]:
    return {probe: perms.is_allowed(*probe) for probe in PROBES}


def _granted(
    access: dict[tuple[str, str], Access], level: Access = Access.CONDITIONAL
) -> set[tuple[str, str]]:
    return {probe for probe, got in access.items() if got >= level}


SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(st.lists(documents(), min_size=1, max_size=3), st.one_of(st.none(), documents()))
def test_evaluation_raises_nothing_but_policy_error(identity: list[str], boundary: str | None) -> None:
    try:
        perms = evaluate(*identity, boundary=boundary)
        permission_facts(perms, load_catalog())
        permission_rows(perms)
        _access(perms)
    except PolicyError:
        pass


@SETTINGS
@given(documents(), st.one_of(st.none(), documents()), statements(effect="Deny"))
def test_adding_a_deny_never_adds_permissions(doc: str, boundary: str | None, extra: dict[str, Any]) -> None:
    before = _access(evaluate(doc, boundary=boundary))
    decoded = json.loads(doc)
    decoded["Statement"].append(extra)
    after = _access(evaluate(json.dumps(decoded), boundary=boundary))
    assert _granted(after) <= _granted(before)
    assert _granted(after, Access.ALLOWED) <= _granted(before, Access.ALLOWED)


@SETTINGS
@given(st.lists(documents(), min_size=1, max_size=2), documents())
def test_adding_a_boundary_never_adds_permissions(identity: list[str], boundary: str) -> None:
    without = _access(evaluate(*identity))
    bounded = _access(evaluate(*identity, boundary=boundary))
    assert _granted(bounded) <= _granted(without)
    assert _granted(bounded, Access.ALLOWED) <= _granted(without, Access.ALLOWED)


@SETTINGS
@given(st.lists(documents(), min_size=1, max_size=2), st.one_of(st.none(), documents()))
def test_symbolic_reach_agrees_with_requests(identity: list[str], boundary: str | None) -> None:
    db = action_database()
    perms = evaluate(*identity, boundary=boundary)
    r = reach(perms)
    for action in PROBE_ACTIONS:
        bit = db.bit(action)
        if not bit:
            continue
        # "on every resource" is exactly "allowed on a resource no pattern names"
        fresh = perms.is_allowed(action, FRESH)
        assert bool(r.star & bit) == (fresh is Access.ALLOWED), action
        assert bool(r.star_maybe & bit) == (fresh is not Access.NONE), action
        # "on some resource" covers every concrete request that is allowed
        for resource in PROBE_RESOURCES:
            got = perms.is_allowed(action, resource)
            if got is Access.ALLOWED:
                assert r.some & bit, (action, resource)
            if got is not Access.NONE:
                assert r.some_maybe & bit, (action, resource)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(documents(), min_size=1, max_size=3), st.one_of(st.none(), documents()))
def test_table_facts_equal_whole_role_facts(identity: list[str], boundary: str | None) -> None:
    # derive_role_tables evaluates documents one by one and combines them; it must agree with
    # evaluating the role as a whole.
    try:
        whole = permission_facts(evaluate(*identity, boundary=boundary), load_catalog())
    except PolicyError:
        return
    arn = "arn:aws:iam::1:role/r"
    docs = [
        {"account_id": "1", "policy_key": f"{arn}#inline/p{i}", "kind": "inline", "document": d}
        for i, d in enumerate(identity)
    ]
    if boundary is not None:
        docs.append({"account_id": "1", "policy_key": "arn:aws:iam::1:policy/b", "document": boundary})
    role = {
        "account_id": "1",
        "role_arn": arn,
        "trust_policy": LAMBDA_TRUST,
        "permissions_boundary_arn": None if boundary is None else "arn:aws:iam::1:policy/b",
        "attached_policy_arns": [],
        "inline_policy_names": [f"p{i}" for i in range(len(identity))],
    }
    out = derive_role_tables(frame("roles", [role]), frame("policy_documents", docs))
    (f,) = out["role_facts"].to_dict("records")
    assert f["analysis_error"] is None or f["analysis_error"] != f["analysis_error"]  # null
    assert f["admin_like"] == whole.admin_like
    assert list(f["write_on_star"]) == list(whole.write_on_star)
    assert list(f["privilege_escalation"]) == list(whole.privilege_escalation)
    assert list(f["boundary_allows_iam"]) == list(whole.boundary_allows_iam)
    assert sorted(f["dead_grants"]) == sorted(whole.dead_grants)
    patterns = {entry.split(": ", 1)[1] for entry in f["wildcard_actions"]}
    assert patterns == {pattern for _, pattern in whole.wildcard_actions}
