"""The collector contract.

A collector reads one AWS service for one unit of work — (account, region) for regional
services, (account) for IAM — and returns plain records for the tables it declares. It never
evaluates anything (gather once, evaluate many) and never builds its own session: the crawler
hands it a :class:`UnitContext` whose ``client()`` is already read-only-guarded, counted and
pointed at the right credentials and endpoint.

Failures at a smaller scope than the unit (one optional call, one function's ``get_policy``)
are reported as :class:`Issue` rows, so only the rows they affect become ``error`` findings.
A failure of the unit itself is simply raised: the crawler records it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import botocore.exceptions

Scope = Literal["regional", "global"]

UNRANKED = 1000
"""size_rank of a collector that declares none: its units start after every ranked one."""


class ClientFactory(Protocol):
    def __call__(self, service: str) -> Any: ...


class UnitProgress:
    r"""Work one unit's attempts share, so a retry resumes instead of starting again from zero.

    A collector keeps completed parts here (:meth:`keep`); once the crawler gives up on the unit
    (timeout, attempts spent) it :meth:`seal`\ s the progress, so a part finishing late is not
    added, and asks the collector's ``salvage`` for what the kept parts amount to.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: dict[str, Any] = {}
        self._sealed = False
        self.expected = 0
        """Items the collector announced (e.g. functions listed): the crawler scales the timeout by it."""
        self.salvage: Callable[[], Salvage | None] | None = None

    def keep(self, key: str, value: Any) -> bool:
        """Store ``value`` unless the crawler has already given up on the unit; whether it was kept."""
        with self._lock:
            if self._sealed:
                return False
            self._values[key] = value
            return True

    def get(self, key: str, default: Any = None) -> Any:
        with self._lock:
            return self._values.get(key, default)

    def seal(self) -> None:
        with self._lock:
            self._sealed = True


@dataclass(frozen=True)
class Salvage:
    """What a unit given up on still delivers: its completed parts, and a line saying how much."""

    result: CollectResult
    read: int
    unread: int
    tables: tuple[str, ...]
    """The tables left unread for the whole unit (per-item gaps are Issues in ``result``)."""
    summary: str


@dataclass
class UnitContext:
    """What a collector may use for one unit."""

    account_id: str
    region: str
    """The unit's region; for global collectors the region the client talks to (e.g. us-east-1)."""
    client: ClientFactory
    """``client("lambda")`` → a boto3 client for this account and region."""
    partition: str = "aws"
    progress: UnitProgress = field(default_factory=UnitProgress)
    """Shared by the unit's attempts (resumable collectors); a fresh one when run on its own."""


@dataclass(frozen=True)
class Issue:
    """A failure narrower than the unit: these tables (for this resource, if set) are unread."""

    tables: tuple[str, ...]
    error_code: str
    message: str
    resource_arn: str | None = None


@dataclass
class CollectResult:
    records: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)

    def add(self, table: str, record: dict[str, Any]) -> None:
        self.records.setdefault(table, []).append(record)


@dataclass(frozen=True)
class Collector:
    """A service reader, described as data (cf. Cloud Custodian's resource manager)."""

    name: str
    """Short name used in coverage rows: lambda, iam, config, ec2, logs, cloudwatch."""
    scope: Scope
    tables: tuple[str, ...]
    """Tables this collector fills (a unit error marks all of them unread)."""
    actions: tuple[str, ...]
    """IAM actions it calls: the source of ``--print-policy`` and the audit-role template."""
    collect: Callable[[UnitContext], CollectResult]
    seconds_per_item: float = 0.0
    """Added to the unit's timeout per item the collector announces (``UnitProgress.expected``)."""
    size_rank: int = UNRANKED
    """Expected size of one unit, 0 = largest: the crawl starts large units first (ties by name)."""


def error_code(exc: BaseException) -> str:
    """A short, stable code for any failure a collector may meet."""
    if isinstance(exc, botocore.exceptions.ClientError):
        err = exc.response.get("Error", {})
        code = str(err.get("Code") or "")
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if code and not code.isdigit():
            return code
        return f"HTTP{status or code or 'Error'}"
    if isinstance(exc, NotImplementedError):
        return "NotImplemented"
    if isinstance(exc, botocore.exceptions.ReadTimeoutError | botocore.exceptions.ConnectTimeoutError):
        return "Timeout"
    if isinstance(
        exc, botocore.exceptions.EndpointConnectionError | botocore.exceptions.ConnectionClosedError
    ):
        return "ConnectionError"
    if isinstance(exc, botocore.exceptions.NoCredentialsError):
        return "NoCredentials"
    return type(exc).__name__


def error_message(exc: BaseException) -> str:
    """One line, bounded, for the coverage sheet."""
    text = str(exc).replace("\n", " ").strip() or type(exc).__name__
    return text[:500]
