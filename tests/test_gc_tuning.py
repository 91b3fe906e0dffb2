from __future__ import annotations

import gc

from reporter.gc_tuning import fewer_collections


def test_fewer_collections_restores_the_collector() -> None:
    before = gc.get_threshold()
    try:
        with fewer_collections():
            assert gc.get_threshold()[0] >= 50_000
            assert gc.get_freeze_count() > 0
            raise RuntimeError("a crawl that fails")
    except RuntimeError:
        pass
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0
