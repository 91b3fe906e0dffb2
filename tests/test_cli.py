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


def test_resume_command_carries_the_options_that_still_apply(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shlex

    from reporter.cli import resume_command

    monkeypatch.chdir(tmp_path)
    (tmp_path / "my waivers.yaml").write_text("waivers: []\n")
    (tmp_path / "c.toml").write_text("workers = 4\n")
    args = build_parser().parse_args(
        [
            "--org",
            "--regions",
            "eu-west-1",
            "--role-name",
            "Audit",
            "--format",
            "json,pdf",
            "--waivers",
            "my waivers.yaml",
            "--config",
            "c.toml",
            "--fail-on",
            "high",
            "--keep",
            "3",
            "-v",
        ]
    )
    out = Path("reports") / "2026-12"
    words = shlex.split(resume_command(args, out / "evidence", out))
    assert "--org" not in words and "--regions" not in words and "--role-name" not in words
    again = settings_from_args(build_parser().parse_args(words[3:]))
    assert again.from_snapshot == tmp_path / "reports" / "2026-12" / "evidence"
    assert again.out == tmp_path / "reports" / "2026-12"
    assert again.formats == ("json", "pdf")
    assert again.waivers == tmp_path / "my waivers.yaml"
    assert (again.fail_on, again.keep) == ("high", 3)
    assert words[words.index("--config") + 1] == str(tmp_path / "c.toml")
    assert words[-1] == "--verbose"
    assert words[1:3] == ["-m", "reporter"]


def test_default_format_is_left_out_of_the_resume_command() -> None:
    from reporter.cli import resume_command

    args = build_parser().parse_args(["--demo"])
    assert "--format" not in resume_command(args, Path("/r/evidence"), Path("/r"))


@pytest.mark.parametrize(
    ("cause", "code", "first"),
    [
        (RuntimeError("boom\nsecond line"), 4, "unexpected RuntimeError after collection: boom second line"),
        (UserError("--compare: gone"), 2, "--compare: gone"),
        (KeyboardInterrupt(), 130, "interrupted"),
    ],
)
def test_a_failure_after_collection_ends_with_the_resume_command(
    cause: BaseException,
    code: int,
    first: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import reporter.pipeline
    from reporter.errors import AfterCollectionFailed

    out = tmp_path / "o"

    def fails(_settings: object) -> None:
        raise AfterCollectionFailed(cause, evidence=out / "evidence", out=out)

    monkeypatch.setattr(reporter.pipeline, "run", fails)
    assert main(["--demo", "--format", "csv", "--out", str(out)]) == code
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 3
    assert lines[0].startswith(f"reporter: error: {first}")
    assert lines[1].startswith(f"reporter: the evidence of the crawl is saved in {out / 'evidence'};")
    assert lines[2].endswith(f"-m reporter --from-snapshot {out / 'evidence'} --out {out} --format csv")


def test_security_tool_formats_are_chosen_not_default() -> None:
    settings = settings_from_args(
        build_parser().parse_args(["--demo", "--format", "ocsf,asff", "--securityhub-region", "eu-west-1"])
    )
    assert settings.formats == ("ocsf", "asff")
    assert settings.securityhub_region == "eu-west-1"
    assert settings_from_args(build_parser().parse_args(["--demo"])).securityhub_region is None
    with pytest.raises(UserError, match="securityhub-region"):
        settings_from_args(build_parser().parse_args(["--demo", "--securityhub-region", "Frankfurt"]))
