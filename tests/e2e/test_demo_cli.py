"""Acceptance: the main job on the demo organization, the snapshot re-run, exit codes, bad input."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import boto3
import botocore.session
import pytest

from reporter.acquire import collect
from reporter.aws.discover import DISCOVERY_ACTIONS
from reporter.aws.session import ASSUME_ACTIONS
from reporter.collectors import declared_actions
from reporter.demo.server import DemoServer
from reporter.settings import Settings
from tests.e2e.conftest import run_cli


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo") / "2026-11"
    proc = run_cli(["--demo", "--out", str(out)])
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr
    return out


def test_demo_writes_every_output(demo_run: Path) -> None:
    for name in (
        "findings.json",
        "findings.csv",
        "compliance-report.xlsx",
        "audit-report.pdf",
        "scorecard.pdf",
    ):
        assert (demo_run / name).stat().st_size > 0, name
    manifest = json.loads((demo_run / "evidence" / "manifest.json").read_text())
    assert all((demo_run / "evidence" / name).is_file() for name in manifest["files"])


def test_every_rule_has_pass_and_fail_rows(demo_run: Path) -> None:
    findings = json.loads((demo_run / "findings.json").read_text())
    catalog = run_cli(["--list-rules"]).stdout
    rule_ids = {line.split()[0] for line in catalog.splitlines() if line.startswith("LG-")}
    assert len(rule_ids) == 28
    statuses: dict[str, set[str]] = {}
    for f in findings:
        statuses.setdefault(f["rule_id"], set()).add(f["status"])
    missing = {
        r: sorted(statuses.get(r, set())) for r in rule_ids if not {"pass", "fail"} <= statuses.get(r, set())
    }
    assert not missing


def test_snapshot_rerun_is_byte_identical_and_fail_on_exits_1(demo_run: Path, tmp_path: Path) -> None:
    proc = run_cli(
        [
            "--from-snapshot",
            str(demo_run / "evidence"),
            "--out",
            str(tmp_path),
            "--format",
            "json",
            "--fail-on",
            "critical",
        ]
    )
    assert proc.returncode == 1, proc.stderr[-3000:]
    assert (tmp_path / "findings.json").read_bytes() == (demo_run / "findings.json").read_bytes()


def test_tampered_snapshot_is_exit_2(demo_run: Path, tmp_path: Path) -> None:
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    for f in (demo_run / "evidence").iterdir():
        (evidence / f.name).write_bytes(f.read_bytes())
    target = evidence / "functions.parquet"
    target.write_bytes(target.read_bytes()[:-10])
    proc = run_cli(["--from-snapshot", str(evidence), "--out", str(tmp_path / "o")])
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "sha256" in proc.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--org", "--accounts", "12"], "12-digit"),
        (["--org", "--regions", "moon-1"], "region"),
        (["--demo", "--format", "docx"], "format"),
        (["--demo", "--demo-months", "0"], "demo-months"),
        ([], "nothing to do"),
        (["--demo", "--org"], "choose one"),
        (["--bogus"], "unrecognized"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args: list[str], message: str, tmp_path: Path) -> None:
    proc = run_cli([*args, "--out", str(tmp_path / "o")])
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr and proc.stderr.count("\n") == 1


def test_out_that_is_a_file_is_exit_2(tmp_path: Path) -> None:
    target = tmp_path / "file"
    target.write_text("x")
    proc = run_cli(["--demo", "--out", str(target)])
    assert proc.returncode == 2 and "not a directory" in proc.stderr


def test_no_credentials_is_exit_2(tmp_path: Path) -> None:
    proc = run_cli(
        ["--org", "--regions", "us-east-1", "--out", str(tmp_path)],
        {
            "AWS_CONFIG_FILE": "/nonexistent",
            "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
            "AWS_EC2_METADATA_DISABLED": "true",
        },
    )
    assert proc.returncode == 2, proc.stderr
    assert "credentials" in proc.stderr and "Traceback" not in proc.stderr


def test_whole_demo_crawl_attempts_only_reads(demo_server: DemoServer) -> None:
    c = demo_server.credentials
    session = boto3.Session(
        aws_access_key_id=c["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=c["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=c.get("AWS_SESSION_TOKEN"),
        region_name="us-east-1",
    )
    settings = replace(
        Settings(org=True, demo=True, regions=demo_server.truth.regions),
        endpoint_url=demo_server.endpoint_url,
    )
    collected = collect(settings, session=session)
    monitor = collected.monitor
    assert not monitor.refused
    assert monitor.total() > 100
    # What the crawl attempted, as botocore names it (endpoint prefix, operation), must be an
    # operation of an IAM action the tool declares: an undeclared call would be denied under the
    # printed policy, and a write could not be declared (tests/test_policy.py).
    declared = {*declared_actions(), *DISCOVERY_ACTIONS, *ASSUME_ACTIONS}
    undeclared = monitor.operations() - operations_of(declared)
    assert not undeclared


def operations_of(actions: set[str]) -> set[tuple[str, str]]:
    """(endpoint prefix, operation) of each IAM action that is an API operation of its service."""
    botocore_session = botocore.session.get_session()
    ops: set[tuple[str, str]] = set()
    for action in actions:
        service, operation = action.split(":")
        model = botocore_session.get_service_model(service)
        if operation in model.operation_names:
            ops.add((model.endpoint_prefix, operation))
    return ops


def test_operations_of_names_the_calls_as_the_monitor_sees_them() -> None:
    assert operations_of({"cloudwatch:DescribeAlarms", "lambda:GetFunction", "sts:AssumeRole"}) == {
        ("monitoring", "DescribeAlarms"),  # CloudWatch's endpoint prefix is not its IAM prefix
        ("lambda", "GetFunction"),
        ("sts", "AssumeRole"),
    }
