"""The demo organization's evidence judged in batches of accounts gives the findings judged whole
(reporter/rules/partition.py; the hand-built cases are in tests/rules/test_partition.py)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd

from reporter.pipeline import EVIDENCE
from reporter.rules.derive import derive
from reporter.rules.engine import run_rules
from reporter.settings import Settings
from reporter.snapshot import read_snapshot, run_date_of
from tests.e2e.conftest import run_cli


def test_demo_findings_are_the_same_judged_account_by_account(tmp_path: Path) -> None:
    # the demo server runs in its own process: moto's state is process-global
    out = tmp_path / "demo"
    proc = run_cli(["--demo", "--out", str(out), "--format", "json"])
    assert proc.returncode == 0, proc.stderr[-3000:]
    inventory, manifest, _ = read_snapshot(out / EVIDENCE)
    judged = derive(inventory)
    settings = Settings(run_date=run_date_of(manifest))
    assert judged["functions"]["account_id"].nunique() >= 3
    whole = run_rules(judged, settings)
    # one function a batch: every account (or group of linked accounts) is judged on its own
    parted = run_rules(judged, replace(settings, rules_partition_functions=1, rules_memory_limit="256MB"))
    pd.testing.assert_frame_equal(parted, whole)

    # the same through the CLI's config file: findings.json byte for byte
    config = tmp_path / "batches.toml"
    config.write_text('rules_partition_functions = 1\nrules_memory_limit = "256MB"\n')
    again = tmp_path / "again"
    proc = run_cli(
        [
            "--from-snapshot",
            str(out / EVIDENCE),
            "--config",
            str(config),
            "--out",
            str(again),
            "--format",
            "json",
        ]
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (again / "findings.json").read_bytes() == (out / "findings.json").read_bytes()
