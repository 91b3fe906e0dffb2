"""Errors that end a run with a specific exit code (DESIGN.md §7, README "Exit codes")."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

MAX_LISTED = 20
"""Problems listed at most in one error (a file with hundreds of bad lines is still readable)."""


class ReporterError(Exception):
    """Base class: the message is one line a person can act on (one line per problem)."""

    exit_code = 2


class UserError(ReporterError):
    """Bad input: CLI arguments, config, waivers, snapshot. Exit code 2."""

    exit_code = 2


class CollectionFailed(ReporterError):
    """Nothing at all could be collected. Exit code 3."""

    exit_code = 3


def problems_error(problems: Sequence[str]) -> UserError:
    """One UserError listing ``problems`` one per line, the first :data:`MAX_LISTED` of them."""
    lines = list(problems[:MAX_LISTED])
    if len(problems) > MAX_LISTED:
        lines.append(f"… and {len(problems) - MAX_LISTED} more problem(s) not listed")
    return UserError("\n".join(lines))


class AfterCollectionFailed(ReporterError):
    """Judging or rendering failed after the crawl's evidence was saved.

    The crawl is the expensive part (an hour on a large organization), so the CLI follows the
    message with the command that judges and renders the saved evidence again. Bad input keeps its
    exit code 2; anything else (a bug, a full disk, a dead PDF engine) is 4, an interruption 130.
    """

    def __init__(self, cause: BaseException, *, evidence: Path, out: Path) -> None:
        if isinstance(cause, ReporterError):
            message, code = str(cause), cause.exit_code
        elif isinstance(cause, KeyboardInterrupt):
            message, code = "interrupted", 130
        else:
            detail = " ".join(str(cause).split()) or "(no message)"
            message = f"unexpected {type(cause).__name__} after collection: {detail} (-v shows where)"
            code = 4
        super().__init__(message)
        self.exit_code = code
        self.evidence = evidence
        self.out = out
