"""DemoServer lifecycle: start, stop, one at a time, deterministic identities."""

from __future__ import annotations

import socket
from urllib.parse import urlparse

import pytest

from reporter.demo import DemoServer, demo_month_indexes
from reporter.demo.model import DemoTruth


def _tiny(seed: int) -> DemoServer:
    return DemoServer.scaled(accounts=2, regions=1, functions_per_region=2, seed=seed)


def _identity(truth: DemoTruth) -> tuple[str, tuple[tuple[str, str, str], ...], tuple[str, ...]]:
    return (
        truth.organization_id,
        tuple((a.account_id, a.name, a.ou_path) for a in truth.accounts),
        tuple(f.function_arn for f in truth.functions),
    )


def _port_open(url: str) -> bool:
    parsed = urlparse(url)
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex((parsed.hostname or "", parsed.port or 0)) == 0


def test_start_stop_and_one_server_at_a_time() -> None:
    server = _tiny(1)
    with pytest.raises(RuntimeError):
        _ = server.truth
    with server as demo:
        assert _port_open(demo.endpoint_url)
        with pytest.raises(RuntimeError, match="another DemoServer"), _tiny(2):
            pass
        assert _port_open(demo.endpoint_url)  # the refused second server did not stop the first
        url = demo.endpoint_url
    assert not _port_open(url)
    from moto.organizations.models import organizations_backends

    assert not organizations_backends.get(demo.truth.management_account_id, {})


def test_same_seed_same_organization_other_seed_other_ids() -> None:
    with _tiny(4) as first:
        one = _identity(first.truth)
    with _tiny(4) as again:
        assert _identity(again.truth) == one
    with _tiny(5) as other:
        ids = {a.account_id for a in other.truth.accounts if not a.is_management}
        assert ids.isdisjoint({a[0] for a in one[1]})


def test_month_indexes() -> None:
    assert demo_month_indexes(3) == (0, 1, 2)
    assert demo_month_indexes(1) == (2,)
    assert demo_month_indexes(5) == (0, 0, 0, 1, 2)
    with pytest.raises(ValueError):
        demo_month_indexes(0)
