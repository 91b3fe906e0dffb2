"""Where the crawl's units run: ``local`` (threads in this process) or a Dask cluster.

This module only reads the ``--executor`` value and checks it; it imports nothing of Dask, so
``import reporter`` and a local run work without the optional extra (``pip install
'reporter[dask]'``). The Dask run itself is reporter/aws/dask_exec.py, imported only when asked.

Values:

- ``local`` — the default: the thread pool of reporter/aws/crawl.py;
- ``dask-local`` or ``dask-local:N`` — a ``distributed.LocalCluster`` of N worker processes on
  this machine (default: one per core);
- ``dask://HOST:PORT`` — an existing cluster's scheduler (``tcp://HOST:PORT`` is what Dask
  itself calls it; both are accepted).
"""

from __future__ import annotations

import importlib.util
import os
import re
from dataclasses import dataclass
from typing import Literal

WORKER_CREDENTIALS: tuple[str, ...] = ("handover", "chain")
"""How Dask workers get the starting identity: the driver's short-lived keys handed over with each
task (held in memory only), or the workers' own standard credential chain."""
DASK_EXTRA = "pip install 'reporter[dask]'"
MAX_LOCAL_WORKERS = 256

_ADDRESS = re.compile(r"^(?:dask|tcp)://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+):(\d{1,5})$")
_LOCAL = re.compile(r"^dask-local(?::(\d+))?$")


@dataclass(frozen=True)
class ExecutorSpec:
    kind: Literal["local", "dask-local", "dask"]
    workers: int = 0
    """dask-local: worker processes to start."""
    address: str = ""
    """dask: the scheduler's address as Dask spells it (tcp://HOST:PORT)."""

    @property
    def is_dask(self) -> bool:
        return self.kind != "local"


def parse_executor(value: str) -> ExecutorSpec:
    """The executor ``value`` names; ValueError (one line) when it is malformed."""
    text = value.strip()
    if text == "local":
        return ExecutorSpec("local")
    if local := _LOCAL.match(text):
        n = int(local.group(1)) if local.group(1) else (os.cpu_count() or 1)
        if not 1 <= n <= MAX_LOCAL_WORKERS:
            raise ValueError(
                f"--executor {value}: worker processes must be between 1 and {MAX_LOCAL_WORKERS}"
            )
        return ExecutorSpec("dask-local", workers=n)
    if address := _ADDRESS.match(text):
        port = int(address.group(2))
        if not 1 <= port <= 65535:
            raise ValueError(f"--executor {value}: port must be between 1 and 65535")
        return ExecutorSpec("dask", address=f"tcp://{address.group(1)}:{port}")
    raise ValueError(f"--executor: '{value}' is not one of local, dask-local[:N] or dask://HOST:PORT")


def dask_missing() -> bool:
    """Whether Dask's distributed scheduler cannot be imported (the optional extra is absent)."""
    try:
        return importlib.util.find_spec("distributed") is None or importlib.util.find_spec("dask") is None
    except (ImportError, ValueError):  # a module blocked in sys.modules (set to None) raises here
        return True


def executor_problems(executor: str, worker_credentials: str) -> list[str]:
    """One line per problem with the executor settings; checked before anything runs."""
    problems: list[str] = []
    try:
        spec = parse_executor(executor)
    except ValueError as exc:
        problems.append(str(exc))
    else:
        if spec.is_dask and dask_missing():
            problems.append(f"--executor {executor} needs Dask, which is not installed: {DASK_EXTRA}")
    if worker_credentials not in WORKER_CREDENTIALS:
        problems.append(
            f"--worker-credentials: '{worker_credentials}' is not one of {', '.join(WORKER_CREDENTIALS)}"
        )
    return problems
