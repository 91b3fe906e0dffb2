"""--executor: its values, its preflight (one line, exit 2), its config key, and reporter without Dask."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from reporter.aws.executors import ExecutorSpec, executor_problems, parse_executor
from reporter.cli import main
from reporter.settings import Settings, filter_problems, load_config

ROOT = Path(__file__).resolve().parents[2]
BLOCK_DASK = "import sys; sys.modules['dask'] = None; sys.modules['distributed'] = None; "
"""Python run with this prefix behaves as if the extra were not installed (imports raise)."""


@pytest.mark.parametrize(
    ("value", "spec"),
    [
        ("local", ExecutorSpec("local")),
        ("dask-local:3", ExecutorSpec("dask-local", workers=3)),
        ("dask-local", ExecutorSpec("dask-local", workers=os.cpu_count() or 1)),
        ("dask://10.0.0.5:8786", ExecutorSpec("dask", address="tcp://10.0.0.5:8786")),
        ("tcp://scheduler.internal:8786", ExecutorSpec("dask", address="tcp://scheduler.internal:8786")),
        ("dask://[::1]:8786", ExecutorSpec("dask", address="tcp://[::1]:8786")),
    ],
)
def test_executor_values(value: str, spec: ExecutorSpec) -> None:
    assert parse_executor(value) == spec


@pytest.mark.parametrize(
    "value",
    [
        "",
        "threads",
        "dask",
        "dask://host",
        "dask://host:",
        "dask://host:99999",
        "dask-local:0",
        "dask-local:x",
    ],
)
def test_malformed_executor_is_one_problem(value: str) -> None:
    problems = executor_problems(value, "handover")
    assert len(problems) == 1 and "--executor" in problems[0] and "\n" not in problems[0]


def test_worker_credentials_are_checked() -> None:
    assert executor_problems("local", "chain") == []
    assert executor_problems("local", "disk") == [
        "--worker-credentials: 'disk' is not one of handover, chain"
    ]


def test_config_file_sets_the_executor(tmp_path: Path) -> None:
    path = tmp_path / "reporter.toml"
    path.write_text('executor = "dask-local:2"\nworker_credentials = "chain"\n', encoding="utf-8")
    settings = load_config(path, Settings())
    assert (settings.executor, settings.worker_credentials) == ("dask-local:2", "chain")
    assert filter_problems(settings) == []


def test_bad_executor_exits_2_before_anything_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["--demo", "--out", str(tmp_path / "out"), "--format", "json", "--executor", "dask:/x:1"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.splitlines() == [
        "reporter: error: --executor: 'dask:/x:1' is not one of local, dask-local[:N] or dask://HOST:PORT"
    ]
    assert not (tmp_path / "out").exists()


def _python(code: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MOTO_"))}
    return subprocess.run(
        [sys.executable, "-c", BLOCK_DASK + code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_dask_executor_without_the_extra_exits_2(tmp_path: Path) -> None:
    proc = _python(
        "from reporter.cli import main; "
        f"raise SystemExit(main(['--demo', '--out', {str(tmp_path)!r}, '--format', 'json', "
        "'--executor', 'dask-local:2']))"
    )
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.splitlines() == [
        "reporter: error: --executor dask-local:2 needs Dask, which is not installed: "
        "pip install 'reporter[dask]'"
    ]


def test_reporter_imports_without_the_extra() -> None:
    proc = _python(
        "import reporter, reporter.cli, reporter.pipeline, reporter.acquire, reporter.aws.crawl, "
        "reporter.aws.executors; "
        "assert 'distributed' not in [m for m in sys.modules if sys.modules[m] is not None]; "
        "from reporter.aws.executors import dask_missing; print(dask_missing())"
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "True"
