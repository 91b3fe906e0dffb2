"""Preflight: each input problem found without AWS, all listed together, nothing left behind."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from reporter import preflight
from reporter.errors import UserError
from reporter.settings import Settings

BAD_WAIVER = "waivers:\n  - rule: LG-PUB-01\n    reason: r\n    owner: o\n    expires: 2027-01-01\n"
EMPTY_FONTCONFIG = """<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig><cachedir>{cache}</cachedir></fontconfig>
"""


def settings(tmp_path: Path, **changes: object) -> Settings:
    base = Settings(org=True, out=tmp_path / "reports" / "2026-12", formats=("json",))
    return replace(base, **changes)  # type: ignore[arg-type]


def a_file(tmp_path: Path) -> Path:
    path = tmp_path / "plain-file"
    path.write_text("x")
    return path


def test_good_inputs_pass_and_leave_nothing_behind(tmp_path: Path) -> None:
    waivers = Path(__file__).resolve().parents[1] / "examples" / "waivers.yaml"
    preflight.check_inputs(settings(tmp_path, waivers=waivers, regions=("eu-west-1",)))
    assert list(tmp_path.iterdir()) == []  # no folder created, no probe file left


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda t: {"accounts": ("12",)}, "--accounts: '12' is not a 12-digit AWS account id"),
        (lambda t: {"regions": ("moon-1",)}, "--regions: 'moon-1' is not a region name (like eu-west-1)"),
        (lambda t: {"workers": 0}, "--workers must be between 1 and 512"),
        (lambda t: {"out": a_file(t) / "out"}, "exists and is not a folder"),
        (lambda t: {"history": a_file(t) / "h"}, "--history: "),
        (lambda t: {"compare": t}, "not a usable history run: no scores.json"),
        (lambda t: {"from_snapshot": t, "org": False}, "holds no manifest.json"),
        (lambda t: {"profile": "no-such-profile"}, "--profile: AWS profile 'no-such-profile' not found"),
    ],
)
def test_each_problem_is_one_line(tmp_path: Path, change: object, expected: str) -> None:
    problems = preflight.input_problems(settings(tmp_path, **change(tmp_path)))  # type: ignore[operator]
    assert len(problems) == 1, problems
    assert expected in problems[0]


def test_an_unknown_aws_profile_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_PROFILE", "elsewhere")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    (problem,) = preflight.input_problems(settings(tmp_path))
    assert problem == "AWS_PROFILE: AWS profile 'elsewhere' not found (known: none configured)"
    assert preflight.input_problems(settings(tmp_path, demo=True, org=False)) == []


def test_problems_of_several_inputs_are_listed_together(tmp_path: Path) -> None:
    waivers = tmp_path / "bad.yaml"
    waivers.write_text(BAD_WAIVER + "  - {id: X, rule: LG-NONE, reason: r, owner: o, expires: 2027-01-01}\n")
    with pytest.raises(UserError) as caught:
        preflight.check_inputs(
            settings(tmp_path, waivers=waivers, regions=("moon-1",), history=a_file(tmp_path) / "h")
        )
    assert caught.value.exit_code == 2
    lines = str(caught.value).splitlines()
    assert lines[0].startswith("--regions: 'moon-1'")
    assert lines[1].startswith("--history: ")
    assert lines[2:] == [
        f"{waivers}:2: waiver lacks required key 'id'",
        f"{waivers}:6: rule 'LG-NONE' matches no known rule id",
    ]


def test_waiver_rule_ids_are_checked_against_the_real_catalog(tmp_path: Path) -> None:
    from reporter.rules.catalog import load_catalog

    waivers = tmp_path / "w.yaml"
    ids = [rule.id for rule in load_catalog()]
    entry = "  - {id: W-%d, rule: %s, reason: r, owner: o, expires: 2027-01-01}\n"
    waivers.write_text("waivers:\n" + "".join(entry % (i, rule) for i, rule in enumerate(ids)))
    assert preflight.input_problems(settings(tmp_path, waivers=waivers)) == []
    waivers.write_text("waivers:\n" + entry % (0, "LG-IAM-99"))
    assert preflight.input_problems(settings(tmp_path, waivers=waivers)) == [
        f"{waivers}:2: rule 'LG-IAM-99' matches no known rule id"
    ]


def test_pdf_engine_without_fonts_is_reported_not_crashed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert preflight.pdf_engine_problem() is None
    conf = tmp_path / "fonts.conf"
    conf.write_text(EMPTY_FONTCONFIG.format(cache=tmp_path / "cache"))
    monkeypatch.setenv("FONTCONFIG_FILE", str(conf))
    # Rendering here would be a segmentation fault in Pango: the check must stop before it.
    with pytest.raises(UserError, match=r"^--format pdf: fontconfig finds no font"):
        preflight.check_inputs(settings(tmp_path / "o", formats=("json", "pdf")))
    preflight.check_inputs(settings(tmp_path / "o", formats=("json",)))  # no pdf, no engine needed


def test_pdf_engine_that_cannot_start(monkeypatch: pytest.MonkeyPatch) -> None:
    import weasyprint

    def broken(*_: object, **__: object) -> None:
        raise OSError("cannot load library 'libpango-1.0-0': not found")

    monkeypatch.setattr(weasyprint, "HTML", broken)
    problem = preflight.pdf_engine_problem()
    assert problem is not None and problem.startswith("--format pdf: the PDF engine cannot start (OSError: ")
    assert "libpango" in problem


def test_check_ready_from_a_snapshot_reads_no_aws(tmp_path: Path) -> None:
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    (evidence / "manifest.json").write_text("{}")
    report = preflight.check_ready(settings(tmp_path, org=False, from_snapshot=evidence))
    assert report.splitlines()[-1] == "ready"
