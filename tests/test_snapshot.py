from __future__ import annotations

import json
from pathlib import Path

import pytest

from reporter.errors import UserError
from reporter.inventory import TABLES, Inventory
from reporter.snapshot import MANIFEST, new_manifest, read_snapshot, write_snapshot


def _inventory() -> Inventory:
    return Inventory.from_records(
        {
            "accounts": [
                {
                    "account_id": "111111111111",
                    "name": "=cmd()",
                    "status": "ACTIVE",
                    "ou_path": "Root/Prod",
                    "tags": {"owner": "ünïcode"},
                    "is_management": False,
                }
            ],
            "functions": [
                {
                    "account_id": "111111111111",
                    "region": "eu-west-1",
                    "function_arn": "arn:aws:lambda:eu-west-1:111111111111:function:f",
                    "name": "f",
                    "subnet_ids": ["subnet-1", "subnet-2"],
                    "reserved_concurrency": None,
                    "tags": {"CostControl": "HighRisk"},
                    "memory_mb": 128,
                }
            ],
            "coverage": [
                {
                    "account_id": "111111111111",
                    "region": "eu-west-1",
                    "collector": "lambda",
                    "tables": ["functions"],
                    "status": "ok",
                    "api_calls": 3,
                    "seconds": 0.5,
                }
            ],
        }
    )


def _manifest() -> object:
    return new_manifest(
        started_at="2026-11-28T00:00:00+00:00",
        finished_at="2026-11-28T00:01:00+00:00",
        run_date="2026-11-28",
        caller_arn="arn:aws:iam::1:user/a",
        organization_id="o-1",
        management_account_id="111111111111",
        accounts=("111111111111",),
        regions=("eu-west-1",),
    )


def test_round_trip_is_equal(tmp_path: Path) -> None:
    inv = _inventory()
    manifest, digest = write_snapshot(inv, tmp_path, _manifest())  # type: ignore[arg-type]
    loaded, read_manifest, read_digest = read_snapshot(tmp_path)
    assert read_digest == digest
    assert read_manifest == manifest
    assert set(manifest.files) == {f"{t}.parquet" for t in TABLES}
    for table in TABLES:
        assert loaded[table].equals(inv[table]), table
        assert list(loaded[table].dtypes) == list(inv[table].dtypes), table


def test_tampered_file_is_detected(tmp_path: Path) -> None:
    write_snapshot(_inventory(), tmp_path, _manifest())  # type: ignore[arg-type]
    target = tmp_path / "functions.parquet"
    target.write_bytes(target.read_bytes() + b"x")
    with pytest.raises(UserError, match="sha256 does not match"):
        read_snapshot(tmp_path)


@pytest.mark.parametrize("damage", ["missing_file", "missing_manifest", "bad_json", "schema", "unlisted"])
def test_incomplete_or_foreign_snapshots_are_one_line_errors(tmp_path: Path, damage: str) -> None:
    write_snapshot(_inventory(), tmp_path, _manifest())  # type: ignore[arg-type]
    manifest_path = tmp_path / MANIFEST
    data = json.loads(manifest_path.read_text())
    if damage == "missing_file":
        (tmp_path / "roles.parquet").unlink()
    elif damage == "missing_manifest":
        manifest_path.unlink()
    elif damage == "bad_json":
        manifest_path.write_text("{")
    elif damage == "schema":
        data["schema_version"] = 999
        manifest_path.write_text(json.dumps(data))
    else:
        del data["files"]["alarms.parquet"]
        manifest_path.write_text(json.dumps(data))
    with pytest.raises(UserError) as err:
        read_snapshot(tmp_path)
    assert "\n" not in str(err.value)
