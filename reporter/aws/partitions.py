"""AWS partitions from botocore's own partition data: home regions and region-name patterns.

Apart from session.py so that input checks (reporter/settings.py) can tell a region name without
importing boto3.
"""

from __future__ import annotations

import re
from typing import Any

import botocore.loaders


def _partitions() -> list[dict[str, Any]]:
    """botocore's own partition data (``botocore/data/partitions.json``): ids, regions, patterns."""
    loaded = botocore.loaders.create_loader().load_data("partitions")
    return list(loaded["partitions"])


_PARTITIONS = _partitions()

HOME_REGIONS: dict[str, str] = {p["id"]: str(p["outputs"]["implicitGlobalRegion"]) for p in _PARTITIONS}
"""Where each partition's global services (IAM, Organizations, STS) are called: botocore's
``implicitGlobalRegion`` (aws → us-east-1, aws-cn → cn-northwest-1, aws-us-gov → us-gov-west-1,
aws-iso* and aws-eusc likewise)."""

_REGION_PATTERNS: tuple[tuple[str, re.Pattern[str], frozenset[str]], ...] = tuple(
    (p["id"], re.compile(p["regionRegex"]), frozenset(p.get("regions") or ())) for p in _PARTITIONS
)


def partition_of_region(region: str) -> str | None:
    """The partition a region name belongs to (its listed regions, else its name pattern); None if none."""
    for pid, _, known in _REGION_PATTERNS:
        if region in known:
            return pid
    for pid, pattern, _ in _REGION_PATTERNS:
        if pattern.match(region):
            return pid
    return None
