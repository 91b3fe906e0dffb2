"""DemoGapLayer: the WSGI middleware in front of moto's server app (demo infrastructure only).

For every request: identify it, count it, maybe answer with an injected fault, else answer from
the gap data (operations moto lacks), else pass it to moto, rewriting the few answers moto gets
wrong; then hold the answer until the injected latency has passed since the request arrived.
The tool never knows: it sees AWS's wire format.
"""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Callable, Iterable
from typing import Any

from reporter.demo import wire
from reporter.demo.faults import (
    ACCESS_DENIED,
    CUT_SHORT,
    DROP,
    TRUNCATED,
    UNREADABLE_5XX,
    Decision,
    FaultInjector,
    FaultPlan,
    ServerStats,
)
from reporter.demo.gaps import GapAnswers
from reporter.demo.model import GapData
from reporter.demo.wire import Answer, Call

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

ARRIVED = "reporter.demo.arrived"
"""WSGI environ key: time.monotonic() when the server accepted the request's connection."""
_ACCESS_KEY = re.compile(rb"<AccessKeyId>([^<]+)</AccessKeyId>")
_BUFFERED = frozenset(
    {
        ("lambda", "GetFunction"),
        ("lambda", "GetFunctionConfiguration"),
        ("lambda", "ListFunctions"),
        ("lambda", "GetPolicy"),
    }
)


class DemoGapLayer:
    def __init__(self, app: WsgiApp, data: GapData, plan: FaultPlan, stats: ServerStats) -> None:
        self.app = app
        self.data = data
        self.stats = stats
        self._pacer = _Pacer()
        self.use_faults(plan)

    def use_faults(self, plan: FaultPlan) -> None:
        """Switch fault plans; per-key call ranks keep counting (reset ``stats`` for a fresh sequence)."""
        # Swapped as one tuple so a request in flight never mixes two plans.
        self._state = (plan, FaultInjector(plan), GapAnswers(self.data, plan.denied_accounts))

    @property
    def plan(self) -> FaultPlan:
        return self._state[0]

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        arrived = float(environ.get(ARRIVED) or time.monotonic())
        plan = self._state[0]
        try:
            return self._answer(environ, start_response)
        finally:
            # An answer (a dropped connection included) leaves latency_ms after the request
            # arrived: the server's own work is part of the latency, as AWS's is.
            latency = plan.latency_ms / 1000.0
            remaining = arrived + latency - time.monotonic()
            if remaining > 0:
                self._pacer.sleep(remaining)
            late = latency > 0 and remaining < 0
            self.stats.record_answer(time.monotonic() - arrived, -remaining if late else None)

    def _answer(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        plan, injector, gaps = self._state
        call = wire.identify(environ)
        rank = self.stats.record_call(call.key)
        decision = injector.decide(call, rank)
        if decision is not None:
            self.stats.record_fault(call.key, rank, decision.kind)
            if decision.kind == DROP:
                _drop_connection(environ)
            if decision.kind == TRUNCATED:
                return self._truncated(environ, start_response, call, decision)
            if decision.kind == UNREADABLE_5XX:
                return _send(start_response, wire.unreadable_error(decision.status, decision.body))
            return _send(start_response, wire.error(call, decision.status, decision.code, decision.message))
        answer = gaps.answer(call)
        if answer is not None:
            if answer.status == 403:
                self.stats.record_fault(call.key, rank, ACCESS_DENIED)
            return _send(start_response, answer)
        if (call.service, call.operation) in _BUFFERED:
            return _send(start_response, gaps.rewrite(call, self._moto(environ)))
        if (call.service, call.operation) == ("sts", "AssumeRole") and plan.expire_token_once:
            answer = self._moto(environ)
            _note_session(injector, call, answer)
            return _send(start_response, answer)
        return self.app(environ, start_response)

    def _truncated(
        self, environ: dict[str, Any], start_response: StartResponse, call: Call, decision: Decision
    ) -> list[bytes]:
        """The real answer, cut short (an AssumeRole refusal met this way is not counted as one)."""
        gaps = self._state[2]
        answer = gaps.answer(call) or self._moto(environ)
        short, length = wire.cut(answer, decision.cut, keep_length=decision.body == CUT_SHORT)
        return _send(start_response, short, length)

    def _moto(self, environ: dict[str, Any]) -> Answer:
        captured: dict[str, Any] = {}

        def capture(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Callable[[bytes], None]:
            captured["status"], captured["headers"] = status, headers
            return lambda _chunk: None

        chunks = self.app(environ, capture)
        try:
            body = b"".join(chunks)
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()
        return Answer(int(str(captured["status"]).split()[0]), list(captured["headers"]), body)


class _Pacer:
    """Sleeps that end on time on average, though a busy server wakes its threads late.

    A sleeping handler thread resumes only once it gets the interpreter lock back; in a server
    sharing the machine's cores with the crawler it serves, that takes a few milliseconds, so a
    plain sleep would inject more latency than asked for (54 ms for 50 in the crawl benchmark).
    The pacer shortens each sleep by the running mean of recent oversleeps, by at most a tenth
    of it, so no answer leaves much before its time. ServerStats still times every answer, so
    the latency actually served stays visible.
    """

    WEIGHT = 0.05
    MAX_SHORTENING = 0.1

    def __init__(self) -> None:
        self._oversleep = 0.0

    def sleep(self, seconds: float) -> None:
        planned = max(seconds * (1 - self.MAX_SHORTENING), seconds - self._oversleep)
        started = time.monotonic()
        time.sleep(planned)
        late = time.monotonic() - started - planned
        # a benign race: concurrent updates may drop one sample of a running mean
        self._oversleep += self.WEIGHT * (min(late, seconds) - self._oversleep)


def _note_session(injector: FaultInjector, call: Call, answer: Answer) -> None:
    found = _ACCESS_KEY.search(answer.body)
    role_arn = call.param("RoleArn") or ""
    if answer.status == 200 and found and role_arn.count(":") >= 4:
        injector.note_session(found.group(1).decode(), role_arn.split(":")[4])


def _send(start_response: StartResponse, answer: Answer, length: int | None = None) -> list[bytes]:
    """Send ``answer``; ``length`` announces another Content-Length than its body's (werkzeug then
    closes the connection, as it does after every answer, before the rest arrived)."""
    headers = [(k, v) for k, v in answer.headers if k.lower() != "content-length"]
    headers.append(("Content-Length", str(len(answer.body) if length is None else length)))
    start_response(answer.status_line, headers)
    return [answer.body]


def _drop_connection(environ: dict[str, Any]) -> None:
    """Close the client's connection with no answer; werkzeug treats the error as a dropped client."""
    sock = environ.get("werkzeug.socket")
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
    raise ConnectionAbortedError("demo fault: connection dropped")
