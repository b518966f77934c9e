"""Charts as SVG, drawn on the server: pure functions from numbers to markup.

Every chart is one ``<svg role="img">`` with a ``<title>`` and a ``<desc>``
that it names in ``aria-labelledby``; bars and points carry their own
``<title>`` (a tooltip and a label for screen readers).  All text is escaped
and stripped of characters XML does not allow, since member names come from
members.  Colours come from classes styled in ``static/admin.css``: the pages'
Content-Security-Policy forbids ``style`` attributes, and classes follow the
light or dark scheme.  Pages show the same figures as a table next to each chart.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

WIDTH = 720
LABEL_WIDTH = 190  # room for member names left of horizontal bars
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def text(value: object) -> str:
    """Escaped for XML text and attribute values, invalid characters removed."""
    return escape(_XML_INVALID.sub("", str(value)), quote=True)


def short(label: str, limit: int = 26) -> str:
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"


def number(value: float, lang: str = "de", digits: int = 2) -> str:
    """``1234.5`` as ``1.234,50`` (German) or ``1,234.50`` (English); whole numbers plain."""
    shown = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.{digits}f}"
    if lang == "de":
        shown = shown.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return shown


def tick_label(value: float, lang: str = "de") -> str:
    """A grid value as short as it goes: ``2.5`` (``2,5``), ``10,000`` (``10.000``)."""
    if float(value).is_integer():
        return number(value, lang)
    shown = f"{value:g}"
    return shown.replace(".", ",") if lang == "de" else shown


def nice_ticks(top: float, count: int = 4) -> list[float]:
    """Round grid values from 0 to at least ``top`` (1, 2, 2.5 or 5 times a power of ten)."""
    if top <= 0 or not math.isfinite(top):
        return [0.0, 1.0]
    raw = top / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    n = math.ceil(top / step - 1e-9)
    return [round(i * step, 10) for i in range(n + 1)]


def _open(chart_id: str, title: str, desc: str, height: int, css: str) -> list[str]:
    cid = text(chart_id)
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {css}" viewBox="0 0 {WIDTH} '
        f'{height}" width="{WIDTH}" height="{height}" role="img" '
        f'aria-labelledby="{cid}-title {cid}-desc" focusable="false">',
        f'<title id="{cid}-title">{text(title)}</title>',
        f'<desc id="{cid}-desc">{text(desc)}</desc>',
    ]


def _legend(items: Sequence[tuple[str, str]], y: int) -> list[str]:
    out = ['<g class="legend" aria-hidden="true">']
    x = LABEL_WIDTH
    for label, css in items:
        out.append(
            f'<rect class="swatch {css}" x="{x}" y="{y - 10}" width="12" height="12" rx="2"/>'
        )
        out.append(f'<text x="{x + 18}" y="{y}">{text(label)}</text>')
        x += 30 + 8 * len(label)
    out.append("</g>")
    return out


def _x_axis(ticks: list[float], scale: float, top: int, bottom: int, lang: str) -> list[str]:
    out = ['<g class="axis" aria-hidden="true">']
    for tick in ticks:
        x = LABEL_WIDTH + tick * scale
        out.append(f'<line class="grid" x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{bottom}"/>')
        out.append(
            f'<text class="tick" x="{x:.1f}" y="{bottom + 16}" text-anchor="middle">'
            f"{text(tick_label(tick, lang))}</text>"
        )
    out.append("</g>")
    return out


@dataclass(frozen=True)
class Pair:
    """One row of a paired bar chart: a member's two figures."""

    label: str
    first: float
    second: float


def paired_bars(
    chart_id: str,
    title: str,
    desc: str,
    rows: Sequence[Pair],
    series: tuple[str, str],
    *,
    lang: str = "de",
) -> str:
    """Two horizontal bars per row (given against received), one row per member."""
    row_height, bar = 34, 12
    top = 36
    height = top + max(len(rows), 1) * row_height + 30
    out = _open(chart_id, title, desc, height, "chart-pairs")
    out += _legend([(series[0], "series-a"), (series[1], "series-b")], 18)
    largest = max([max(r.first, r.second) for r in rows] + [0.0])
    ticks = nice_ticks(largest)
    scale = (WIDTH - LABEL_WIDTH - 20) / (ticks[-1] or 1)
    bottom = top + len(rows) * row_height
    out += _x_axis(ticks, scale, top - 4, bottom, lang)
    for i, row in enumerate(rows):
        y = top + i * row_height
        out.append('<g class="row">')
        out.append(
            f'<text class="label" x="{LABEL_WIDTH - 8}" y="{y + bar + 4}" text-anchor="end">'
            f"<title>{text(row.label)}</title>{text(short(row.label))}</text>"
        )
        for n, (value, css, name) in enumerate(
            ((row.first, "series-a", series[0]), (row.second, "series-b", series[1]))
        ):
            by = y + 3 + n * (bar + 2)
            w = max(value * scale, 0.0)
            out.append(
                f'<rect class="bar {css}" x="{LABEL_WIDTH}" y="{by}" width="{w:.1f}" '
                f'height="{bar}" rx="2"><title>{text(row.label)}: {text(name)} '
                f"{text(number(value, lang))}</title></rect>"
            )
        out.append("</g>")
    if not rows:
        out.append(f'<text class="empty" x="{LABEL_WIDTH}" y="{top + 20}">–</text>')
    out.append("</svg>")
    return "\n".join(out)


@dataclass(frozen=True)
class Ratio:
    """One member's received/given ratio and the structural bound it cannot exceed."""

    label: str
    ratio: float | None
    bound: float | None = None


def ratio_bars(
    chart_id: str,
    title: str,
    desc: str,
    rows: Sequence[Ratio],
    *,
    bound_label: str,
    even_label: str = "1",
    lang: str = "de",
) -> str:
    """Ratios as bars around the line of even exchange (1), bounds as markers."""
    row_height, bar = 26, 14
    top = 36
    height = top + max(len(rows), 1) * row_height + 30
    out = _open(chart_id, title, desc, height, "chart-ratios")
    out += _legend([(even_label, "series-even"), (bound_label, "series-bound")], 18)
    values = [v for r in rows for v in (r.ratio, r.bound) if v is not None and math.isfinite(v)]
    ticks = nice_ticks(min(max(values + [1.5]), 10.0))
    scale = (WIDTH - LABEL_WIDTH - 20) / ticks[-1]
    bottom = top + len(rows) * row_height
    out += _x_axis(ticks, scale, top - 4, bottom, lang)
    for i, row in enumerate(rows):
        y = top + i * row_height
        out.append('<g class="row">')
        out.append(
            f'<text class="label" x="{LABEL_WIDTH - 8}" y="{y + bar}" text-anchor="end">'
            f"<title>{text(row.label)}</title>{text(short(row.label))}</text>"
        )
        if row.ratio is not None:
            shown = min(row.ratio, ticks[-1])
            css = "series-low" if row.ratio < 0.9 else "series-high" if row.ratio > 1.1 else ""
            out.append(
                f'<rect class="bar series-a {css}" x="{LABEL_WIDTH}" y="{y + 4}" '
                f'width="{shown * scale:.1f}" height="{bar}" rx="2"><title>{text(row.label)}: '
                f"{text(number(row.ratio, lang))}</title></rect>"
            )
        if row.bound is not None and row.bound <= ticks[-1]:
            x = LABEL_WIDTH + row.bound * scale
            out.append(
                f'<path class="marker series-bound" d="M{x:.1f} {y + 1}v20"><title>'
                f"{text(row.label)}: {text(bound_label)} {text(number(row.bound, lang))}"
                "</title></path>"
            )
        out.append("</g>")
    even = LABEL_WIDTH + scale
    out.append(
        f'<line class="even series-even" x1="{even:.1f}" y1="{top - 6}" x2="{even:.1f}" '
        f'y2="{bottom + 2}" aria-hidden="true"/>'
    )
    out.append("</svg>")
    return "\n".join(out)


@dataclass(frozen=True)
class Series:
    label: str
    values: Sequence[float]
    css: str = "series-a"


def line_chart(
    chart_id: str,
    title: str,
    desc: str,
    days: Sequence[str],
    series: Sequence[Series],
    *,
    lang: str = "de",
) -> str:
    """Figures over time: one line per series, days along the x axis."""
    left, right, top, height = 64, 16, 36, 260
    bottom = height - 36
    out = _open(chart_id, title, desc, height, "chart-lines")
    out += _legend([(s.label, s.css) for s in series], 18)
    largest = max([v for s in series for v in s.values] + [0.0])
    ticks = nice_ticks(largest)
    y_scale = (bottom - top) / (ticks[-1] or 1)
    span = max(len(days) - 1, 1)
    x_of = [left + (WIDTH - left - right) * i / span for i in range(len(days))]
    out.append('<g class="axis" aria-hidden="true">')
    for tick in ticks:
        y = bottom - tick * y_scale
        out.append(
            f'<line class="grid" x1="{left}" y1="{y:.1f}" x2="{WIDTH - right}" y2="{y:.1f}"/>'
        )
        out.append(
            f'<text class="tick" x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">'
            f"{text(tick_label(tick, lang))}</text>"
        )
    if days:
        shown = sorted({0, len(days) // 2, len(days) - 1})
        for i in shown:
            anchor = (
                "start" if i == 0 and len(days) > 1 else "end" if i == len(days) - 1 else "middle"
            )
            out.append(
                f'<text class="tick" x="{x_of[i]:.1f}" y="{bottom + 18}" text-anchor="{anchor}">'
                f"{text(days[i])}</text>"
            )
    out.append("</g>")
    for s in series:
        points = " ".join(
            f"{x_of[i]:.1f},{bottom - v * y_scale:.1f}" for i, v in enumerate(s.values)
        )
        out.append(f'<g class="line {s.css}">')
        if len(s.values) > 1:
            out.append(f'<polyline points="{points}" fill="none"/>')
        for i, v in enumerate(s.values):
            out.append(
                f'<circle cx="{x_of[i]:.1f}" cy="{bottom - v * y_scale:.1f}" r="3">'
                f"<title>{text(days[i])}: {text(s.label)} {text(number(v, lang))}</title></circle>"
            )
        out.append("</g>")
    if not days:
        out.append(f'<text class="empty" x="{left + 8}" y="{(top + bottom) // 2}">–</text>')
    out.append("</svg>")
    return "\n".join(out)
