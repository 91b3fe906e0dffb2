"""botocore, taught the transient rule: unreadable answers become errors it can retry, and its
per-request retries decide by :func:`reporter.aws.transient.is_transient`.

botocore reads an answer's body after its retry loop has stopped looking for exceptions: a 5xx
whose body is plain text raises ResponseParserError from a query/EC2 client and is never retried;
a 200 whose JSON body is empty or cut short parses, silently, as an answer with nothing in it
(as would ListFunctions with no functions), and a body cut short by a closed connection is read
as if complete. Such answers do come: botocore's own comment on generic error pages says "This
can also happen if you're going through a proxy" (parsers.py ``_is_generic_error_response``).
ResponseParserError carries no HTTP status, so it cannot be judged after the fact; two extension
points of botocore close the gap instead:

- the session's ``response_parser_factory`` component (:func:`install_parsers`): its parsers
  check the body first. An error answer whose body cannot be read becomes botocore's generic
  error (code = the HTTP status, as botocore spells an HTML 5xx); a successful answer whose
  body cannot be read becomes an error named :data:`~reporter.aws.transient.INCOMPLETE`;
- each client's ``needs-retry`` handler (:func:`install_retries`): botocore's standard handler
  (backoff, retry quota) with its checker replaced by the rule. ``after-call`` then raises
  ``INCOMPLETE`` as a ClientError when the attempts are spent, so no caller mistakes it for data.
"""

from __future__ import annotations

import json
import re
from http import HTTPStatus
from typing import Any

import botocore.exceptions
import botocore.parsers
from botocore.retries import quota, standard
from botocore.retries.base import BaseRetryableChecker

from reporter.aws.transient import INCOMPLETE, is_transient

_JSON = frozenset({"json", "rest-json"})
_XML_ROOT = re.compile(rb"^\s*(<\?xml[^>]*\?>\s*)?<(\w+:)?\w*Response[\s>]")
"""Query and EC2 answers are an ``<OperationResponse>`` document (EC2 errors: ``<Response>``)."""


class CheckingParserFactory(botocore.parsers.ResponseParserFactory):
    def create_parser(self, protocol_name: str) -> Any:
        return _CheckingParser(super().create_parser(protocol_name), protocol_name)


class _CheckingParser:
    def __init__(self, inner: Any, protocol: str) -> None:
        self._inner = inner
        self._protocol = protocol

    def parse(self, response: dict[str, Any], shape: Any) -> dict[str, Any]:
        status = int(response["status_code"])
        if not isinstance(response.get("body", b""), bytes):
            return dict(self._inner.parse(response, shape))  # a streamed body: read by its caller
        if status >= 300 and shape is not None and shape.metadata.get("exception", False):
            # botocore's second pass over an error answer, for its modeled fields: the first pass
            # (shape = the operation's output) has judged the body already
            try:
                return dict(self._inner.parse(response, shape))
            except (botocore.parsers.ResponseParserError, KeyError, ValueError):
                return {}
        problem = _unreadable(self._protocol, status, response.get("body") or b"", response, shape)
        if problem is None:
            try:
                parsed: dict[str, Any] = self._inner.parse(response, shape)
            except (botocore.parsers.ResponseParserError, KeyError, ValueError) as exc:
                # e.g. query's result wrapper missing from a well-formed but foreign document
                problem = f"{type(exc).__name__}: {exc}"
            else:
                error = parsed.get("Error")
                if status < 300 or (isinstance(error, dict) and error.get("Code")):
                    return parsed
                problem = "it names no error code"
        return _unreadable_answer(status, response, problem)


def _unreadable(protocol: str, status: int, body: bytes, response: dict[str, Any], shape: Any) -> str | None:
    """Why the body cannot be this protocol's answer, or None when it may be."""
    headers = response.get("headers", {})
    declared = str(headers.get("content-length", ""))
    # botocore reads what arrived without comparing (urllib3's enforce_content_length is off)
    if declared.isdigit() and "content-encoding" not in headers and int(declared) != len(body):
        return f"{len(body)} of its {declared} bytes arrived"
    if protocol in _JSON:
        if not body.strip():
            if status >= 300:
                named = protocol == "rest-json" and "x-amzn-errortype" in headers
                return None if named else "its body is empty"
            return "its body is empty" if _expects_body(shape) else None
        if shape is not None and status < 300 and getattr(shape, "serialization", {}).get("payload"):
            return None  # the body is a raw payload, not a JSON document
        try:
            document = json.loads(body)
        except ValueError as exc:
            return f"its body is not JSON ({exc})"
        return None if isinstance(document, dict) else "its body is not a JSON object"
    if protocol in ("query", "ec2") and not _XML_ROOT.match(body[:512]):
        return "its body is not an AWS XML answer"
    return None


def _expects_body(shape: Any) -> bool:
    members = getattr(shape, "members", None) or {}
    return any(not m.serialization.get("location") for m in members.values())


def _unreadable_answer(status: int, response: dict[str, Any], problem: str) -> dict[str, Any]:
    body = response.get("body") or b""
    excerpt = body[:120].decode("utf-8", "replace").replace("\n", " ")
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = "HTTP status"
    headers = response.get("headers", {})
    request_id = headers.get("x-amzn-requestid") or headers.get("x-amz-request-id") or ""
    return {
        "Error": {
            "Code": INCOMPLETE if status < 300 else str(status),
            "Message": f"{status} {reason}: the answer cannot be read: {problem} (body {excerpt!r})",
        },
        "ResponseMetadata": {"HTTPStatusCode": status, "HTTPHeaders": dict(headers), "RequestId": request_id},
    }


def install_parsers(session: Any) -> None:
    """Clients the botocore ``session`` builds from now on check every answer's body."""
    if not isinstance(session.get_component("response_parser_factory"), CheckingParserFactory):
        session.register_component("response_parser_factory", CheckingParserFactory())


class _RuleChecker(BaseRetryableChecker):
    """botocore's retry conditions, with the transient rule in place of its own."""

    def __init__(self, max_attempts: int) -> None:
        self._max = standard.MaxAttemptsChecker(max_attempts)

    def is_retryable(self, context: standard.RetryContext) -> bool:
        if not self._max.is_retryable(context):
            return False
        status = context.http_response.status_code if context.http_response is not None else None
        if context.caught_exception is None and (status is None or status < 300):
            return bool(context.get_error_code() == INCOMPLETE)
        return is_transient(context.caught_exception, str(context.get_error_code() or ""), status)


def install_retries(client: Any) -> None:
    """Put the rule in place of the retry checker of ``client`` (standard/adaptive mode; not legacy)."""
    retries = client.meta.config.retries or {}
    if retries.get("mode") not in ("standard", "adaptive"):
        return
    name = client.meta.service_model.service_id.hyphenize()
    max_attempts = retries.get("total_max_attempts") or standard.DEFAULT_MAX_ATTEMPTS
    adapter = standard.RetryEventAdapter()
    detector = standard.ThrottlingErrorDetector(adapter)
    retry_quota = standard.RetryQuotaChecker(quota.RetryQuota(), detector)
    handler = standard.RetryHandler(
        retry_policy=standard.RetryPolicy(
            retry_checker=_RuleChecker(max_attempts),
            retry_backoff=standard.ExponentialBackoff(service_name=name, throttling_detector=detector),
        ),
        retry_event_adapter=adapter,
        retry_quota=retry_quota,  # type: ignore[arg-type]  # botocore passes this type itself
        service_name=name,
    )
    events = client.meta.events
    # same unique id as botocore's handler: ours takes its place
    unique_id = f"retry-config-{name}"
    events.unregister(f"needs-retry.{name}", unique_id=unique_id)
    events.register(f"needs-retry.{name}", handler.needs_retry, unique_id=unique_id)
    events.register(f"after-call.{name}", retry_quota.release_retry_quota)
    events.register(f"after-call.{name}", _raise_incomplete)


def _raise_incomplete(http_response: Any, parsed: dict[str, Any], model: Any, **_: Any) -> None:
    error = parsed.get("Error")
    if http_response.status_code < 300 and isinstance(error, dict) and error.get("Code") == INCOMPLETE:
        raise botocore.exceptions.ClientError(parsed, model.name)  # type: ignore[arg-type]
