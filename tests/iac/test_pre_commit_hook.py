"""The pre-commit hook (.pre-commit-hooks.yaml), run by pre-commit itself in a subprocess.

pre-commit would install the hook's package into a fresh virtualenv (language: python), which
needs the network; the test runs the same hook definition (entry, args, files) as a local hook
with ``language: system`` and this interpreter, so only the installation step differs.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "iac"

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="pre-commit needs git")


def _run(repo: Path, files: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    pytest.importorskip("pre_commit")
    repo.mkdir()
    for name, text in files.items():
        (repo / name).write_text(text, encoding="utf-8")
    hook = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))[0]
    hook.update(language="system", entry=f"{sys.executable} {hook['entry'].removeprefix('python ')}")
    (repo / ".pre-commit-config.yaml").write_text(
        yaml.safe_dump({"repos": [{"repo": "local", "hooks": [hook]}]}), encoding="utf-8"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PRE_COMMIT_HOME": str(tmp_path / "cache")}
    git = ["git", "-c", "user.email=t@example.com", "-c", "user.name=t"]
    subprocess.run([*git, "init", "-q"], cwd=repo, check=True, env=env)
    subprocess.run([*git, "add", "-A"], cwd=repo, check=True, env=env)
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "run", "--all-files", "--verbose"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_the_hook_fails_the_commit_on_the_failing_example(tmp_path: Path) -> None:
    files = {p.name: p.read_text(encoding="utf-8") for p in EXAMPLES.glob("*.yaml")}
    run = _run(tmp_path / "repo", files, tmp_path)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "orders-api.yaml:97: HIGH LG-PUB-02 OrdersApi" in run.stdout


def test_the_hook_passes_the_guides_example_and_non_templates(tmp_path: Path) -> None:
    files = {
        "template.yaml": (EXAMPLES / "guide-example.sam.yaml").read_text(encoding="utf-8"),
        "settings.json": '{"log_level": "info"}',
    }
    run = _run(tmp_path / "repo", files, tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "LOW LG-IAM-09 GuideFunction" in run.stdout  # reported, below --fail-on high


def test_the_hook_passes_when_no_changed_file_is_a_template(tmp_path: Path) -> None:
    run = _run(tmp_path / "repo", {"settings.json": '{"log_level": "info"}'}, tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "No template or plan among 2 file(s)" in run.stdout  # and .pre-commit-config.yaml
