"""DemoServer: seed a demo organization into moto, then serve it over HTTP on a loopback port.

    with DemoServer(seed=7) as demo:
        session = boto3.Session(
            aws_access_key_id=demo.credentials["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=demo.credentials["AWS_SECRET_ACCESS_KEY"],
            region_name="us-east-1",
        )
        session.client("organizations", endpoint_url=demo.endpoint_url).list_accounts()

moto's state is process-global, so one DemoServer runs at a time per process; entering a second
one raises RuntimeError (to crawl the same organization under other faults, call ``set_faults``
on the running one). Leaving the context stops the server and forgets the organization. Do not
enter a DemoServer while moto's ``mock_aws`` is active in the same process.

``credentials`` are environment variables for the starting identity (the IAM user
``reporter-auditor`` of the management account) and include ``AWS_ENDPOINT_URL``, so a child
process given them talks to the demo with no further option.
"""

from __future__ import annotations

import datetime as dt
import gc
import threading
import time
from typing import Any

from reporter.demo import moto_state, truth
from reporter.demo.catalog import LATEST_MONTH, standard_org
from reporter.demo.faults import FaultPlan, ServerStats
from reporter.demo.layer import ARRIVED, DemoGapLayer
from reporter.demo.model import DemoTruth, GapData
from reporter.demo.scaled import scaled_org
from reporter.demo.seed import HOME_REGION, role_ids_of
from reporter.demo.seed import seed as seed_org
from reporter.demo.spec import OrgSpec


class DemoServer:
    _running = threading.Lock()

    def __init__(
        self,
        *,
        seed: int = 7,
        month: int | None = None,
        faults: FaultPlan | None = None,
        as_of: dt.date | None = None,
        spec: OrgSpec | None = None,
    ) -> None:
        """Configure; nothing is seeded or served before the context is entered.

        ``seed`` fixes every identifier (account ids included) and the generated secrets.
        ``month``: None (or 2, ``LATEST_MONTH``) is the standard demo; 0 and 1 are its two previous
        months, oldest first (``demo_month_indexes(n)`` lists the values for n monthly runs).
        ``as_of`` is the date runtime-deprecation expectations are computed for (default: today, UTC).
        ``spec`` replaces the standard organization (see :meth:`scaled`).
        """
        self.seed = seed
        self.month = LATEST_MONTH if month is None else month
        self.faults = faults or FaultPlan()
        self.as_of = as_of or dt.datetime.now(dt.UTC).date()
        self._spec = spec
        self.stats = ServerStats()
        self.endpoint_url = ""
        self.credentials: dict[str, str] = {}
        self.seed_seconds = 0.0
        self._truth: DemoTruth | None = None
        self._gap_data: GapData | None = None
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._owns_moto = False
        self._layer: DemoGapLayer | None = None

    @classmethod
    def scaled(
        cls,
        *,
        accounts: int = 50,
        regions: int = 3,
        functions_per_region: int = 20,
        seed: int = 7,
        faults: FaultPlan | None = None,
    ) -> DemoServer:
        """A bigger synthetic organization for benchmarks: ``accounts`` members, all reachable."""
        spec = scaled_org(
            accounts=accounts, regions=regions, functions_per_region=functions_per_region, seed=seed
        )
        return cls(seed=seed, faults=faults, spec=spec)

    def set_faults(self, plan: FaultPlan) -> None:
        """Change the fault plan of the running server (call ranks keep counting; see ``stats.reset``)."""
        self.faults = plan
        if self._layer is not None:
            self._layer.use_faults(plan)

    @property
    def truth(self) -> DemoTruth:
        if self._truth is None:
            raise RuntimeError("the demo organization is seeded when the DemoServer is entered")
        return self._truth

    def __enter__(self) -> DemoServer:
        if not DemoServer._running.acquire(blocking=False):
            raise RuntimeError(
                "another DemoServer is running in this process (moto's state is process-global)"
            )
        self._owns_moto = True
        try:
            self._start()
        except BaseException:
            self._stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop()

    def _start(self) -> None:
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

        started = time.perf_counter()
        spec = self._spec or standard_org(self.seed, self.month)
        role_ids = None
        if self._spec is None and self.month != LATEST_MONTH:
            # A role keeps its id across months, as in AWS (Config reports roles by id): seed the
            # standard month first to learn the ids, then the month asked for with those ids.
            role_ids = role_ids_of(seed_org(standard_org(self.seed), self.seed))
        seeded = seed_org(spec, self.seed, role_ids)
        self._truth, self._gap_data = truth.build(spec, seeded, self.as_of)
        self.seed_seconds = time.perf_counter() - started
        moto_state.serve_lighter()
        # The seeded organization lives as long as the server: keep the collector from walking
        # it again and again (a full collection of a large organization stalls every request
        # in flight for a few hundred milliseconds).
        gc.collect()
        gc.freeze()
        self._layer = DemoGapLayer(
            DomainDispatcherApplication(create_backend_app), self._gap_data, self.faults, self.stats
        )
        self._server = _threaded_server(self._layer)
        self._thread = threading.Thread(target=self._server.serve_forever, name="demo-server", daemon=True)
        self._thread.start()
        self.endpoint_url = f"http://127.0.0.1:{self._server.server_port}"
        self.credentials = {
            "AWS_ACCESS_KEY_ID": seeded.auditor_key_id,
            "AWS_SECRET_ACCESS_KEY": seeded.auditor_secret,
            "AWS_DEFAULT_REGION": HOME_REGION,
            "AWS_REGION": HOME_REGION,
            "AWS_ENDPOINT_URL": self.endpoint_url,
            # Without credentials elsewhere botocore would probe the instance metadata service.
            "AWS_EC2_METADATA_DISABLED": "true",
        }

    def _stop(self) -> None:
        if not self._owns_moto:
            return
        try:
            if self._server is not None:
                self._server.shutdown()
                self._server.server_close()
            if self._thread is not None:
                self._thread.join(timeout=10)
        finally:
            self._server = None
            self._thread = None
            self._layer = None
            moto_state.reset_moto()
            gc.unfreeze()
            self._owns_moto = False
            DemoServer._running.release()


def _threaded_server(app: Any) -> Any:
    """werkzeug's threaded server, quiet, stamping each request's arrival for the latency.

    The arrival is taken when the connection is accepted (werkzeug's HTTP/1.0 handler serves one
    request per connection), so the time the server spends starting a thread and parsing the
    request counts toward the injected latency (layer.ARRIVED), as AWS's front end's time does.
    """
    from moto.moto_server.werkzeug_app import MotoRequestHandler
    from werkzeug.serving import ThreadedWSGIServer

    class QuietHandler(MotoRequestHandler):
        """moto's handler without a log line per request (a crawl makes thousands)."""

        def setup(self) -> None:
            arrivals: dict[int, float] = getattr(self.server, "arrivals", {})
            self.arrived = arrivals.pop(id(self.request), 0.0) or time.monotonic()
            super().setup()

        def make_environ(self) -> Any:
            environ = super().make_environ()
            environ[ARRIVED] = self.arrived
            return environ

        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            return None

    class StampingServer(ThreadedWSGIServer):
        arrivals: dict[int, float]

        def process_request(self, request: Any, client_address: Any) -> None:
            self.arrivals[id(request)] = time.monotonic()
            super().process_request(request, client_address)

    server = StampingServer("127.0.0.1", 0, app, handler=QuietHandler)
    server.arrivals = {}
    return server
