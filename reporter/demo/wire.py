"""Reading AWS requests and writing AWS answers on the wire, for the demo's gap layer.

A request is identified the way AWS does it: the SigV4 credential scope names the access key,
region and signing service; the protocol then names the operation (``Action`` for query/EC2,
``X-Amz-Target`` for JSON, method + path for REST-JSON, matched by moto's router over the
botocore model). The account is moto's own choice for that access key.
"""

from __future__ import annotations

import io
import json
import re
import uuid
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, NamedTuple
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

from reporter.demo import moto_state

_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/\d{8}/([^/]+)/([^/]+)/aws4_request")
SIGNING_TO_SERVICE = {"monitoring": "cloudwatch", "execute-api": "apigateway"}
GLOBAL_SERVICES = frozenset({"iam", "organizations"})
_QUERY_XMLNS = {
    "iam": "https://iam.amazonaws.com/doc/2010-05-08/",
    "sts": "https://sts.amazonaws.com/doc/2011-06-15/",
}


class CallKey(NamedTuple):
    """Where a call lands: IAM and Organizations calls count under region "global"."""

    account_id: str
    region: str
    service: str
    operation: str


@dataclass
class Call:
    method: str
    path: str
    query: dict[str, list[str]]
    content_type: str
    target: str
    body: bytes
    access_key: str
    account_id: str
    region: str
    service: str
    protocol: str
    """query | ec2 | json | rest-json"""
    operation: str = "Unknown"
    params: dict[str, Any] = field(default_factory=dict)
    """Form fields (query/EC2) or the JSON body (JSON protocol)."""

    @property
    def key(self) -> CallKey:
        region = "global" if self.service in GLOBAL_SERVICES else self.region
        return CallKey(self.account_id, region, self.service, self.operation)

    def param(self, name: str) -> str | None:
        value = self.params.get(name)
        return None if value is None else str(value)


def identify(environ: dict[str, Any]) -> Call:
    """Describe the request; its body is read once and put back for the next application."""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    found = _CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
    access_key, region, signing = found.groups() if found else ("", "us-east-1", "")
    service = SIGNING_TO_SERVICE.get(signing, signing)
    content_type = environ.get("CONTENT_TYPE", "")
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    call = Call(
        method=environ.get("REQUEST_METHOD", "GET"),
        path=environ.get("PATH_INFO", "/"),
        query=parse_qs(environ.get("QUERY_STRING", "")),
        content_type=content_type,
        target=target,
        body=body,
        access_key=access_key,
        account_id=moto_state.account_of_access_key(access_key),
        region=region,
        service=service,
        protocol=_protocol(service, content_type, target),
    )
    if call.protocol in ("query", "ec2"):
        form = parse_qs(body.decode("utf-8", "replace")) if body else {}
        merged = {**call.query, **form}
        call.params = {k: v[0] for k, v in merged.items()}
        call.operation = call.params.get("Action", "Unknown")
    elif call.protocol == "json":
        call.operation = target.rsplit(".", 1)[-1] or "Unknown"
        try:
            parsed = json.loads(body or b"{}")
        except ValueError:
            parsed = {}
        call.params = parsed if isinstance(parsed, dict) else {}
    else:
        call.operation = _rest_operation(service, environ)
    return call


def _protocol(service: str, content_type: str, target: str) -> str:
    if content_type.startswith("application/x-www-form-urlencoded"):
        return "ec2" if service == "ec2" else "query"
    if target or content_type.startswith("application/x-amz-json"):
        return "json"
    return "rest-json"


def _rest_operation(service: str, environ: dict[str, Any]) -> str:
    from moto.core.request import Request
    from moto.core.routing import get_service_router

    try:
        operation, _ = get_service_router(service).match(Request(dict(environ)))
    except Exception:  # an unknown service or path is moto's to answer, not ours to name
        return "Unknown"
    return str(operation.name)


@dataclass
class Answer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    @property
    def status_line(self) -> str:
        return f"{self.status} {HTTPStatus(self.status).phrase}"


def request_id() -> str:
    return str(uuid.uuid4())


def json_answer(call: Call, payload: dict[str, Any], status: int = 200) -> Answer:
    """A JSON-protocol or REST-JSON success answer."""
    content_type = call.content_type if call.protocol == "json" else "application/json"
    body = json.dumps(payload).encode()
    return Answer(
        status,
        [("Content-Type", content_type or "application/json"), ("x-amzn-RequestId", request_id())],
        body,
    )


def xml_answer(payload: str, status: int = 200) -> Answer:
    return Answer(status, [("Content-Type", "text/xml")], payload.encode())


def error(call: Call, status: int, code: str, message: str) -> Answer:
    """An error answer in the call's protocol, parsed by botocore into ClientError(code)."""
    rid = request_id()
    if call.protocol == "rest-json":
        body = json.dumps({"Type": "User" if status < 500 else "Service", "message": message}).encode()
        headers = [
            ("Content-Type", "application/json"),
            ("x-amzn-ErrorType", code),
            ("x-amzn-RequestId", rid),
        ]
        return Answer(status, headers, body)
    if call.protocol == "json":
        body = json.dumps({"__type": code, "message": message}).encode()
        headers = [
            ("Content-Type", call.content_type or "application/x-amz-json-1.1"),
            ("x-amzn-RequestId", rid),
        ]
        # awsQueryCompatible services (CloudWatch) take the code from this header when present.
        headers.append(("x-amzn-query-error", f"{code};{'Sender' if status < 500 else 'Receiver'}"))
        return Answer(status, headers, body)
    if call.protocol == "ec2":
        xml = (
            '<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error>'
            f"<Code>{escape(code)}</Code><Message>{escape(message)}</Message>"
            f"</Error></Errors><RequestID>{rid}</RequestID></Response>"
        )
        return xml_answer(xml, status)
    xmlns = _QUERY_XMLNS.get(call.service, "")
    xml = (
        f'<ErrorResponse xmlns="{xmlns}"><Error><Type>{"Sender" if status < 500 else "Receiver"}</Type>'
        f"<Code>{escape(code)}</Code><Message>{escape(message)}</Message></Error>"
        f"<RequestId>{rid}</RequestId></ErrorResponse>"
    )
    return xml_answer(xml, status)


_UNREADABLE_BODIES = {
    # Envoy's answer when the service behind it reset the connection
    "text": (
        "text/plain",
        "upstream connect error or disconnect/reset before headers. reset reason: {phrase}",
    ),
    # CloudFront's error page, abridged
    "html": (
        "text/html",
        '<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN" '
        '"http://www.w3.org/TR/html4/loose.dtd">\n<HTML><HEAD><TITLE>ERROR: The request could not be '
        "satisfied</TITLE></HEAD><BODY>\n<H1>{status} ERROR</H1>\n<H2>The request could not be "
        "satisfied.</H2>\n</BODY></HTML>\n",
    ),
    "empty": ("text/plain", ""),
}


def unreadable_error(status: int, body: str) -> Answer:
    """A ``status`` answer whose body is not the service's format (``body``: text, html or empty)."""
    content_type, template = _UNREADABLE_BODIES[body]
    text = template.format(status=status, phrase=HTTPStatus(status).phrase.lower())
    return Answer(status, [("Content-Type", content_type)], text.encode())


def cut(answer: Answer, share: float, *, keep_length: bool) -> tuple[Answer, int]:
    """``answer`` with only ``share`` of its body, and the Content-Length to announce: the full
    length (the connection then closes before it all arrived) or, with ``keep_length``, the cut one."""
    kept = min(int(len(answer.body) * share), max(len(answer.body) - 1, 0))
    announced = max(len(answer.body), 1)
    short = Answer(answer.status, answer.headers, answer.body[:kept])
    return short, (kept if keep_length else announced)
