"""audit-report.pdf and scorecard.pdf: content, escaping, bounds, structure (bookmarks, fonts, headers)."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from reporter.model import ScoreSummary
from reporter.render.model import ReportModel
from reporter.render.pdf import render as pdf
from reporter.render.pdf.context import audit_context
from reporter.render.pdf.findings import plan_findings
from reporter.scoring import format_score
from reporter.settings import Settings
from tests.render.synthetic import synthetic_model

HOSTILE = "<script>alert(1)</script> & co"
AUDIT_SECTIONS = (
    "Scope and method",
    "Executive summary",
    "Control results",
    "Findings by account",
    "Waivers",
    "Coverage gaps",
    "Appendix: rule catalog",
)


def page_texts(path: Path) -> list[str]:
    # Without a CJK font installed, DejaVu's subset carries box glyphs for the synthetic CJK name
    # and pypdf then decodes that font as one-byte codes, leaving a NUL before every character;
    # the PDF itself is right (poppler extracts it cleanly), so drop the NULs rather than test pypdf.
    return [page.extract_text().replace("\x00", "") for page in PdfReader(path).pages]


def squash(text: str) -> str:
    """Text without whitespace: table cells and wrapped lines compare independently of layout."""
    return re.sub(r"\s+", "", text)


def outline_titles(path: Path) -> list[str]:
    reader = PdfReader(path)
    titles: list[str] = []

    def walk(items: list[Any]) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item)
            else:
                titles.append(str(item.title))

    walk(reader.outline)
    return titles


@dataclasses.dataclass(frozen=True)
class Rendered:
    model: ReportModel
    path: Path
    pages: int
    page_texts: list[str]

    @property
    def text(self) -> str:
        return "\n".join(self.page_texts)


@pytest.fixture(scope="module")
def out_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pdf")


@pytest.fixture(scope="module")
def model() -> ReportModel:
    return synthetic_model(findings=2000, accounts=12, hostile_names=True, with_history=True)


@pytest.fixture(scope="module")
def audit(model: ReportModel, out_dir: Path) -> Rendered:
    path = out_dir / "audit-report.pdf"
    pages = pdf.write_audit_report(model, path, rows_per_rule=3)
    return Rendered(model, path, pages, page_texts(path))


@pytest.fixture(scope="module")
def scorecard(model: ReportModel, out_dir: Path) -> Rendered:
    path = out_dir / "scorecard.pdf"
    pages = pdf.write_scorecard(model, path)
    return Rendered(model, path, pages, page_texts(path))


def test_audit_report_has_every_section_as_title_and_bookmark(audit: Rendered) -> None:
    titles = outline_titles(audit.path)
    for section in AUDIT_SECTIONS:
        assert section in audit.text
        assert section in titles
    assert audit.pages == len(PdfReader(audit.path).pages)


def test_audit_report_states_scope_and_provenance(audit: Rendered) -> None:
    meta = audit.model.meta
    flat = squash(audit.text)
    for value in (
        meta.organization_id,
        meta.caller_arn,
        meta.evidence_manifest_sha256,
        meta.tool_version,
        *meta.regions,
        *meta.evidence_files.values(),
        meta.waivers_sha256 or "",
    ):
        assert squash(value) in flat
    assert "critical10,high5,medium3,low1" in flat  # the weights the scores used
    assert "capsthegradeofitsscopeatC" in flat


def test_audit_report_shows_the_models_numbers(audit: Rendered) -> None:
    org = audit.model.organization
    flat = squash(audit.text)
    assert f"score{format_score(org.score)}" in flat
    assert f"OrganizationScore{format_score(org.score)}({org.grade})".lower() in flat.lower()
    for row in audit.model.controls.head(8).to_dict("records"):
        counts = "".join(f"{int(row[s]):,}" for s in ("pass", "fail", "error", "waived"))
        assert squash(f"{row['rule_id']}{row['title']}{row['severity']}{counts}") in flat, row["rule_id"]
    for row in audit.model.accounts.dropna(subset=["score"]).to_dict("records"):
        assert squash(f"{row['account_name']}{row['account_id']}") in flat
        assert f"{row['ou_path']}{format_score(row['score'])}{row['grade']}" in flat


def test_hostile_names_print_as_literal_text(
    audit: Rendered, scorecard: Rendered, model: ReportModel
) -> None:
    assert HOSTILE in audit.text
    assert "&amp;" not in audit.text and "&lt;" not in audit.text
    html = pdf.render_html(
        "audit_report.html",
        audit_context(
            model,
            rows_per_rule=3,
            line_budget=10_000,
            weights=Settings().weights,
            generated_at=model.meta.finished_at,
        ),
    )
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in html


def test_findings_are_bounded_per_rule_with_a_pointer_to_the_workbook(audit: Rendered) -> None:
    plan = plan_findings(
        audit.model.findings, audit.model.accounts, audit.model.controls, rows_per_rule=3, line_budget=10_000
    )
    groups = [g for d in plan.detailed for g in d.groups]
    assert groups and all(len(g.rows) <= 3 for g in groups)
    more = [g for g in groups if g.more]
    assert more, "the synthetic model has rules with more than 3 open findings in one account"
    assert all(len(g.rows) + g.more == g.failing + g.errors for g in groups)
    assert f"and {more[0].more:,} more" in audit.text and "see the workbook" in audit.text


def test_page_header_footer_and_repeated_table_headers(audit: Rendered) -> None:
    pages = audit.page_texts
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in page
    assert "Lambda governance audit · o-synthetic01 · 2026-11" in pages[2]
    # A findings table that continues on the next page repeats its header row there.
    with_header = [p for p in pages if "Status Resource Reason" in p]
    starts = audit.text.count("open findings,")
    assert len(with_header) > starts


def test_fonts_are_embedded(audit: Rendered, scorecard: Rendered) -> None:
    for path in (audit.path, scorecard.path):
        fonts: dict[str, Any] = {}
        for page in PdfReader(path).pages:
            resources: Any = page["/Resources"]
            for name, ref in resources["/Font"].items():
                fonts[name] = ref.get_object()
        assert fonts
        for font in fonts.values():
            descendant = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
            descriptor = descendant["/FontDescriptor"].get_object()
            assert any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")), font["/BaseFont"]
        assert any("DejaVu" in str(font["/BaseFont"]) for font in fonts.values())


def test_demo_runs_say_so_on_the_cover(audit: Rendered, tmp_path: Path) -> None:
    small = synthetic_model(findings=150, accounts=3)
    demo = dataclasses.replace(small, meta=dataclasses.replace(small.meta, demo=True))
    pdf.write_audit_report(demo, tmp_path / "a.pdf")
    pdf.write_scorecard(demo, tmp_path / "s.pdf")
    assert "DEMO DATA" in PdfReader(tmp_path / "a.pdf").pages[0].extract_text()
    assert "DEMO DATA" in PdfReader(tmp_path / "s.pdf").pages[0].extract_text()
    assert "DEMO DATA" not in audit.text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.pdf", "s.pdf"]  # no temporary file left


def test_100k_findings_stay_under_the_page_bound(tmp_path: Path) -> None:
    big = synthetic_model(findings=100_000, accounts=55, seed=3)
    path = tmp_path / "audit-report.pdf"
    pages = pdf.write_audit_report(big, path)
    assert pages <= pdf.AUDIT_PAGE_LIMIT < 60
    reader = PdfReader(path)
    assert len(reader.pages) == pages
    # Only the findings chapter's first page is read: extracting all pages would double the test's time.
    start = next(
        reader.get_destination_page_number(item)
        for item in reader.outline
        if not isinstance(item, list) and item.title == "Findings by account"
    )
    assert start is not None
    chapter = [squash(reader.pages[i].extract_text().replace("\x00", "")) for i in range(start, start + 6)]
    assert "appearintheoverviewtableonly" in chapter[0]
    assert "seetheworkbook" in "".join(chapter[1:])


def test_the_page_bound_holds_even_when_estimates_are_wrong(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Listing every finding of this model takes 18 pages and the other chapters 10. A budget far
    # above any page limit stands for estimates that are badly wrong: the renderer must notice after
    # layout and list fewer findings until the document fits.
    small = synthetic_model(findings=900, accounts=5, seed=4)
    monkeypatch.setattr(pdf, "DETAIL_LINE_BUDGET", 1_000_000)
    monkeypatch.setattr(pdf, "AUDIT_PAGE_LIMIT", 14)
    pages = pdf.write_audit_report(small, tmp_path / "a.pdf", rows_per_rule=50)
    assert 10 < pages <= 14
    assert pages == len(PdfReader(tmp_path / "a.pdf").pages)


def test_scorecard_shows_grade_trend_league_and_risks(scorecard: Rendered) -> None:
    assert scorecard.pages <= 2
    org = scorecard.model.organization
    flat = squash(scorecard.text)
    assert f"Organizationgrade{org.grade}score{format_score(org.score)}" in flat
    assert "Organization score over time" in scorecard.text
    assert "since the previous run" in scorecard.text
    for risk in scorecard.model.top_risks[:5]:
        assert squash(risk.title) in flat and squash(risk.owner) in flat
    for row in scorecard.model.accounts.to_dict("records"):
        assert squash(str(row["account_name"])) in flat


def test_scorecard_without_history_and_with_many_accounts(tmp_path: Path) -> None:
    many = synthetic_model(findings=20_000, accounts=80, seed=2)
    path = tmp_path / "scorecard.pdf"
    assert pdf.write_scorecard(many, path) <= 2
    text = "\n".join(page_texts(path))
    assert "Organization score over time" not in text
    assert "no earlier run to compare" in text
    assert re.search(r"… \d+ accounts ranked in between", text)


def test_a_run_that_judged_nothing_still_renders(tmp_path: Path) -> None:
    base = synthetic_model(findings=150, accounts=3)
    empty = dataclasses.replace(
        base,
        organization=ScoreSummary(score=None, grade="n/a", counts={}, open_by_severity={}),
        findings=base.findings.iloc[0:0],
        sections=base.sections.iloc[0:0],
        coverage=base.coverage.iloc[0:0],
        waivers=base.waivers.iloc[0:0],
        top_risks=(),
    )
    assert pdf.write_audit_report(empty, tmp_path / "a.pdf") <= pdf.AUDIT_PAGE_LIMIT
    assert pdf.write_scorecard(empty, tmp_path / "s.pdf") <= 2
    audit = squash("\n".join(page_texts(tmp_path / "a.pdf")))
    assert "Noopenfindings:nothingtorank." in audit and "Everyunitofworkwasassessed." in audit
    assert "Organizationgraden/ascoren/a" in squash("\n".join(page_texts(tmp_path / "s.pdf")))


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    import socket

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the PDF renderer opened a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    yield


def test_the_fetcher_refuses_everything_but_data_urls(no_network: None) -> None:
    for url in ("http://127.0.0.1:9/x.png", "https://example.com/font.woff", "file:///etc/hostname"):
        with pytest.raises(ValueError, match="disallowed protocol"):
            pdf.FETCHER(url)
    assert pdf.FETCHER("data:text/plain,ok").read() == b"ok"
