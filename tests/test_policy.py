from __future__ import annotations

import json
import subprocess
import sys

from reporter.audit_policy import audit_policy
from reporter.audit_role_template import audit_role_template
from reporter.aws.discover import DISCOVERY_ACTIONS
from reporter.aws.guard import is_read_operation
from reporter.collectors import COLLECTORS, declared_actions


def test_printed_policy_is_exactly_what_the_collectors_declare() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "reporter", "--print-policy"], capture_output=True, text=True, check=True
    )
    policy = json.loads(proc.stdout)
    assert policy == audit_policy()
    statements = {s["Sid"]: s for s in policy["Statement"]}
    assert statements["ReporterCollectors"]["Action"] == list(declared_actions())
    assert set(statements["ReporterDiscoveryManagementAccountOnly"]["Action"]) == set(DISCOVERY_ACTIONS)


def test_role_template_grants_the_same_actions() -> None:
    role = audit_role_template()["Resources"]["AuditRole"]["Properties"]
    assert role["Policies"][0]["PolicyDocument"]["Statement"][0]["Action"] == list(declared_actions())


def test_every_declared_action_is_a_read() -> None:
    for collector in COLLECTORS:
        assert collector.actions, collector.name
        for action in collector.actions:
            service, operation = action.split(":")
            assert is_read_operation(service, operation), action


def test_starting_identity_may_assume_the_audit_role_and_only_it() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "reporter", "--print-policy", "--role-name", "ReporterAudit"],
        capture_output=True,
        text=True,
        check=True,
    )
    statements = {s["Sid"]: s for s in json.loads(proc.stdout)["Statement"]}
    assume = statements["ReporterAssumeAuditRoleStartingIdentityOnly"]
    assert assume["Action"] == ["sts:AssumeRole"]
    assert assume["Resource"] == "arn:*:iam::*:role/ReporterAudit"
    assert all("sts:AssumeRole" not in s["Action"] for sid, s in statements.items() if sid != assume["Sid"])
