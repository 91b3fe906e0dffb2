"""SVG charts for the PDF reports, drawn by hand as plain strings.

No plotting library: the charts are a few rectangles, lines and labels, and building them here keeps
every label under our escaping (names come from AWS accounts and can hold anything) and the output
vector, deterministic and free of fonts we do not ship. Every function returns a standalone
``<svg>`` document that parses as XML; the PDF templates inline it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from reporter.scoring import format_score

FONT = "DejaVu Sans"
"""The PDF's embedded font; SVG text must use the same face or WeasyPrint falls back silently."""

GRADE_COLORS: dict[str, str] = {
    "A": "#2e7d32",
    "B": "#7cb342",
    "C": "#f9a825",
    "D": "#ef6c00",
    "F": "#c62828",
}
"""Fill per grade; colour-blind readers still get the grade letter printed next to every bar."""
NEUTRAL = "#607d8b"
AXIS = "#9e9e9e"
TEXT = "#212121"


@dataclass(frozen=True)
class Bar:
    """One bar of a horizontal bar chart."""

    label: str
    value: float
    note: str = ""
    """Short text printed after the value (e.g. the grade)."""
    color: str = NEUTRAL


@dataclass(frozen=True)
class Point:
    """One point of a trend line."""

    label: str
    """X-axis label, e.g. the run date."""
    value: float


def _clip(text: str, limit: int) -> str:
    """Shorten a label to what fits the label column; the full name is in the tables."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _text(x: float, y: float, content: str, *, size: float = 9, anchor: str = "start", **attrs: str) -> str:
    extra = "".join(f" {key.replace('_', '-')}={quoteattr(value)}" for key, value in attrs.items())
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-family={quoteattr(FONT)} font-size="{size:g}"'
        f' text-anchor="{anchor}" fill="{TEXT}"{extra}>{escape(content)}</text>'
    )


def _svg(width: float, height: float, body: list[str], title: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:g}" height="{height:g}"'
        f' viewBox="0 0 {width:g} {height:g}" role="img">'
        f"<title>{escape(title)}</title>{''.join(body)}</svg>"
    )


def _nice_max(value: float) -> float:
    """Round an axis maximum up to 1, 2 or 5 × a power of ten so the ticks read naturally."""
    if value <= 0:
        return 1.0
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 5, 10):
        if value <= step * magnitude:
            return float(step * magnitude)
    return float(10 * magnitude)


def bar_chart(
    bars: Sequence[Bar],
    *,
    title: str,
    max_value: float | None = None,
    value_format: Callable[[float], str] = format_score,
    tick_format: Callable[[float], str] = format_score,
    width: float = 500,
    label_chars: int = 28,
    empty_text: str = "Nothing to chart.",
) -> str:
    """A horizontal bar chart: one row per bar, label left, value (and note) right of the bar.

    ``max_value`` fixes the scale (100 for scores, so two charts compare); by default the axis
    fits the largest value. Values and ticks are scores unless ``value_format`` and ``tick_format``
    say otherwise.
    """
    row, top, bottom = 16.0, 8.0, 22.0
    label_w = min(label_chars * 5.6 + 8, width * 0.45)
    value_w = 62.0
    plot_w = width - label_w - value_w
    height = top + max(len(bars), 1) * row + bottom
    if not bars:
        return _svg(
            width, top + row + bottom, [_text(width / 2, top + row, empty_text, anchor="middle")], title
        )
    scale_max = max_value if max_value is not None else _nice_max(max(b.value for b in bars))
    body: list[str] = []
    for i, bar in enumerate(bars):
        y = top + i * row
        length = max(0.0, min(bar.value, scale_max)) / scale_max * plot_w
        body.append(_text(label_w - 6, y + 11.5, _clip(bar.label, label_chars), anchor="end", size=8.5))
        body.append(
            f'<rect x="{label_w:.1f}" y="{y + 2:.1f}" width="{length:.1f}" height="{row - 4:.1f}"'
            f" fill={quoteattr(bar.color)}/>"
        )
        shown = value_format(bar.value) + (f" {bar.note}" if bar.note else "")
        body.append(_text(label_w + length + 4, y + 11.5, shown, size=8.5))
    axis_y = top + len(bars) * row + 2
    body.append(
        f'<line x1="{label_w:.1f}" y1="{axis_y:.1f}" x2="{label_w + plot_w:.1f}" y2="{axis_y:.1f}"'
        f' stroke="{AXIS}" stroke-width="0.8"/>'
    )
    for fraction in (0.0, 0.25, 0.5, 0.75, 1.0):
        x = label_w + fraction * plot_w
        body.append(
            f'<line x1="{x:.1f}" y1="{axis_y:.1f}" x2="{x:.1f}" y2="{axis_y + 3:.1f}" stroke="{AXIS}"/>'
        )
        body.append(_text(x, axis_y + 13, tick_format(fraction * scale_max), size=7.5, anchor="middle"))
    return _svg(width, height, body, title)


def trend_chart(
    points: Sequence[Point],
    *,
    title: str,
    width: float = 420,
    height: float = 170,
    bands: bool = True,
) -> str:
    """A 0–100 score line over runs, oldest left; grade bands (A ≥ 90 …) shade the background."""
    # The right margin holds the grade letters of the bands and half of the last date label.
    left, right, top, bottom = 34.0, 40.0, 12.0, 22.0
    plot_w, plot_h = width - left - right, height - top - bottom
    body: list[str] = []

    # Start the axis a little below the lowest score (in steps of 10) so month-to-month moves are
    # visible; a score range of 80–85 drawn on 0–100 would look flat.
    low_axis = max(0.0, (min((p.value for p in points), default=0.0) - 5) // 10 * 10)

    def y_of(value: float) -> float:
        clamped = max(low_axis, min(value, 100.0))
        return top + (1 - (clamped - low_axis) / (100 - low_axis)) * plot_h

    if bands:
        # Light grade bands let a reader see "we slipped from B to C" without reading numbers.
        for grade, low, high in (("A", 90, 100), ("B", 80, 90), ("C", 70, 80), ("D", 60, 70), ("F", 0, 60)):
            if high <= low_axis:
                continue
            body.append(
                f'<rect x="{left:.1f}" y="{y_of(high):.1f}" width="{plot_w:.1f}"'
                f' height="{y_of(low) - y_of(high):.1f}" fill="{GRADE_COLORS[grade]}" fill-opacity="0.08"/>'
            )
            body.append(
                _text(left + plot_w + 26, (y_of(high) + y_of(low)) / 2 + 3, grade, size=7.5, anchor="middle")
            )
    ticks = [t for t in range(0, 101, 10 if 100 - low_axis <= 50 else 20) if t >= low_axis]
    for tick in ticks:
        y = y_of(tick)
        body.append(
            f'<line x1="{left:.1f}" y1="{y:.1f}" x2="{left + plot_w:.1f}" y2="{y:.1f}"'
            f' stroke="{AXIS}" stroke-width="0.4"/>'
        )
        body.append(_text(left - 4, y + 3, format_score(tick), size=7.5, anchor="end"))
    if not points:
        body.append(_text(left + plot_w / 2, top + plot_h / 2, "No earlier runs.", anchor="middle"))
        return _svg(width, height, body, title)
    step = plot_w / max(len(points) - 1, 1)
    coords = [
        (left + (i * step if len(points) > 1 else plot_w / 2), y_of(p.value)) for i, p in enumerate(points)
    ]
    if len(coords) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
        body.append(f'<polyline points="{path}" fill="none" stroke="#1565c0" stroke-width="2"/>')
    # Label every point when few, else every k-th so the dates never overlap.
    every = max(1, len(points) // 8 + (1 if len(points) % 8 else 0))
    for i, ((x, y), point) in enumerate(zip(coords, points, strict=True)):
        body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.8" fill="#1565c0"/>')
        if i % every == 0 or i == len(points) - 1:
            body.append(_text(x, y - 5, format_score(point.value), size=7.5, anchor="middle"))
            body.append(_text(x, top + plot_h + 13, _clip(point.label, 12), size=7.5, anchor="middle"))
    return _svg(width, height, body, title)


def grade_color(grade: str) -> str:
    """Bar colour of a grade; unknown grades ("n/a") are neutral."""
    return GRADE_COLORS.get(grade, NEUTRAL)
