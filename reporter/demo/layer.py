"""DemoGapLayer: the WSGI middleware in front of moto's server app (demo infrastructure only).

For every request: identify it, count it, sleep the injected latency, maybe answer with an
injected fault, else answer from the gap data (operations moto lacks), else pass it to moto,
rewriting the few answers moto gets wrong. The tool never knows: it sees AWS's wire format.
"""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Callable, Iterable
from typing import Any

from reporter.demo import wire
from reporter.demo.faults import ACCESS_DENIED, DROP, FaultInjector, FaultPlan, ServerStats
from reporter.demo.gaps import GapAnswers
from reporter.demo.model import GapData
from reporter.demo.wire import Answer, Call

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

_ACCESS_KEY = re.compile(rb"<AccessKeyId>([^<]+)</AccessKeyId>")
_BUFFERED = frozenset(
    {("lambda", "GetFunction"), ("lambda", "GetFunctionConfiguration"), ("lambda", "ListFunctions")}
)


class DemoGapLayer:
    def __init__(self, app: WsgiApp, data: GapData, plan: FaultPlan, stats: ServerStats) -> None:
        self.app = app
        self.data = data
        self.stats = stats
        self.use_faults(plan)

    def use_faults(self, plan: FaultPlan) -> None:
        """Switch fault plans; per-key call ranks keep counting (reset ``stats`` for a fresh sequence)."""
        # Swapped as one tuple so a request in flight never mixes two plans.
        self._state = (plan, FaultInjector(plan), GapAnswers(self.data, plan.denied_accounts))

    @property
    def plan(self) -> FaultPlan:
        return self._state[0]

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        plan, injector, gaps = self._state
        call = wire.identify(environ)
        rank = self.stats.record_call(call.key)
        if plan.latency_ms:
            time.sleep(plan.latency_ms / 1000.0)
        decision = injector.decide(call, rank)
        if decision is not None:
            self.stats.record_fault(call.key, rank, decision.kind)
            if decision.kind == DROP:
                _drop_connection(environ)
            return _send(start_response, wire.error(call, decision.status, decision.code, decision.message))
        answer = gaps.answer(call)
        if answer is not None:
            if answer.status == 403:
                self.stats.record_fault(call.key, rank, ACCESS_DENIED)
            return _send(start_response, answer)
        if (call.service, call.operation) in _BUFFERED:
            return _send(start_response, gaps.rewrite_snap_start(call, self._moto(environ)))
        if (call.service, call.operation) == ("sts", "AssumeRole") and plan.expire_token_once:
            answer = self._moto(environ)
            _note_session(injector, call, answer)
            return _send(start_response, answer)
        return self.app(environ, start_response)

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


def _note_session(injector: FaultInjector, call: Call, answer: Answer) -> None:
    found = _ACCESS_KEY.search(answer.body)
    role_arn = call.param("RoleArn") or ""
    if answer.status == 200 and found and role_arn.count(":") >= 4:
        injector.note_session(found.group(1).decode(), role_arn.split(":")[4])


def _send(start_response: StartResponse, answer: Answer) -> list[bytes]:
    headers = [(k, v) for k, v in answer.headers if k.lower() != "content-length"]
    headers.append(("Content-Length", str(len(answer.body))))
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
