"""The dated reference lists: runtimes.json covers every runtime of the notes; loaders validate."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from reporter.rules.data import DataFileError, load_admin_policies, load_runtimes

DEPRECATED_BY_2026_11_28 = {
    "dotnet8": "2026-11-10",
    "python3.10": "2026-10-31",
    "provided.al2": "2026-07-31",
    "nodejs20.x": "2026-04-30",
    "ruby3.2": "2026-03-31",
    "python3.9": "2025-12-15",
    "nodejs18.x": "2025-09-01",
    "dotnet6": "2024-12-20",
    "python3.8": "2024-10-14",
    "nodejs16.x": "2024-06-12",
    "go1.x": "2024-01-08",
    "java8": "2024-01-08",
    "provided": "2024-01-08",
    "ruby2.7": "2023-12-07",
    "nodejs14.x": "2023-12-04",
    "python3.7": "2023-12-04",
    "dotnetcore3.1": "2023-04-03",
    "nodejs12.x": "2023-03-31",
    "python3.6": "2022-07-18",
    "dotnet5.0": "2022-05-10",
    "dotnetcore2.1": "2022-01-05",
    "ruby2.5": "2021-07-30",
    "nodejs10.x": "2021-07-30",
    "python2.7": "2021-07-15",
}
"""notes/aws-semantics.md, "Already deprecated on 2026-11-28" (dated entries)."""
OLDER = (
    "nodejs8.10",
    "nodejs6.10",
    "nodejs4.3",
    "nodejs4.3-edge",
    "nodejs",
    "dotnetcore1.0",
    "dotnetcore2.0",
)
UPCOMING = {
    "ruby3.3": "2027-03-31",
    "nodejs22.x": "2027-04-30",
    "java8.al2": "2027-06-30",
    "java11": "2027-06-30",
    "java17": "2027-06-30",
    "python3.11": "2027-06-30",
    "ruby3.4": "2028-03-31",
    "nodejs24.x": "2028-04-30",
    "python3.12": "2028-10-31",
    "dotnet10": "2028-11-14",
    "java21": "2029-06-30",
    "java25": "2029-06-30",
    "python3.13": "2029-06-30",
    "python3.14": "2029-06-30",
    "provided.al2023": "2029-06-30",
}


def test_runtimes_file_has_every_runtime_of_the_notes_with_its_date() -> None:
    data = load_runtimes()
    assert data.source == "https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html"
    assert data.collected == dt.date(2026, 11, 28)
    dates = {r: d.isoformat() for r, d in zip(data.frame["runtime"], data.frame["deprecated"], strict=True)}
    assert {r: dates.get(r) for r in DEPRECATED_BY_2026_11_28} == DEPRECATED_BY_2026_11_28
    assert {r: dates.get(r) for r in UPCOMING} == UPCOMING
    assert all(dates[r] < "2026-11-28" for r in OLDER)
    assert set(dates) == set(DEPRECATED_BY_2026_11_28) | set(UPCOMING) | set(OLDER)
    blocks = data.frame.set_index("runtime")
    assert blocks.loc["python3.10", "block_update"] == dt.date(2027, 3, 3)
    assert blocks.loc["dotnet8", "block_create"] == dt.date(2027, 2, 1)


def test_admin_policies_file() -> None:
    data = load_admin_policies()
    assert list(data.frame["arn_suffix"]) == ["policy/AdministratorAccess", "policy/PowerUserAccess"]


def _write(tmp_path: Path, doc: object) -> Path:
    path = tmp_path / "runtimes.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"collected": "2026-11-28", "runtimes": []}, "'source' is required"),
        ({"source": "s", "collected": "soon", "runtimes": []}, "'soon' is not an ISO date"),
        (
            {"source": "s", "collected": "2026-11-28", "runtimes": [{"runtime": "x", "family": "x"}]},
            r"x\.deprecated: expected an ISO date",
        ),
        (
            {
                "source": "s",
                "collected": "2026-11-28",
                "runtimes": [
                    {"runtime": "x", "family": "x", "deprecated": "2026-01-01"},
                    {"runtime": "x", "family": "x", "deprecated": "2026-01-01"},
                ],
            },
            "duplicate runtime 'x'",
        ),
        ({"source": "s", "collected": "2026-11-28"}, "with a 'runtimes' list"),
    ],
)
def test_malformed_runtime_files_are_rejected(tmp_path: Path, doc: object, message: str) -> None:
    with pytest.raises(DataFileError, match=message):
        load_runtimes(_write(tmp_path, doc))
