"""Figures for the admin pages: reports (``counting/stats.py``, ``simulation.py``) as charts.

Each ``Figure`` is an SVG chart (``charts.py``) with the same numbers as a
table, which the pages show beneath the chart for screen readers and for
copying.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from markupsafe import Markup

from widget_server.core.i18n import translator
from widget_server.core.models import CounterRow, Member, Theme
from widget_server.counting import stats
from widget_server.counting.comparison import Comparison
from widget_server.counting.report import BAND
from widget_server.storage import Storage
from widget_server.web import charts
from widget_server.web.charts import number


@dataclass(frozen=True)
class Figure:
    svg: Markup  # built by charts.py, every text in it escaped
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


def _days(since: date, until: date) -> list[date]:
    return [since + timedelta(days=i) for i in range((until - since).days + 1)]


def _num(value: float | None, lang: str, digits: int = 2) -> str:
    return "–" if value is None else charts.number(value, lang, digits)


async def member_history(
    storage: Storage, member: Member, since: date, until: date, lang: str
) -> Figure:
    """A member's partner views given and received per day, over all its themes."""
    t = translator(lang)
    report = await stats.member_report(storage, member, since=since, until=until)
    given: dict[str, float] = {}
    received: dict[str, float] = {}
    for theme in report["themes"]:
        for day in theme["days"]:
            given[day["day"]] = given.get(day["day"], 0) + day["views_given"]
            received[day["day"]] = received.get(day["day"], 0) + day["views_received"]
    days = [d.isoformat() for d in _days(since, until)]
    a = [given.get(d, 0.0) for d in days]
    b = [received.get(d, 0.0) for d in days]
    svg = charts.line_chart(
        f"history-{member.slug}",
        t.gettext("Referrals of %(name)s per day", name=member.name),
        t.gettext(
            "Line chart: %(given)s given and %(received)s received in total.",
            given=_num(sum(a), lang),
            received=_num(sum(b), lang),
        ),
        days,
        [
            charts.Series(t.gettext("given"), a, "series-a"),
            charts.Series(t.gettext("received"), b, "series-b"),
        ],
        lang=lang,
    )
    rows = tuple(
        (d, _num(x, lang), _num(y, lang)) for d, x, y in zip(days, a, b, strict=True) if x or y
    )
    headers = (t.gettext("Day"), t.gettext("given"), t.gettext("received"))
    return Figure(Markup(svg), headers, rows)  # noqa: S704  (escaped by charts.py)


# Members a theme's charts and their tables show: those with the most partner views
# given.  A theme of a town or a region has thousands (10,000 made a page of 10 MB);
# `widget-server stats --theme SLUG` lists every one.
STATS_SHOWN = 40


async def theme_figures(
    storage: Storage, theme: Theme, since: date, until: date, lang: str
) -> dict[str, Any]:
    """Given against received per member, the balance with bounds, and figures per day:
    read here, made in a worker thread (at 10,000 members a second of Python that held
    the widget's answers)."""
    rows = await storage.list_counts(since=since, theme_id=theme.id)
    members = await storage.list_members(theme_id=theme.id)
    return await asyncio.to_thread(_theme_figures, theme, rows, members, since, until, lang)


def _theme_figures(
    theme: Theme,
    rows: Sequence[CounterRow],
    listed: Sequence[Member],
    since: date,
    until: date,
    lang: str,
) -> dict[str, Any]:
    t = translator(lang)
    ledger = stats.tally(rows, since, until)
    report = stats.theme_report_of(theme, ledger, listed, since, until)
    everyone = sorted(report["members"], key=lambda r: -r["views_given"])
    members = everyone[:STATS_SHOWN]
    pairs = [
        charts.Pair(m["name"], float(m["views_given"]), float(m["views_received"])) for m in members
    ]
    exchange = Figure(
        Markup(  # noqa: S704  (escaped by charts.py)
            charts.paired_bars(
                f"exchange-{theme.slug}",
                t.gettext("Given and received in %(theme)s", theme=theme.name(lang)),
                t.gettext("Bar chart: the partner views each member gave and received."),
                pairs,
                (t.gettext("given"), t.gettext("received")),
                lang=lang,
            )
        ),
        (t.gettext("Member"), t.gettext("given"), t.gettext("received"), t.gettext("Clicks")),
        tuple(
            (
                m["name"],
                _num(m["views_given"], lang),
                _num(m["views_received"], lang),
                f"{_num(m['clicks_given'], lang)} / {_num(m['clicks_received'], lang)}",
            )
            for m in members
        ),
    )
    balance = ratio_figure(
        f"balance-{theme.slug}",
        t.gettext("Balance in %(theme)s", theme=theme.name(lang)),
        t.gettext(
            "Bar chart: received divided by given per member, with the line at 1 and the"
            " structural bound as a mark."
        ),
        [(m["name"], m["balance"], m["bound"]) for m in members],
        lang,
    )
    per_day: dict[date, list[float]] = {}
    for (_, _, day), tally in ledger.daily.items():
        cell = per_day.setdefault(day, [0.0, 0.0, 0.0])
        cell[0] += tally.block_views
        cell[1] += tally.views_given
        cell[2] += tally.clicks_given
    days = _days(since, until)
    series = [[per_day.get(d, [0.0, 0.0, 0.0])[i] for d in days] for i in range(3)]
    labels = (t.gettext("blocks viewed"), t.gettext("partner views"), t.gettext("Clicks"))
    history = Figure(
        Markup(  # noqa: S704  (escaped by charts.py)
            charts.line_chart(
                f"daily-{theme.slug}",
                t.gettext("Over time in %(theme)s", theme=theme.name(lang)),
                t.gettext("Line chart: blocks viewed, partner views and clicks per day."),
                [d.isoformat() for d in days],
                [
                    charts.Series(labels[0], series[0], "series-c"),
                    charts.Series(labels[1], series[1], "series-a"),
                    charts.Series(labels[2], series[2], "series-b"),
                ],
                lang=lang,
            )
        ),
        (t.gettext("Day"), *labels),
        tuple(
            (d.isoformat(), *(_num(s[i], lang) for s in series))
            for i, d in enumerate(days)
            if any(s[i] for s in series)
        ),
    )
    return {
        "report": report,
        "exchange": exchange,
        "balance": balance,
        "history": history,
        "shown": len(members),
        "count": len(everyone),
    }


def ratio_figure(
    chart_id: str,
    title: str,
    desc: str,
    rows: Sequence[tuple[str, float | None, float | None]],
    lang: str,
) -> Figure:
    t = translator(lang)
    svg = charts.ratio_bars(
        chart_id,
        title,
        desc,
        [charts.Ratio(name, ratio, bound) for name, ratio, bound in rows],
        bound_label=t.gettext("Bound"),
        even_label=t.gettext("1 = even"),
        lang=lang,
    )
    return Figure(
        Markup(svg),  # noqa: S704  (escaped by charts.py)
        (t.gettext("Member"), t.gettext("Balance"), t.gettext("Bound")),
        tuple(
            (name, _num(ratio, lang), _num(bound, lang) + (" *" if bound and bound < 1 else ""))
            for name, ratio, bound in rows
        ),
    )


def simulation_figures(
    result: Comparison, names: Mapping[str, str], lang: str, chart_id: str
) -> dict[str, Figure]:
    """The simulator's ratios against their bounds, and exposure given against received."""
    t = translator(lang)
    members = result.members
    ratios = ratio_figure(
        f"{chart_id}-ratios",
        t.gettext("Simulated balance per member"),
        t.gettext(
            "Bar chart: exposure received divided by given, with the line at 1 and the"
            " structural bound."
        ),
        [(names.get(m.member, m.member), m.ratio, m.bound) for m in members],
        lang,
    )
    pairs = [charts.Pair(names.get(m.member, m.member), m.given, m.received) for m in members]
    exposure = Figure(
        Markup(  # noqa: S704  (escaped by charts.py)
            charts.paired_bars(
                f"{chart_id}-exposure",
                t.gettext("Simulated exposure"),
                t.gettext("Bar chart: exposure given and received per member."),
                pairs,
                (t.gettext("given"), t.gettext("received")),
                lang=lang,
            )
        ),
        (t.gettext("Member"), t.gettext("Block views"), t.gettext("given"), t.gettext("received")),
        tuple(
            (
                names.get(m.member, m.member),
                _num(m.views, lang),
                _num(m.given, lang, 1),
                _num(m.received, lang, 1),
            )
            for m in members
        ),
    )
    return {"ratios": ratios, "exposure": exposure}


def simulation_in_words(
    result: Comparison, names: Mapping[str, str], lang: str, alpha: float
) -> list[str]:
    """What the simulator's figures mean for the network, member by member, in sentences."""
    t = translator(lang)
    low, high = BAND
    lines: list[str] = []
    balanced = 0
    for row in result.members:
        name = names.get(row.member, row.member)
        ratio = row.ratio
        if ratio is None:
            lines.append(
                t.gettext(
                    "%(name)s showed no partners in the simulation, so there is nothing to"
                    " balance: its website had no visitors.",
                    name=name,
                )
            )
        elif row.bound is not None and row.bound < 1.0 and ratio >= 0.9 * row.bound:
            lines.append(
                t.gettext(
                    "%(name)s gives more than it gets back, because its website has more"
                    " visitors than all the others together can return: even in first place on"
                    " every other website it can get back at most %(bound)s %% of what it"
                    " gives. That is no unfairness of the rules.",
                    name=name,
                    bound=number(100 * row.bound, lang, 0),
                )
            )
        elif ratio < low:
            lines.append(
                t.gettext(
                    "%(name)s gives more than it gets back (%(percent)s %%), because the websites"
                    " that show it have fewer visitors than its own.",
                    name=name,
                    percent=number(100 * ratio, lang, 0),
                )
            )
        elif ratio > high:
            reason = (
                t.gettext("the network shares part of the visibility equally (solidarity)")
                if alpha < 1
                else t.gettext("newcomers get a head start")
            )
            lines.append(
                t.gettext(
                    "%(name)s gets back more than it gives (%(percent)s %%), because its own"
                    " website has few visitors and %(reason)s.",
                    name=name,
                    percent=number(100 * ratio, lang, 0),
                    reason=reason,
                )
            )
        else:
            balanced += 1
    if balanced:
        lines.insert(
            0,
            t.ngettext(
                "%(num)d member gets back about as much as it gives (between %(low)s and"
                " %(high)s %% of it).",
                "%(num)d members get back about as much as they give (between %(low)s and"
                " %(high)s %% of it).",
                balanced,
                low=number(100 * low, lang, 0),
                high=number(100 * high, lang, 0),
            ),
        )
    return lines
