"""The data files behind the facts: every action they name must exist in the action database."""

from __future__ import annotations

from reporter.iam.actions import action_database
from reporter.iam.catalog import load_catalog
from reporter.iam.facts import escalation_masks


def test_every_escalation_method_can_be_judged() -> None:
    catalog = load_catalog()
    db = action_database()
    unknown = [q.action for m in catalog.escalation_methods for q in m.requires if not db.bit(q.action)]
    assert unknown == []
    assert len(escalation_masks(db, catalog)) == len(catalog.escalation_methods) >= 20
    names = [m.name for m in catalog.escalation_methods]
    assert len(set(names)) == len(names)


def test_escalation_methods_the_rules_name() -> None:
    required = {
        (m.name.split(" (")[0], tuple((q.action, q.on_star) for q in m.requires))
        for m in load_catalog().escalation_methods
    }
    assert ("sts:AssumeRole on *", (("sts:AssumeRole", True),)) in required
    assert ("lambda:UpdateFunctionCode on *", (("lambda:UpdateFunctionCode", True),)) in required
    assert (
        "iam:PassRole + lambda:CreateFunction + lambda:InvokeFunction",
        (("iam:PassRole", False), ("lambda:CreateFunction", False), ("lambda:InvokeFunction", False)),
    ) in required
    singles = {actions[0][0] for _, actions in required if len(actions) == 1}
    assert {
        "iam:AttachRolePolicy",
        "iam:PutRolePolicy",
        "iam:CreatePolicyVersion",
        "iam:UpdateAssumeRolePolicy",
    } <= singles


def test_baseline_actions_exist() -> None:
    db = action_database()
    baseline = load_catalog().baseline_actions
    assert [a for a in baseline if not db.bit(a)] == []
    assert {"logs:PutLogEvents", "ec2:CreateNetworkInterface", "xray:PutTraceSegments"} <= set(baseline)


def test_admin_policy_arns() -> None:
    catalog = load_catalog()
    arns = [
        "arn:aws:iam::aws:policy/AdministratorAccess",
        "arn:aws-cn:iam::aws:policy/PowerUserAccess",
        "arn:aws:iam::aws:policy/ReadOnlyAccess",
        "arn:aws:iam::123456789012:policy/AdministratorAccess",
        "arn:aws:iam::aws:policy/job-function/AdministratorAccess",
    ]
    assert catalog.admin_policy_arns(arns) == arns[:2]
