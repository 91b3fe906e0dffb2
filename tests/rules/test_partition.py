"""Partitioned judging (reporter/rules/partition.py) gives the findings of judging in one piece.

The inventories are hand-built (three accounts, a function whose execution role sits in another
account, coverage errors of whole units and of one role); the demo organization's evidence is
compared in tests/e2e/test_demo_partitioned.py.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest

from reporter.errors import UserError
from reporter.inventory import Inventory
from reporter.rules import engine
from reporter.rules.database import spill_dir
from reporter.rules.engine import run_rules
from reporter.rules.partition import account_batches, in_order
from reporter.settings import Settings
from tests.rules.helpers import (
    ACCT,
    ADMIN_ARN,
    OTHER_ACCT,
    REGION,
    REGION2,
    RUN_DATE,
    Records,
    fn_arn,
    function,
    merge,
    role,
    role_arn,
    unit,
    with_role,
)

THIRD = "333333333333"
ONE_PIECE = Settings(run_date=RUN_DATE)


def _account(account: str, regions: tuple[str, ...] = (REGION, REGION2)) -> Records:
    """Two functions a region, one public with an open URL and logs, the other quiet; every
    collector's unit read."""
    parts: list[Records] = []
    for region in regions:
        for name, extra in (
            ("api", {"tags": {"CostControl": "HighRisk"}}),
            ("job", {"runtime": "python3.9"}),
        ):
            fn = function(f"{name}-{region}", account=account, region=region, **extra)
            parts.append(
                with_role(fn, boundary=None if name == "api" else f"arn:aws:iam::{account}:policy/b")
            )
        arn = fn_arn(f"api-{region}", account, region)
        where = {"account_id": account, "region": region}
        parts.append(
            {
                "function_policies": [
                    {
                        **where,
                        "function_arn": arn,
                        "sid": "open",
                        "effect": "Allow",
                        "is_public": True,
                        "action": '"lambda:InvokeFunction"',
                        "principal": '"*"',
                    }
                ],
                "function_urls": [
                    {**where, "function_arn": arn, "url": "https://x.on.aws/", "auth_type": "NONE"}
                ],
                "log_groups": [
                    {**where, "log_group": f"/aws/lambda/api-{region}", "function_name": f"api-{region}"}
                ],
                "coverage": [
                    unit(
                        "lambda",
                        ["functions", "function_policies", "function_urls"],
                        account=account,
                        region=region,
                    ),
                    unit("logs", ["log_groups"], account=account, region=region),
                    unit("config", ["config_recorders", "config_rules"], account=account, region=region),
                ],
            }
        )
    parts.append({"accounts": [{"account_id": account, "name": f"acct-{account[0]}", "ou_path": "Root"}]})
    parts.append({"coverage": [unit("iam", ["roles", "policy_documents"], account=account, region="global")]})
    return merge(*parts)


def _organization() -> Records:
    """Three accounts; THIRD's function "borrowed" runs with an execution role of ACCT, whose
    attached AdministratorAccess could not be read in ACCT; OTHER_ACCT's logs unit failed."""
    borrowed = function("borrowed", account=THIRD, role_arn=role_arn("shared", ACCT))
    failed_logs = unit(
        "logs",
        ["log_groups"],
        account=OTHER_ACCT,
        region=REGION2,
        status="error",
        error_code="ThrottlingException",
    )
    unread = unit(
        "iam",
        ["policy_documents"],
        account=ACCT,
        region="global",
        status="error",
        error_code="AccessDenied",
        resource_arn=ADMIN_ARN,
    )
    return merge(
        _account(ACCT),
        _account(OTHER_ACCT),
        _account(THIRD, regions=(REGION,)),
        {"functions": [borrowed], "roles": [role("shared", account=ACCT, attached=[ADMIN_ARN])]},
        {"coverage": [failed_logs, unread]},
    )


def _tables(inventory: Inventory) -> dict[str, Any]:
    return engine._input_tables(inventory, engine.load_catalog())


def test_accounts_linked_by_an_execution_role_share_a_batch() -> None:
    tables = _tables(Inventory.from_records(_organization()))
    # one function is enough to close a batch: ACCT and THIRD are linked by "borrowed"'s role
    assert account_batches(tables, 1) == [[ACCT, THIRD], [OTHER_ACCT]]
    assert not in_order([[ACCT, THIRD], [OTHER_ACCT]])
    assert in_order([[ACCT], [OTHER_ACCT, THIRD]])


def test_one_piece_when_off_or_when_everything_fits() -> None:
    tables = _tables(Inventory.from_records(_organization()))
    assert account_batches(tables, 0) is None
    assert account_batches(tables, 1000) is None  # 11 functions


def test_a_row_without_an_account_keeps_the_inventory_whole() -> None:
    records = _organization()
    records["alarms"] = [{"account_id": None, "region": REGION, "alarm_name": "a", "function_name": "x"}]
    assert account_batches(_tables(Inventory.from_records(records)), 1) is None


@pytest.mark.parametrize("batch", [1, 5])
def test_partitioned_findings_equal_one_piece_on_a_hand_built_organization(batch: int) -> None:
    inventory = Inventory.from_records(_organization())
    whole = run_rules(inventory, ONE_PIECE)
    parted = run_rules(inventory, replace(ONE_PIECE, rules_partition_functions=batch))
    pd.testing.assert_frame_equal(parted, whole)
    # the cases the batches must keep: a cross-account role, unit and resource errors
    # LG-IAM-02 reads policy_documents (through role_facts): AdministratorAccess, attached to the
    # role in ACCT, was unread there, so THIRD's function is not judged
    borrowed = whole[(whole["resource_id"] == "borrowed") & (whole["rule_id"] == "LG-IAM-02")]
    assert borrowed["status"].tolist() == ["error"]
    assert ADMIN_ARN in borrowed["reason"].iloc[0]
    assert (whole["account_id"] == OTHER_ACCT).any() and (whole["status"] == "error").sum() > 1
    assert whole["account_id"].nunique() == 3


def test_memory_limit_and_spill_dir_reach_duckdb(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    seen: list[dict[str, Any]] = []
    connect = duckdb.connect

    def recording(database: str = ":memory:", *, config: dict[str, Any] | None = None) -> Any:
        seen.append(dict(config or {}))
        return connect(database, config=config or {})

    monkeypatch.setattr(duckdb, "connect", recording)
    inventory = Inventory.from_records(_organization())
    spill = tmp_path / "spill"
    bounded = replace(ONE_PIECE, rules_memory_limit="256MB", spill_dir=spill, rules_partition_functions=1)
    parted = run_rules(inventory, bounded)
    judging = [c for c in seen if "memory_limit" in c]
    assert len(judging) == 1  # one database; each batch judged on a cursor of it
    assert all(c["memory_limit"] == "256MB" and c["temp_directory"] == str(spill) for c in judging)
    assert spill.is_dir()
    monkeypatch.setattr(duckdb, "connect", connect)
    pd.testing.assert_frame_equal(parted, run_rules(inventory, ONE_PIECE))


def test_a_limit_without_a_directory_spills_to_a_temporary_one() -> None:
    with spill_dir(replace(ONE_PIECE, rules_memory_limit="1GB")) as spill:
        assert spill is not None and spill.is_dir() and spill.name.startswith("reporter-spill-")
    assert not spill.exists()
    with spill_dir(ONE_PIECE) as none:
        assert none is None  # no limit: DuckDB's defaults, as before


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"rules_memory_limit": "lots"}, "rules_memory_limit"),
        ({"rules_memory_limit": "0GB"}, "rules_memory_limit"),
        ({"rules_partition_functions": -1}, "rules_partition_functions"),
    ],
)
def test_bad_judging_settings_stop_run_rules_with_one_line(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(UserError, match=message) as err:
        run_rules(Inventory.from_records(_organization()), replace(ONE_PIECE, **changes))
    assert "\n" not in str(err.value)
