"""Plumbing the collectors share: pagination, canonical JSON, failures scoped below the unit."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import botocore.exceptions

from reporter.collectors.base import Issue, error_code, error_message

CALL_ERRORS: tuple[type[BaseException], ...] = (
    botocore.exceptions.ClientError,
    botocore.exceptions.BotoCoreError,
    # moto raises this in-process for operations it lacks; base.error_code maps it to NotImplemented
    NotImplementedError,
)
"""Failures of one call that a collector may contain at the scope of the rows it feeds.
Anything else (a KeyError in our own code) is a bug and fails the unit."""


def pages(client: Any, operation: str, **params: Any) -> Iterator[dict[str, Any]]:
    """Every response page of ``operation``; one page when botocore has no paginator for it."""
    if client.can_paginate(operation):
        yield from client.get_paginator(operation).paginate(**params)
    else:
        yield getattr(client, operation)(**params)


def items(client: Any, operation: str, key: str, **params: Any) -> Iterator[dict[str, Any]]:
    """The elements of list ``key`` across all pages of ``operation``."""
    for page in pages(client, operation, **params):
        yield from page.get(key) or ()


def canonical_json(value: Any) -> str:
    """The one JSON spelling stored for documents and policy elements (sorted keys, no spaces)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def aws_code(exc: BaseException) -> str:
    """The AWS error code of a ClientError (``ResourceNotFoundException``), else ``""``."""
    if isinstance(exc, botocore.exceptions.ClientError):
        return str(exc.response.get("Error", {}).get("Code") or "")
    return ""


def issue_for(
    exc: BaseException, tables: tuple[str, ...], resource_arn: str | None = None, context: str = ""
) -> Issue:
    """The Issue for a contained failure; ``context`` names what was being read when it is not a resource."""
    message = f"{context}: {error_message(exc)}" if context else error_message(exc)
    return Issue(tables=tables, error_code=error_code(exc), message=message[:500], resource_arn=resource_arn)
