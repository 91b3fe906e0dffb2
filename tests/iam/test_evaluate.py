"""Effective permissions and the facts rules read, scenario by scenario."""

from __future__ import annotations

from reporter.iam import Access
from reporter.iam.actions import ALL_ACTIONS
from reporter.iam.facts import CONDITIONAL
from reporter.iam.grants import permission_rows
from tests.iam.documents import (
    CONDITION,
    GUIDE_BOUNDARY,
    GUIDE_ROLE_POLICY,
    allow,
    deny,
    evaluate,
    facts,
    policy,
)

TABLE = "arn:aws:dynamodb:us-east-1:123456789012:table/AppStateTable"
PASS_AND_CREATE = "iam:PassRole + lambda:CreateFunction (a new function runs with a passed role)"
PASS_CREATE_INVOKE = "iam:PassRole + lambda:CreateFunction + lambda:InvokeFunction"
ADMIN = policy(allow("*"))

# --- the guide's own example role and boundary --------------------------------------------------


def test_guide_role_under_guide_boundary() -> None:
    f = facts(GUIDE_ROLE_POLICY, boundary=GUIDE_BOUNDARY)
    assert not f.admin_like
    assert f.wildcard_actions == ()
    assert f.write_on_star == ()  # its logs actions are on arn:aws:logs:…:*, not "*"
    assert f.privilege_escalation == ()
    assert f.boundary_allows_iam == ()  # DenyPrivilegeEscalation blocks every iam and kms action
    assert f.dead_grants == ("dynamodb:UpdateItem",)  # GetItem is allowed by the boundary


def test_guide_role_requests() -> None:
    perms = evaluate(GUIDE_ROLE_POLICY, boundary=GUIDE_BOUNDARY)
    assert perms.is_allowed("dynamodb:GetItem", TABLE) is Access.ALLOWED
    assert perms.is_allowed("dynamodb:UpdateItem", TABLE) is Access.NONE  # dead grant
    assert perms.is_allowed("s3:PutObject", "arn:aws:s3:::my-app-data-bucket/processed/x") is Access.ALLOWED
    # inside the boundary's prefix but outside the role's own grant: still not allowed
    assert perms.is_allowed("s3:PutObject", "arn:aws:s3:::my-app-data-bucket/raw/x") is Access.NONE
    assert (
        perms.is_allowed("logs:PutLogEvents", "arn:aws:logs:us-east-1:123456789012:log-group:x")
        is Access.ALLOWED
    )
    assert (
        perms.is_allowed("logs:PutLogEvents", "arn:aws:logs:us-east-1:999999999999:log-group:x")
        is Access.NONE
    )
    assert perms.is_allowed("iam:PassRole", "*") is Access.NONE


def test_guide_role_rows() -> None:
    rows = {
        (r.action, r.resource): r
        for r in permission_rows(evaluate(GUIDE_ROLE_POLICY, boundary=GUIDE_BOUNDARY))
    }
    assert rows[("dynamodb:updateitem", TABLE)].blocked_by_boundary
    assert not rows[("dynamodb:getitem", TABLE)].blocked_by_boundary
    put = rows[("s3:putobject", "arn:aws:s3:::my-app-data-bucket/processed/*")]
    assert (put.access_level, put.conditional, put.blocked_by_boundary) == ("Write", False, False)
    assert len(rows) == 7


def test_guide_role_without_boundary() -> None:
    f = facts(GUIDE_ROLE_POLICY)
    assert f.dead_grants == () and f.boundary_allows_iam == ()
    assert evaluate(GUIDE_ROLE_POLICY).is_allowed("dynamodb:UpdateItem", TABLE) is Access.ALLOWED


# --- LG-IAM-03: write on "*" beyond the Lambda baseline -------------------------------------------


def test_baseline_and_star_only_actions_are_not_write_on_star() -> None:
    baseline = policy(
        allow(["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]),
        allow(["ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses"]),
        allow(["xray:PutTraceSegments", "xray:PutTelemetryRecords"]),
        allow("lambda:CreateEventSourceMapping"),  # supports only Resource "*"
    )
    assert facts(baseline).write_on_star == ()
    assert facts(policy(allow(["logs:DeleteLogGroup", "s3:PutObject"]))).write_on_star == (
        "logs:DeleteLogGroup",
        "s3:PutObject",
    )


def test_write_on_specific_resources_is_not_on_star() -> None:
    assert facts(policy(allow("s3:PutObject", "arn:aws:s3:::b/*"))).write_on_star == ()


# --- admin-like roles ----------------------------------------------------------------------------


def test_admin_like_role() -> None:
    f = facts(ADMIN)
    assert f.admin_like
    assert f.wildcard_actions == ((0, "*"),)
    assert f.write_on_star == (ALL_ACTIONS,)
    assert {PASS_AND_CREATE, PASS_CREATE_INVOKE} <= set(f.privilege_escalation)
    assert "sts:AssumeRole on * (assume any role that trusts the account)" in f.privilege_escalation
    assert [r.action for r in permission_rows(evaluate(ADMIN))] == ["*"]  # one row, not 20,000


def test_admin_under_guide_boundary_is_narrowed() -> None:
    f = facts(ADMIN, boundary=GUIDE_BOUNDARY)
    assert not f.admin_like
    assert f.write_on_star == () and f.privilege_escalation == () and f.boundary_allows_iam == ()
    assert f.wildcard_actions == ((0, "*"),)  # LG-IAM-02 judges the grant, not the boundary
    (dead,) = f.dead_grants
    assert dead.startswith(f"{ALL_ACTIONS} except ") and "dynamodb:GetItem" in dead


def test_blanket_deny_of_iam() -> None:
    f = facts(policy(allow("*"), deny("iam:*")))
    assert not f.admin_like
    assert f.write_on_star == (f"{ALL_ACTIONS} except iam:*",)
    assert not any(name.startswith("iam:") for name in f.privilege_escalation)
    assert "sts:AssumeRole on * (assume any role that trusts the account)" in f.privilege_escalation


# --- wildcard actions (LG-IAM-02) ----------------------------------------------------------------


def test_service_wildcard_inline() -> None:
    f = facts(policy(allow("s3:*"), allow("s3:Get*"), allow("dynamodb:*", "arn:aws:dynamodb:*:*:table/t")))
    assert f.wildcard_actions == ((0, "s3:*"), (0, "dynamodb:*"))  # service:* whatever its resource
    assert "s3:*" in f.write_on_star


def test_conditioned_wildcard_is_not_reported() -> None:
    assert facts(policy(allow("s3:*", Condition=CONDITION))).wildcard_actions == ()


def test_not_action_allow() -> None:
    doc = policy({"Effect": "Allow", "NotAction": ["iam:*"], "Resource": "*"})
    perms = evaluate(doc)
    assert perms.is_allowed("newservice:AnythingNew", "*") is Access.ALLOWED  # future actions too
    assert perms.is_allowed("iam:PassRole", "*") is Access.NONE
    f = facts(doc)
    assert f.wildcard_actions == ((0, "NotAction [iam:*]"),)
    assert f.write_on_star[0] == f"{ALL_ACTIONS} except iam:*"
    assert not f.admin_like
    assert [r.action for r in permission_rows(perms)] == ["NotAction [iam:*]"]


# --- resources -------------------------------------------------------------------------------------


def test_not_resource_allow() -> None:
    doc = policy({"Effect": "Allow", "Action": "s3:PutObject", "NotResource": "arn:aws:s3:::secret/*"})
    perms = evaluate(doc)
    assert perms.is_allowed("s3:PutObject", "arn:aws:s3:::secret/x") is Access.NONE
    assert perms.is_allowed("s3:PutObject", "arn:aws:s3:::public/x") is Access.ALLOWED
    assert facts(doc).write_on_star == ("s3:PutObject",)  # everything but one bucket is "*"


def test_resource_scoped_deny_removes_only_that_resource() -> None:
    doc = policy(allow("s3:*"), deny("s3:DeleteObject", "arn:aws:s3:::prod/*"))
    perms = evaluate(doc)
    assert perms.is_allowed("s3:DeleteObject", "arn:aws:s3:::prod/x") is Access.NONE
    assert perms.is_allowed("s3:DeleteObject", "arn:aws:s3:::dev/x") is Access.ALLOWED
    assert "s3:*" in facts(doc).write_on_star
    rows = {(r.action, r.resource) for r in permission_rows(perms)}
    assert rows == {("s3:*", "*")}


def test_deny_with_not_resource_confines_the_grant() -> None:
    doc = policy(
        allow("s3:PutObject"), {"Effect": "Deny", "Action": "s3:*", "NotResource": "arn:aws:s3:::mine/*"}
    )
    perms = evaluate(doc)
    assert perms.is_allowed("s3:PutObject", "arn:aws:s3:::mine/x") is Access.ALLOWED
    assert perms.is_allowed("s3:PutObject", "arn:aws:s3:::other/x") is Access.NONE
    assert facts(doc).write_on_star == ()
    assert [(r.action, r.resource) for r in permission_rows(perms)] == [
        ("s3:putobject", "arn:aws:s3:::mine/*")
    ]


def test_fully_denied_grants_leave_no_row() -> None:
    doc = policy(allow("iam:PassRole", "arn:aws:iam::1:role/x"), deny("iam:*"))
    assert permission_rows(evaluate(doc)) == []


def test_policy_variable_in_deny_is_conditional() -> None:
    doc = policy(allow("s3:PutObject"), deny("s3:PutObject", "arn:aws:s3:::home/${aws:username}/*"))
    perms = evaluate(doc)
    assert perms.is_allowed("s3:PutObject", "arn:aws:s3:::home/bob/x") is Access.CONDITIONAL
    assert perms.is_allowed("s3:PutObject", "arn:aws:s3:::other/x") is Access.ALLOWED


def test_policy_variable_in_not_resource_widens_what_the_statement_reaches() -> None:
    home = "arn:aws:s3:::home/${aws:username}/*"
    # "deny everything but your own home": whose home a request is for depends on the caller
    guard = {"Effect": "Deny", "Action": "s3:*", "NotResource": home}
    only_home = evaluate(policy(allow("s3:GetObject"), guard))
    assert only_home.is_allowed("s3:GetObject", "arn:aws:s3:::home/alice/x") is Access.CONDITIONAL
    assert only_home.is_allowed("s3:GetObject", "arn:aws:s3:::other/x") is Access.NONE  # nobody's home
    # "allow everything but your own home": over-stated, never under-stated
    all_but = evaluate(policy({"Effect": "Allow", "Action": "s3:GetObject", "NotResource": home}))
    assert all_but.is_allowed("s3:GetObject", "arn:aws:s3:::home/alice/x") is Access.ALLOWED


# --- conditions ---------------------------------------------------------------------------------------


def test_conditioned_allow_is_granted_but_conditional() -> None:
    doc = policy(
        allow(["iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"], Condition=CONDITION)
    )
    perms = evaluate(doc)
    assert perms.is_allowed("iam:PassRole", "arn:aws:iam::1:role/x") is Access.CONDITIONAL
    f = facts(doc)
    assert f.privilege_escalation == (PASS_AND_CREATE + CONDITIONAL, PASS_CREATE_INVOKE + CONDITIONAL)
    assert all(r.conditional for r in permission_rows(perms))


def test_conditioned_deny_does_not_remove_but_is_not_ignored() -> None:
    doc = policy(allow("s3:*"), deny("s3:*", Condition={"Bool": {"aws:SecureTransport": "false"}}))
    perms = evaluate(doc)
    assert perms.is_allowed("s3:PutObject", "arn:aws:s3:::b/x") is Access.CONDITIONAL
    f = facts(doc)
    assert f.write_on_star == (f"s3:*{CONDITIONAL}",)
    assert f.wildcard_actions == ((0, "s3:*"),)  # the grant itself is unconditional
    (row,) = permission_rows(perms)
    assert row.conditional and not row.blocked_by_boundary


# --- boundaries --------------------------------------------------------------------------------------


def test_boundary_allowing_iam_star() -> None:
    assert facts(GUIDE_ROLE_POLICY, boundary=policy(allow("*"))).boundary_allows_iam == ("iam:*", "kms:*")
    assert facts(ADMIN, boundary=policy(allow(["iam:*", "s3:*"]))).boundary_allows_iam == ("iam:*",)


def test_boundary_iam_pass_through_is_resource_aware() -> None:
    only_pass_role = policy(allow("iam:PassRole", "arn:aws:iam::1:role/app"))
    assert facts(ADMIN, boundary=only_pass_role).boundary_allows_iam == ("iam:PassRole",)
    # a Deny on one ARN still lets iam:* through everywhere else
    one_denied = policy(allow("*"), deny("iam:*", "arn:aws:iam::1:role/admin"))
    assert facts(ADMIN, boundary=one_denied).boundary_allows_iam == ("iam:*", "kms:*")
    not_action = policy({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})
    assert facts(ADMIN, boundary=not_action).boundary_allows_iam == ("kms:*",)


def test_boundary_grants_nothing_by_itself() -> None:
    perms = evaluate(policy(allow("s3:GetObject")), boundary=policy(allow("*")))
    assert perms.is_allowed("s3:PutObject", "*") is Access.NONE
    assert perms.is_allowed("s3:GetObject", "arn:aws:s3:::b/k") is Access.ALLOWED


def test_boundary_deny_makes_dead_grants_and_boundary_narrows_others() -> None:
    doc = policy(allow("iam:PassRole"), allow("s3:GetObject"))
    # iam:PassRole is denied by the boundary: dead. s3:GetObject on "*" is narrowed to the
    # boundary's bucket: alive, and no longer on "*".
    f = facts(doc, boundary=GUIDE_BOUNDARY)
    assert f.dead_grants == ("iam:PassRole",)
    perms = evaluate(doc, boundary=GUIDE_BOUNDARY)
    rows = {(r.action, r.resource, r.blocked_by_boundary) for r in permission_rows(perms)}
    # The boundary's AllowedServiceAccess statement lists the table ARN next to the bucket, so
    # the intersection holds it too, as IAM would compute it (no s3 object ever has that ARN).
    assert rows == {
        ("iam:passrole", "*", True),
        ("s3:getobject", "arn:aws:s3:::my-app-data-bucket/*", False),
        ("s3:getobject", TABLE, False),
    }


def test_no_boundary() -> None:
    f = facts(ADMIN)
    assert f.boundary_allows_iam == () and f.dead_grants == ()


# --- escalation specifics ---------------------------------------------------------------------------


def test_escalation_scopes() -> None:
    on_one_role = facts(policy(allow("sts:AssumeRole", "arn:aws:iam::1:role/x")))
    assert on_one_role.privilege_escalation == ()
    assert facts(policy(allow("sts:AssumeRole"))).privilege_escalation == (
        "sts:AssumeRole on * (assume any role that trusts the account)",
    )
    assert (
        facts(
            policy(allow("lambda:UpdateFunctionCode", "arn:aws:lambda:*:1:function:f"))
        ).privilege_escalation
        == ()
    )
    scoped = policy(
        allow("iam:PassRole", "arn:aws:iam::1:role/x"),
        allow(["lambda:CreateFunction", "lambda:InvokeFunction"], "arn:aws:lambda:*:1:function:*"),
    )
    assert facts(scoped).privilege_escalation == (PASS_AND_CREATE, PASS_CREATE_INVOKE)
    assert facts(policy(allow("iam:AttachRolePolicy", "arn:aws:iam::1:role/self"))).privilege_escalation == (
        "iam:AttachRolePolicy",
    )


def test_unknown_action_names() -> None:
    doc = policy(allow(["newservice:DoThing", "s3:GetObject"]))
    assert facts(doc, boundary=policy(allow("s3:*"))).dead_grants == ("newservice:dothing",)
    assert facts(doc, boundary=policy(allow("*"))).dead_grants == ()
    assert facts(doc, boundary=policy(allow("*"), deny("newservice:*"))).dead_grants == (
        "newservice:dothing",
    )
    rows = permission_rows(evaluate(doc, boundary=policy(allow("s3:*"))))
    assert [(r.action, r.access_level, r.blocked_by_boundary) for r in rows] == [
        ("newservice:dothing", "Unknown", True),
        ("s3:getobject", "Read", False),
    ]
