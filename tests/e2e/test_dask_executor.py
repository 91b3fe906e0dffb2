"""The crawl on a Dask cluster (issue 16): the demo's findings.json is byte-identical to a local run's.

The worker-killed and credential-chain tests are tests/aws/test_dask_crawl.py: they start their own
DemoServer, which must run before this folder's session-wide one (one per process)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.e2e.conftest import ROOT, run_cli

BLOCK_DASK = "import sys; sys.modules['dask'] = None; sys.modules['distributed'] = None; "


def test_demo_findings_on_dask_local_equal_a_local_run_without_dask(tmp_path: Path) -> None:
    # the local run in a Python where Dask cannot be imported: the default needs no extra
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MOTO_"))}
    local = subprocess.run(
        [
            sys.executable,
            "-c",
            BLOCK_DASK + "from reporter.cli import main; raise SystemExit(main(sys.argv[1:]))",
            *("--demo", "--format", "json", "--executor", "local", "--out", str(tmp_path / "local")),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert local.returncode == 0, local.stderr[-3000:]
    dask = run_cli(
        ["--demo", "--format", "json", "--executor", "dask-local:2", "--out", str(tmp_path / "dask")]
    )
    assert dask.returncode == 0, dask.stderr[-3000:]
    expected = (tmp_path / "local" / "findings.json").read_bytes()
    assert (tmp_path / "dask" / "findings.json").read_bytes() == expected
    assert json.loads(expected)  # a real report, not two empty files
