from __future__ import annotations

from pathlib import Path

import pytest

from reporter.cli import build_parser, main, settings_from_args
from reporter.errors import UserError


def test_default_out_is_a_monthly_folder_under_reports() -> None:
    settings = settings_from_args(build_parser().parse_args(["--demo"]))
    assert settings.out == Path("reports") / f"{settings.run_date:%Y-%m}"
    assert settings.formats == ("xlsx", "pdf", "json", "csv")


def test_targets_and_filters_reach_settings() -> None:
    args = build_parser().parse_args(
        [
            "--accounts",
            "111111111111,222222222222",
            "--regions",
            "eu-west-1",
            "--out",
            "o",
            "--fail-on",
            "high",
        ]
    )
    settings = settings_from_args(args)
    assert settings.accounts == ("111111111111", "222222222222")
    assert settings.regions == ("eu-west-1",)
    assert settings.fail_on == "high"


def test_unknown_option_is_a_user_error() -> None:
    with pytest.raises(UserError, match="unrecognized"):
        build_parser().parse_args(["--nope"])


def test_list_rules_prints_the_catalog(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--list-rules"]) == 0
    out = capsys.readouterr().out
    assert sum(1 for line in out.splitlines() if line.startswith("LG-")) == 28


def test_security_tool_formats_are_chosen_not_default() -> None:
    settings = settings_from_args(
        build_parser().parse_args(["--demo", "--format", "ocsf,asff", "--securityhub-region", "eu-west-1"])
    )
    assert settings.formats == ("ocsf", "asff")
    assert settings.securityhub_region == "eu-west-1"
    assert settings_from_args(build_parser().parse_args(["--demo"])).securityhub_region is None
    with pytest.raises(UserError, match="securityhub-region"):
        settings_from_args(build_parser().parse_args(["--demo", "--securityhub-region", "Frankfurt"]))
