from __future__ import annotations

from pathlib import Path

import pytest

from reporter.errors import UserError
from reporter.settings import Settings, load_config

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "config.toml"


def test_the_example_config_loads_and_reaches_rule_parameters() -> None:
    settings = load_config(EXAMPLE, Settings())
    assert settings.regions == ("us-east-1", "eu-west-1")
    assert settings.thresholds.concurrency_cap == 5
    assert settings.weights == {"critical": 10, "high": 5, "medium": 3, "low": 1}
    params = settings.rule_parameters()
    assert params["high_risk_tag_value"] == "HighRisk"
    assert params["run_date"] == settings.run_date


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("workers = [", "invalid TOML"),
        ("colour = 1", "unknown key 'colour'"),
        ("[thresholds]\nconcurrency_cap = 'five'", "must be int"),
        ("[thresholds]\nnope = 1", "unknown threshold"),
        ("[weights]\nurgent = 3", "unknown severity"),
        ("[weights]\nhigh = -1", "non-negative"),
        ("regions = 'us-east-1'", "list of strings"),
        ("workers = true", "must be int"),
        ("rules_memory_limit = 'plenty'", "must be a size like 4GB"),
        ("rules_memory_limit = '80%'", "must be a size like 4GB"),
        ("rules_memory_limit = 4", "must be str"),
        ("rules_partition_functions = -5", "0 \\(one batch\\) or more"),
        ("rules_partition_functions = '50k'", "must be int"),
        ("spill_dir = 7", "must be a directory path"),
    ],
)
def test_bad_config_is_one_line_user_error(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "c.toml"
    path.write_text(text)
    with pytest.raises(UserError, match=message) as err:
        load_config(path, Settings())
    assert "\n" not in str(err.value)


def test_missing_config(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="not found"):
        load_config(tmp_path / "none.toml", Settings())


def test_every_config_problem_is_listed_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text(
        "workers = 4\n"
        "colour = 'blue'\n"  # 2
        "\n"
        "[thresholds]\n"
        "concurrency_cap = 'five'\n"  # 5
        "nope = 1\n"  # 6
        "[weights]\n"
        "high = 5\n"
        "urgent = 3\n"  # 9
    )
    with pytest.raises(UserError) as err:
        load_config(path, Settings())
    assert str(err.value).splitlines() == [
        f"{path}:2: unknown key 'colour'",
        f"{path}:5: threshold 'concurrency_cap' must be int",
        f"{path}:6: unknown threshold 'nope'",
        f"{path}:9: unknown severity 'urgent' in [weights]",
    ]


def test_invalid_toml_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("workers = 4\n\nregions = [\n")
    with pytest.raises(UserError, match=rf"^{path}:3: invalid TOML: "):
        load_config(path, Settings())
    path.write_text("workers = 4\nregions = ['a'\nunit_timeout_s = 5\n")
    with pytest.raises(UserError, match=rf"^{path}:3: invalid TOML: .*line 3"):
        load_config(path, Settings())


def test_judging_at_scale_settings_load(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    spill = tmp_path / "spill"
    path.write_text(
        f"rules_memory_limit = '4GB'\nrules_partition_functions = 50000\nspill_dir = '{spill.as_posix()}'\n"
    )
    settings = load_config(path, Settings())
    assert (settings.rules_memory_limit, settings.rules_partition_functions) == ("4GB", 50_000)
    assert settings.spill_dir == spill
    # the defaults judge in one piece with DuckDB's own limit, as before
    assert (Settings().rules_memory_limit, Settings().rules_partition_functions, Settings().spill_dir) == (
        None,
        0,
        None,
    )


def test_a_spill_dir_that_is_a_file_is_a_config_error_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    file = tmp_path / "taken"
    file.write_text("")
    path.write_text(f"workers = 4\nspill_dir = '{file.as_posix()}'\n")
    with pytest.raises(UserError, match=r"c.toml:2: 'spill_dir' .* is a file"):
        load_config(path, Settings())


def test_a_bad_judging_setting_exits_2_before_any_work(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from reporter.cli import main

    path = tmp_path / "c.toml"
    path.write_text("rules_memory_limit = 'lots'\n")
    snapshot = Path(__file__).parent / "data" / "snapshot_v1"
    out = tmp_path / "out"
    assert main(["--from-snapshot", str(snapshot), "--config", str(path), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert "rules_memory_limit" in err and len(err.splitlines()) == 1
    assert not (out / "findings.json").exists()
