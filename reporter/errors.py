"""Errors that end a run with a specific exit code (DESIGN.md §7)."""

from __future__ import annotations


class ReporterError(Exception):
    """Base class: the message is one line a person can act on."""

    exit_code = 2


class UserError(ReporterError):
    """Bad input: CLI arguments, config, waivers, snapshot. Exit code 2."""

    exit_code = 2


class CollectionFailed(ReporterError):
    """Nothing at all could be collected. Exit code 3."""

    exit_code = 3
