"""Server-side SVG charts: valid XML, accessible, escaped, styled by classes only."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from widget_server.web import charts

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = "<script>alert(\"x\")</script> & 'Söhne' \x00\x07 </svg>"
CLEAN = "<script>alert(\"x\")</script> & 'Söhne'  </svg>"  # as text, without the control bytes


def build(kind: str, label: str) -> str:
    if kind == "pairs":
        return charts.paired_bars(
            "c1", f"Title {label}", f"Desc {label}", [charts.Pair(label, 10, 7.5)], ("a", label)
        )
    if kind == "ratios":
        return charts.ratio_bars(
            "c2",
            f"Title {label}",
            f"Desc {label}",
            [charts.Ratio(label, 0.8, 1.2), charts.Ratio("other", None, None)],
            bound_label=label,
        )
    return charts.line_chart(
        "c3",
        f"Title {label}",
        f"Desc {label}",
        ["2027-01-01", label],
        [charts.Series(label, [1, 2]), charts.Series("b", [0, 3], "series-b")],
    )


@pytest.mark.parametrize("kind", ["pairs", "ratios", "lines"])
def test_charts_are_valid_svg_with_title_and_desc_named_by_aria(kind: str) -> None:
    root = ET.fromstring(build(kind, "Blumenhaus"))
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title is not None and desc is not None
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    assert title.text == "Title Blumenhaus"


@pytest.mark.parametrize("kind", ["pairs", "ratios", "lines"])
def test_hostile_member_names_are_escaped(kind: str) -> None:
    svg = build(kind, HOSTILE)
    root = ET.fromstring(svg)  # would raise on unescaped markup or control bytes
    assert not root.findall(f".//{SVG}script") and "<script" not in svg
    texts = ["".join(el.itertext()) for el in root.iter()]
    assert any(CLEAN in t for t in texts)
    title = root.find(f"{SVG}title")
    assert title is not None and title.text == f"Title {CLEAN}"


@pytest.mark.parametrize("kind", ["pairs", "ratios", "lines"])
def test_charts_use_classes_not_style_attributes(kind: str) -> None:
    root = ET.fromstring(build(kind, "x"))
    for element in root.iter():
        assert "style" not in element.attrib, element.tag
        for name in element.attrib:
            assert not name.startswith("on"), name  # no event handlers
    classes = {c for el in root.iter() for c in el.get("class", "").split()}
    assert "chart" in classes


def test_bars_scale_to_the_largest_value() -> None:
    svg = charts.paired_bars(
        "c", "t", "d", [charts.Pair("a", 100, 50), charts.Pair("b", 25, 0)], ("x", "y")
    )
    root = ET.fromstring(svg)
    widths = [
        float(r.get("width", "0")) for r in root.iter(f"{SVG}rect") if "bar" in r.get("class", "")
    ]
    assert widths[0] == max(widths) and widths[1] == pytest.approx(widths[0] / 2)
    assert widths[3] == 0


def test_empty_charts_still_render() -> None:
    for svg in (
        charts.paired_bars("c", "t", "d", [], ("x", "y")),
        charts.ratio_bars("c", "t", "d", [], bound_label="b"),
        charts.line_chart("c", "t", "d", [], []),
    ):
        ET.fromstring(svg)


@pytest.mark.parametrize(
    ("top", "ticks"),
    [
        (0, [0.0, 1.0]),
        (7, [0, 2, 4, 6, 8]),
        (10, [0, 2.5, 5, 7.5, 10]),
        (1234, [0, 500, 1000, 1500]),
        (0.9, [0, 0.25, 0.5, 0.75, 1.0]),
    ],
)
def test_nice_ticks(top: float, ticks: list[float]) -> None:
    assert charts.nice_ticks(top) == ticks


@pytest.mark.parametrize(
    ("value", "lang", "shown"),
    [
        (1234.5, "de", "1.234,50"),
        (1234.5, "en", "1,234.50"),
        (2000, "de", "2.000"),
        (0.8, "de", "0,80"),
    ],
)
def test_numbers_follow_the_language(value: float, lang: str, shown: str) -> None:
    assert charts.number(value, lang) == shown
