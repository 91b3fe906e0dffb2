"""audit-report.pdf and scorecard.pdf: Jinja2 templates (autoescaped) rendered by WeasyPrint.

The renderer reads only the ReportModel. Rendering is offline by construction: templates reference
no URL, stylesheets are passed as strings, fonts come from fontconfig (DejaVu, embedded as subsets),
and the URL fetcher refuses every scheme but ``data:``, so a hostile name that somehow reached an
``src`` attribute could not make WeasyPrint fetch anything.

Both documents have a hard page bound. Their content is selected to fit from estimates
(findings.py, scorecard.py); after layout the real page count is checked, and if it is over
the bound the document is laid out again with a smaller selection.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from weasyprint import CSS, HTML
from weasyprint.urls import URLFetcher

from reporter.locations import templates_dir
from reporter.outputs import atomic_write
from reporter.render.model import ReportModel
from reporter.render.pdf.context import audit_context
from reporter.render.pdf.format import FILTERS
from reporter.render.pdf.scorecard import LEAGUE_MAX, scorecard_context
from reporter.settings import Settings

AUDIT_PAGE_LIMIT = 58
"""The audit report never exceeds this many pages ("under about 60" for any organization)."""
SCORECARD_PAGE_LIMIT = 2
PAGE_LINES = 80
"""Estimated text lines (findings.py units) a findings page holds, measured on synthetic reports."""
DETAIL_LINE_BUDGET = 30 * PAGE_LINES
"""Lines of per-account findings listed before accounts move to the overview table only."""
_MAX_LAYOUTS = 4
FINDINGS_CHAPTER = "Findings by account"
"""Title of the chapter the page bound shrinks (must match the h1 in _audit_findings.html)."""

FETCHER = URLFetcher(allowed_protocols={"data"})
"""Refuses http(s), ftp and file URLs alike: reports must render offline and reveal no local file."""

_ENV = Environment(
    loader=FileSystemLoader(templates_dir()),
    autoescape=True,  # every template, whatever its extension: all values come from AWS
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_ENV.filters.update(FILTERS)


def _stylesheet(name: str) -> CSS:
    source = (templates_dir() / name).read_text(encoding="utf-8")
    return CSS(string=source, url_fetcher=FETCHER)


def render_html(template: str, context: Mapping[str, Any]) -> str:
    """The HTML of one template (exposed for tests of escaping and structure)."""
    return _ENV.get_template(template).render(**context)


def _layout(template: str, context: Mapping[str, Any], stylesheets: tuple[str, ...]) -> Any:
    html = HTML(string=render_html(template, context), url_fetcher=FETCHER)
    return html.render(stylesheets=[_stylesheet(name) for name in stylesheets])


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def write_audit_report(
    model: ReportModel,
    path: Path,
    *,
    rows_per_rule: int = 10,
    weights: Mapping[str, int] | None = None,
) -> int:
    """Write audit-report.pdf; returns its page count (at most AUDIT_PAGE_LIMIT).

    ``weights`` are the severity weights the scores were computed with (Settings.weights); they are
    printed in the method section. The view model does not carry them, so the default is the
    Settings default.
    """
    weights = dict(weights) if weights is not None else Settings().weights
    generated_at = _now()
    budget = float(DETAIL_LINE_BUDGET)
    for _ in range(_MAX_LAYOUTS):
        context = audit_context(
            model, rows_per_rule=rows_per_rule, line_budget=budget, weights=weights, generated_at=generated_at
        )
        document = _layout("audit_report.html", context, ("base.css", "audit_report.css"))
        pages = len(document.pages)
        spent = context["plan"].lines
        if pages <= AUDIT_PAGE_LIMIT or spent <= 0:
            break
        # Over the bound: measure how many estimated lines one page of the findings chapter really
        # held, and take the overflow (plus a page of slack) out of that chapter.
        per_page = spent / max(1, _chapter_pages(document, FINDINGS_CHAPTER))
        budget = max(0.0, spent - (pages - AUDIT_PAGE_LIMIT + 1) * per_page)
    atomic_write(path, document.write_pdf)
    return len(document.pages)


def _chapter_pages(document: Any, title: str) -> int:
    """Pages from the top-level bookmark ``title`` to the next top-level bookmark."""
    starts = [(label, target[0]) for label, target, _children, _state in document.make_bookmark_tree()]
    for (label, first), (_next, following) in zip(
        starts, [*starts[1:], ("", len(document.pages))], strict=True
    ):
        if label == title:
            return max(1, following - first)
    return len(document.pages)


def write_scorecard(model: ReportModel, path: Path) -> int:
    """Write scorecard.pdf (one or two landscape pages); returns its page count."""
    generated_at = _now()
    limit = LEAGUE_MAX
    for _ in range(_MAX_LAYOUTS):
        context = scorecard_context(model, league_limit=limit, generated_at=generated_at)
        document = _layout("scorecard.html", context, ("base.css", "scorecard.css"))
        if len(document.pages) <= SCORECARD_PAGE_LIMIT or limit <= 6:
            break
        limit = max(6, limit - 8)
    atomic_write(path, document.write_pdf)
    return len(document.pages)
