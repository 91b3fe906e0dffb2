"""The transient rule, bounded attempts, and botocore taught both (answers.py), against scripted answers.

Every request is answered in botocore's before-send, so each test says exactly which bytes come
back on which attempt and counts the attempts botocore made.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import botocore.config
import botocore.exceptions
import botocore.parsers
import pytest
from botocore.awsrequest import AWSResponse
from botocore.compat import HTTPHeaders

from reporter.aws.session import AwsAccess
from reporter.aws.transient import INCOMPLETE, Attempts, is_transient, is_transient_code

FUNCTIONS = {"Functions": [{"FunctionName": "fn", "FunctionArn": "arn:aws:lambda:us-east-1:1:function:fn"}]}
IDENTITY = (
    '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>'
    "<Arn>arn:aws:iam::111111111111:user/me</Arn><UserId>AID</UserId><Account>111111111111</Account>"
    "</GetCallerIdentityResult></GetCallerIdentityResponse>"
)
DENIED = (
    "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>no</Message></Error>"
    "<RequestId>r</RequestId></ErrorResponse>"
)
HTML = b'<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01//EN"><HTML><BODY>503 ERROR</BODY></HTML>'


def _client_error(code: str, status: int) -> botocore.exceptions.ClientError:
    response: Any = {"Error": {"Code": code, "Message": "m"}, "ResponseMetadata": {"HTTPStatusCode": status}}
    return botocore.exceptions.ClientError(response, "Op")


@pytest.mark.parametrize(
    ("failure", "expected"),
    [
        (_client_error("ThrottlingException", 400), True),
        (_client_error("TooManyRequestsException", 429), True),
        (_client_error("SomethingNew", 429), True),
        (_client_error("InternalFailure", 500), True),
        (_client_error("KMSInternalException", 502), True),
        (_client_error("503", 503), True),
        (_client_error("403", 403), True),  # an error answer that named no code: its body was unreadable
        (_client_error(INCOMPLETE, 200), True),
        (_client_error("AccessDenied", 403), False),
        (_client_error("ValidationException", 400), False),
        (_client_error("ResourceNotFoundException", 404), False),
        (_client_error("ExpiredToken", 400), False),
        (botocore.exceptions.ConnectionClosedError(endpoint_url="http://x"), True),
        (botocore.exceptions.ReadTimeoutError(endpoint_url="http://x"), True),
        (botocore.exceptions.EndpointConnectionError(endpoint_url="http://x"), True),
        (botocore.parsers.ResponseParserError("Unable to parse response"), True),
        (botocore.exceptions.NoCredentialsError(), False),
        (KeyError("Functions"), False),
    ],
)
def test_the_rule(failure: BaseException, expected: bool) -> None:
    assert is_transient(failure) is expected


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("HTTP503", True),
        ("HTTP429", True),
        ("ServiceException", True),
        ("ConnectionError", True),
        ("Timeout", True),
        (INCOMPLETE, True),
        ("AccessDenied", False),
        ("InvalidPolicy", False),
        ("ExpiredTokenException", False),
        ("", False),
    ],
)
def test_the_rule_for_a_code_alone(code: str, expected: bool) -> None:
    assert is_transient_code(code) is expected


def test_attempts_retry_only_transient_failures_and_count_them(monkeypatch: pytest.MonkeyPatch) -> None:
    waits: list[float] = []
    tries = Attempts(3, sleep=waits.append)
    answers: Iterator[BaseException | str] = iter([_client_error("ThrottlingException", 400), "ok"])

    def call() -> str:
        answer = next(answers)
        if isinstance(answer, BaseException):
            raise answer
        return answer

    assert tries.run(call) == "ok" and tries.made == 2 and len(waits) == 1
    with pytest.raises(botocore.exceptions.ClientError):
        tries.run(lambda: (_ for _ in ()).throw(_client_error("AccessDenied", 403)))
    assert tries.made == 1
    with pytest.raises(botocore.exceptions.ClientError):
        tries.run(lambda: (_ for _ in ()).throw(_client_error("HTTP503", 503)))
    assert tries.made == 3


# --- botocore, through the tool's clients ---------------------------------------------------


class _Raw:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body


Scripted = tuple[int, dict[str, str], bytes]


class Script:
    """Answers the n-th request with the n-th answer (the last one again after that)."""

    def __init__(self, *answers: Scripted) -> None:
        self.answers = answers
        self.requests = 0

    def before_send(self, request: Any, **_: Any) -> AWSResponse:
        status, headers, body = self.answers[min(self.requests, len(self.answers) - 1)]
        self.requests += 1
        http_headers = HTTPHeaders()
        for key, value in headers.items():
            http_headers[key] = value
        return AWSResponse(request.url, status, http_headers, _Raw(body))


@pytest.fixture
def client() -> Callable[[str, Script], Any]:
    session = boto3.Session(aws_access_key_id="AK", aws_secret_access_key="s", region_name="us-east-1")
    access = AwsAccess.from_session(session, endpoint_url="http://aws.invalid", workers=2)
    config = botocore.config.Config(retries={"mode": "adaptive", "total_max_attempts": 3})

    def make(service: str, script: Script) -> Any:
        made = access.client(service, "us-east-1", config=config)
        made.meta.events.register_last("before-send", script.before_send)
        return made

    return make


JSON = {"Content-Type": "application/json"}
XML = {"Content-Type": "text/xml"}


def test_an_unparseable_5xx_from_a_query_service_is_retried(client: Callable[[str, Script], Any]) -> None:
    # botocore alone raises ResponseParserError here and never tries again
    plain = (503, {"Content-Type": "text/plain"}, b"upstream connect error")
    script = Script(plain, (200, XML, IDENTITY.encode()))
    assert client("sts", script).get_caller_identity()["Account"] == "111111111111"
    assert script.requests == 2


@pytest.mark.parametrize(
    "first",
    [
        (503, {"Content-Type": "text/html"}, HTML),
        (500, {}, b""),
        (429, {"Content-Type": "text/html"}, HTML),
        (200, XML, IDENTITY.encode()[:80]),
        (200, XML, HTML),
        (200, {**XML, "Content-Length": str(len(IDENTITY) + 50)}, IDENTITY.encode()),
    ],
    ids=["html-503", "empty-500", "html-429", "cut-200", "html-200", "short-of-its-length"],
)
def test_every_unreadable_answer_is_retried(client: Callable[[str, Script], Any], first: Scripted) -> None:
    script = Script(first, (200, XML, IDENTITY.encode()))
    assert client("sts", script).get_caller_identity()["Account"] == "111111111111"
    assert script.requests == 2


def test_a_cut_json_listing_is_never_read_as_an_empty_one(client: Callable[[str, Script], Any]) -> None:
    body = json.dumps(FUNCTIONS).encode()
    script = Script((200, JSON, body[:30]), (200, JSON, b""), (200, JSON, body))
    assert client("lambda", script).list_functions()["Functions"] == FUNCTIONS["Functions"]
    assert script.requests == 3
    # and when every attempt is cut, the call fails rather than answering "no functions"
    always_cut = Script((200, JSON, body[:30]))
    with pytest.raises(botocore.exceptions.ClientError) as failed:
        client("lambda", always_cut).list_functions()
    assert failed.value.response["Error"]["Code"] == INCOMPLETE and always_cut.requests == 3
    assert is_transient(failed.value)


def test_clear_aws_errors_are_not_retried(client: Callable[[str, Script], Any]) -> None:
    denied = Script((403, XML, DENIED.encode()))
    with pytest.raises(botocore.exceptions.ClientError) as failed:
        client("sts", denied).get_caller_identity()
    assert failed.value.response["Error"]["Code"] == "AccessDenied" and denied.requests == 1
    # Lambda's not-found, named only in the body (moto's way): the code survives botocore's
    # second pass over modeled errors
    missing = Script((404, JSON, b'{"__type": "ResourceNotFoundException", "message": "gone"}'))
    with pytest.raises(botocore.exceptions.ClientError) as failed:
        client("lambda", missing).get_policy(FunctionName="fn")
    assert failed.value.response["Error"]["Code"] == "ResourceNotFoundException" and missing.requests == 1


def test_a_429_is_retried_whatever_its_code(client: Callable[[str, Script], Any]) -> None:
    body = json.dumps(FUNCTIONS).encode()
    by_status = Script((429, {"x-amzn-ErrorType": "SomeNewThrottle"}, b"{}"), (200, JSON, body))
    assert client("lambda", by_status).list_functions()["Functions"] and by_status.requests == 2
