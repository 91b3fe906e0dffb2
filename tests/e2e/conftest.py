from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from reporter.demo.server import DemoServer

ROOT = Path(__file__).resolve().parents[2]


def run_cli(
    args: list[str], env: Mapping[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """The real CLI in a subprocess, as a user would run it."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MOTO_"))}
    full_env.update(env or {})
    proc = subprocess.run(
        [sys.executable, "-m", "reporter", *args],
        cwd=ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    # whatever the exit code, a run of the CLI never ends in a traceback (issue 12)
    assert "Traceback (most recent call last)" not in proc.stderr, proc.stderr[-3000:]
    return proc


@pytest.fixture(scope="session")
def demo_server() -> Iterator[DemoServer]:
    with DemoServer() as demo:
        yield demo


def server_env(demo: DemoServer) -> dict[str, str]:
    env = dict(demo.credentials)
    env["AWS_ENDPOINT_URL"] = demo.endpoint_url
    return env
