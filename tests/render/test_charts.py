"""SVG charts: valid XML, labels escaped and shown verbatim, geometry that follows the data."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from reporter.render.pdf import charts

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = "<script>alert(1)</script> & co"


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    assert float(root.attrib["width"]) > 0 and float(root.attrib["height"]) > 0
    return root


def texts(root: ET.Element) -> list[str]:
    return [t.text or "" for t in root.iter(f"{SVG}text")]


def test_bar_chart_is_valid_svg_with_one_bar_per_item() -> None:
    bars = [
        charts.Bar("prod", 92.5, note="A", color=charts.grade_color("A")),
        charts.Bar("dev", 41.0, note="F"),
    ]
    root = parse(charts.bar_chart(bars, title="Scores", max_value=100))
    rects = list(root.iter(f"{SVG}rect"))
    assert len(rects) == 2
    widths = [float(r.attrib["width"]) for r in rects]
    assert widths[0] / widths[1] == pytest.approx(92.5 / 41.0, rel=0.01)
    assert rects[0].attrib["fill"] == charts.GRADE_COLORS["A"]
    labels = texts(root)
    assert "prod" in labels and "92.5 A" in labels and "41.0 F" in labels
    assert root.find(f"{SVG}title") is not None


def test_labels_are_escaped_and_read_back_verbatim() -> None:
    svg = charts.bar_chart([charts.Bar(HOSTILE, 3, note="<b>")], title=HOSTILE, label_chars=60)
    assert "<script>" not in svg and "<b>" not in svg
    root = parse(svg)
    assert HOSTILE in texts(root)
    assert "3.0 <b>" in texts(root)
    assert root.find(f"{SVG}title").text == HOSTILE  # type: ignore[union-attr]
    assert not list(root.iter(f"{SVG}script"))


def test_attribute_values_cannot_break_out() -> None:
    svg = charts.bar_chart([charts.Bar("x", 1, color='red" onload="alert(1)')], title="t")
    rect = next(parse(svg).iter(f"{SVG}rect"))
    assert rect.attrib["fill"] == 'red" onload="alert(1)'
    assert "onload" not in rect.attrib


def test_long_labels_are_clipped_with_an_ellipsis() -> None:
    name = "acct-" + "x" * 80
    root = parse(charts.bar_chart([charts.Bar(name, 50)], title="t", label_chars=20))
    label = texts(root)[0]
    assert len(label) == 20 and label.endswith("…") and name.startswith(label[:-1])


def test_axis_fits_the_largest_value_when_no_maximum_is_given() -> None:
    root = parse(
        charts.bar_chart(
            [charts.Bar("a", 730), charts.Bar("b", 10)],
            title="t",
            value_format="{:,.0f}".format,
            tick_format="{:g}".format,
        )
    )
    assert "1000" in texts(root)  # 730 rounds up to a 1-2-5 axis maximum
    assert "730" in texts(root)


def test_empty_bar_chart_says_so() -> None:
    root = parse(charts.bar_chart([], title="t", empty_text="No failing findings."))
    assert texts(root) == ["No failing findings."]


def test_trend_chart_draws_every_point_oldest_left() -> None:
    points = [charts.Point(f"2026-0{i}-28", v) for i, v in enumerate((61.0, 70.5, 68.0, 88.2), start=1)]
    root = parse(charts.trend_chart(points, title="Organization score"))
    circles = list(root.iter(f"{SVG}circle"))
    assert len(circles) == 4
    xs = [float(c.attrib["cx"]) for c in circles]
    ys = [float(c.attrib["cy"]) for c in circles]
    assert xs == sorted(xs)
    assert ys[3] < ys[0]  # a higher score is drawn higher up
    line = next(root.iter(f"{SVG}polyline"))
    assert len(line.attrib["points"].split()) == 4
    assert {"61.0", "88.2", "2026-01-28", "2026-04-28"} <= set(texts(root))


def test_trend_chart_with_one_or_no_point_is_still_valid() -> None:
    root = parse(charts.trend_chart([charts.Point("now", 75.0)], title="t"))
    assert len(list(root.iter(f"{SVG}circle"))) == 1 and not list(root.iter(f"{SVG}polyline"))
    assert "No earlier runs." in texts(parse(charts.trend_chart([], title="t")))


def test_trend_labels_are_escaped() -> None:
    svg = charts.trend_chart([charts.Point("<i>", 50), charts.Point("&", 60)], title="a<b")
    assert "<i>" not in svg
    assert {"<i>", "&"} <= set(texts(parse(svg)))
