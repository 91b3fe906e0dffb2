"""Issue 17: bad inputs end the run before any AWS call; a late failure says how to resume.

The zero-call proofs run the CLI in this process against the demo server, so that a check that
let a bad input through would crawl: every CallMonitor the run creates is kept and must have seen
no call, and the demo server must have answered none. ``--check`` is the positive control: the same
instruments see its three reads.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from reporter.aws.guard import CallMonitor
from reporter.cli import main
from reporter.demo.server import DemoServer
from tests.e2e.conftest import run_cli, server_env

BAD_WAIVER = "waivers:\n  - rule: LG-PUB-01\n    reason: r\n    owner: o\n    expires: 2027-01-01\n"
EMPTY_FONTCONFIG = '<?xml version="1.0"?>\n<fontconfig><cachedir>{}</cachedir></fontconfig>\n'


@pytest.fixture
def monitors(monkeypatch: pytest.MonkeyPatch) -> list[CallMonitor]:
    """Every CallMonitor created while the test runs (one per AWS access the run sets up)."""
    made: list[CallMonitor] = []
    original = CallMonitor.__init__

    def init(self: CallMonitor) -> None:
        original(self)
        made.append(self)

    monkeypatch.setattr(CallMonitor, "__init__", init)
    return made


@pytest.fixture
def against_demo(demo_server: DemoServer, monkeypatch: pytest.MonkeyPatch) -> DemoServer:
    for name, value in server_env(demo_server).items():
        monkeypatch.setenv(name, value)
    return demo_server


def _file(tmp: Path) -> Path:
    path = tmp / "plain-file"
    path.write_text("x")
    return path


def _waivers(tmp: Path) -> Path:
    path = tmp / "bad.yaml"
    path.write_text(BAD_WAIVER)
    return path


def _config(tmp: Path) -> Path:
    path = tmp / "c.toml"
    path.write_text("workers = 4\ncolour = 'red'\n")
    return path


def _no_fonts(tmp: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    conf = tmp / "fonts.conf"
    conf.write_text(EMPTY_FONTCONFIG.format(tmp / "fc-cache"))
    monkeypatch.setenv("FONTCONFIG_FILE", str(conf))


CASES: list[tuple[str, Callable[[Path], list[str]], str]] = [
    ("waivers", lambda t: ["--waivers", str(_waivers(t))], "bad.yaml:2: waiver lacks required key 'id'"),
    ("config", lambda t: ["--config", str(_config(t))], "c.toml:2: unknown key 'colour'"),
    ("out", lambda t: ["--out", str(_file(t) / "o")], "exists and is not a folder"),
    ("history", lambda t: ["--history", str(_file(t) / "h")], "--history: "),
    ("compare", lambda t: ["--compare", str(t)], "not a usable history run"),
    ("regions", lambda t: ["--regions", "us-east-1,moon-1"], "--regions: 'moon-1'"),
    ("accounts", lambda t: ["--accounts", "1234"], "--accounts: '1234'"),
    ("pdf", lambda t: ["--format", "json,pdf"], "--format pdf: fontconfig finds no font"),
]


@pytest.mark.parametrize(("name", "extra", "message"), CASES, ids=[c[0] for c in CASES])
def test_each_input_problem_is_reported_before_any_aws_call(
    name: str,
    extra: Callable[[Path], list[str]],
    message: str,
    tmp_path: Path,
    against_demo: DemoServer,
    monitors: list[CallMonitor],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    if name == "pdf":
        _no_fonts(tmp_path, monkeypatch)
    answered = against_demo.stats.total_calls()
    args = ["--org", "--format", "json", "--out", str(tmp_path / "reports" / "2026-12"), *extra(tmp_path)]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err
    assert all(line.startswith("reporter: error: ") for line in err.splitlines()), err
    assert sum(m.total() for m in monitors) == 0
    assert against_demo.stats.total_calls() == answered
    assert not (tmp_path / "reports").exists()


def test_check_reads_the_caller_and_the_account_count_only(
    tmp_path: Path,
    against_demo: DemoServer,
    monitors: list[CallMonitor],
    capsys: pytest.CaptureFixture[str],
) -> None:
    answered = against_demo.stats.total_calls()
    assert main(["--org", "--check", "--format", "json", "--out", str(tmp_path / "o")]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "inputs: ok"
    assert out[1].startswith("caller: arn:aws:iam::") and "reporter-auditor" in out[1]
    # the oracle: the demo's seeding intent (one account suspended, the rest active)
    accounts = against_demo.truth.accounts
    active = sum(a.status == "ACTIVE" for a in accounts)
    expected = f" {len(accounts)} accounts ({active} active, {len(accounts) - active} suspended)"
    assert out[2].startswith("organization o-") and expected in out[2]
    assert out[-1] == "ready"
    operations = set().union(*(m.operations() for m in monitors))
    assert operations == {
        ("sts", "GetCallerIdentity"),
        ("organizations", "DescribeOrganization"),
        ("organizations", "ListAccounts"),
    }
    calls = sum(m.total() for m in monitors)
    assert against_demo.stats.total_calls() - answered == calls == 3
    assert not (tmp_path / "o").exists()


def test_check_refuses_accounts_outside_the_organization(
    tmp_path: Path, against_demo: DemoServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--accounts", "999999999999", "--check", "--format", "json", "--out", str(tmp_path)]) == 2
    assert "--accounts: not in the organization: 999999999999" in capsys.readouterr().err


# --- the real CLI, as a user runs it -----------------------------------------------------------------


def test_demo_with_a_bad_waiver_fails_fast_without_crawling(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    started = time.perf_counter()
    proc = run_cli(["--demo", "--waivers", str(_waivers(tmp_path)), "--out", str(out)])
    elapsed = time.perf_counter() - started
    assert proc.returncode == 2
    assert proc.stderr == f"reporter: error: {tmp_path}/bad.yaml:2: waiver lacks required key 'id'\n"
    assert not out.exists()
    # Not a timing test (the machine may be busy): the crawl alone takes several times this.
    assert elapsed < 30, elapsed


def test_demo_check_prints_caller_account_count_and_ready(tmp_path: Path, against_demo: DemoServer) -> None:
    proc = run_cli(["--demo", "--check", "--out", str(tmp_path / "o")])
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[1].startswith("caller: arn:aws:iam::")
    # --demo serves the standard demo organization: its seeding intent is the oracle
    assert f"{len(against_demo.truth.accounts)} accounts" in lines[2]
    assert lines[-1] == "ready"
    assert "crawl" not in proc.stderr
    assert not (tmp_path / "o").exists()


def test_a_render_failure_after_the_crawl_prints_a_resume_command_that_works(tmp_path: Path) -> None:
    out = tmp_path / "my reports" / "2026-12"  # a space: the command must be quoted
    blocker = out / "findings.json" / "x"  # a folder where the report goes: renaming onto it fails
    blocker.mkdir(parents=True)
    waivers = tmp_path / "w.yaml"
    waivers.write_text("waivers:\n  - {id: W-1, rule: LG-PUB-*, reason: r, owner: o, expires: 2999-12-31}\n")
    proc = run_cli(["--demo", "--format", "json", "--waivers", str(waivers), "--out", str(out)])
    assert proc.returncode == 4, proc.stderr[-2000:]
    tail = proc.stderr.splitlines()[-3:]
    assert tail[0].startswith("reporter: error: unexpected IsADirectoryError after collection: ")
    assert tail[1].startswith(f"reporter: the evidence of the crawl is saved in {out / 'evidence'};")
    command = shlex.split(tail[2])
    assert command[1:] == [
        "-m",
        "reporter",
        "--from-snapshot",
        str(out / "evidence"),
        "--out",
        str(out),
        "--format",
        "json",
        "--waivers",
        str(waivers),
    ]
    manifest = (out / "evidence" / "manifest.json").read_bytes()

    blocker.rmdir()
    blocker.parent.rmdir()
    resumed = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    findings = json.loads((out / "findings.json").read_text())
    assert {f["rule_id"] for f in findings} >= {"LG-PUB-01", "LG-IAM-01"}
    assert {f["status"] for f in findings if f["rule_id"].startswith("LG-PUB-")} >= {"waived", "pass"}
    assert (out / "evidence" / "manifest.json").read_bytes() == manifest  # judged, not crawled again
