"""Client classes and service models built once per service: a small, documented botocore shim.

For every client it creates, botocore builds a new ``ServiceModel`` from the (cached) JSON and a
new client class with one method and one docstring object per operation of the service, each
resolving that operation's model (EC2 has ~750 operations); every new client then resolves its
operations' shapes again on first use. The crawler has to make one client per (account, region,
service) because each account has its own credentials: ~800 clients at the crawl benchmark's
shape, which cost about 11 s of the crawler's 40 s of CPU (thread CPU time, measured), EC2
clients ~30 ms each under load. Upstream tracks process-wide model caching as boto/botocore#3078.

Both objects depend only on the service's JSON model and on the session's
``creating-client-class`` handlers (registered when the session is built), not on credentials,
region or endpoint, so :func:`enable` makes a session reuse them per (service, api version).
Clients stay separate objects with their own credentials, endpoint, event handlers and
connection pool; only the class and the read-only model are shared, as botocore's own loader
already shares the JSON.

The shim wraps two private methods of ``botocore.client.ClientCreator``. It acts only for
sessions passed to :func:`enable` (keyed by their data loader) and falls back to botocore's own
code for every other session, and if botocore stops having those methods it does nothing.
"""

from __future__ import annotations

import threading
import weakref
from typing import Any

import boto3
import botocore.client

_LOCK = threading.Lock()
_CACHES: weakref.WeakKeyDictionary[Any, dict[tuple[Any, ...], Any]] = weakref.WeakKeyDictionary()
_PATCHED = "_reporter_client_cache"


def enable(session: boto3.Session) -> bool:
    """Reuse client classes and service models for clients of ``session``; False if unsupported."""
    creator: Any = botocore.client.ClientCreator
    if not all(hasattr(creator, name) for name in ("_load_service_model", "_create_client_class")):
        return False
    loader = session._session.get_component("data_loader")
    with _LOCK:
        if not getattr(creator, _PATCHED, False):
            _install(creator)
        _CACHES.setdefault(loader, {})
    return True


def _cached(loader: Any, key: tuple[Any, ...], build: Any) -> Any:
    cache = _CACHES.get(loader)
    if cache is None:
        return build()
    with _LOCK:
        hit = cache.get(key)
    if hit is None:
        # built outside the lock: two threads may both build, the first one stored wins
        made = build()
        with _LOCK:
            hit = cache.setdefault(key, made)
    return hit


def _install(creator: Any) -> None:
    load_model = creator._load_service_model
    create_class = creator._create_client_class

    def _load_service_model(self: Any, service_name: str, api_version: str | None = None) -> Any:
        return _cached(
            self._loader,
            ("model", service_name, api_version),
            lambda: load_model(self, service_name, api_version),
        )

    def _create_client_class(self: Any, service_name: str, service_model: Any) -> Any:
        # keyed by the model object: a cached model (above) always gets the same class
        entry = _cached(
            self._loader,
            ("class", service_name, id(service_model)),
            lambda: (service_model, create_class(self, service_name, service_model)),
        )
        if entry[0] is not service_model:  # an id reused after a model was freed
            return create_class(self, service_name, service_model)
        return entry[1]

    creator._load_service_model = _load_service_model
    creator._create_client_class = _create_client_class
    setattr(creator, _PATCHED, True)
