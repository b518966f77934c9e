"""Portal: the member's figures, given and received per theme, as charts with tables.

From ``stats.member_report`` (the daily aggregates: nothing about visitors),
drawn by ``charts.py`` like the admin's figures: one bar chart with a row per
theme, and a line chart per theme over the chosen period.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response

from widget_server.core.collation import sort_key
from widget_server.core.i18n import translator
from widget_server.core.models import Member, Theme
from widget_server.counting import stats
from widget_server.counting.events import day_of
from widget_server.web import charts
from widget_server.web.endpoints.admin.figures import Figure
from widget_server.web.endpoints.portal.base import lang_of, member_of, render
from widget_server.web.runtime import runtime_of

PERIODS = (7, 30, 90, 365)  # days the member may choose
DEFAULT_PERIOD = 30


def _num(value: float | None, lang: str) -> str:
    return "–" if value is None else charts.number(value, lang)


def themes_figure(member: Member, rows: list[dict[str, Any]], lang: str) -> Figure:
    """Given against received, one row per theme."""
    t = translator(lang)
    svg = charts.paired_bars(
        "portal-themes",
        t.gettext("Given and received by %(name)s per theme", name=member.name),
        t.gettext("Bar chart: the partner views given and received in each theme."),
        [charts.Pair(r["name"], float(r["views_given"]), float(r["views_received"])) for r in rows],
        (t.gettext("given"), t.gettext("received")),
        lang=lang,
    )
    return Figure(
        Markup(svg),  # noqa: S704  (escaped by charts.py)
        (t.gettext("Theme"), t.gettext("given"), t.gettext("received")),
        tuple(
            (r["name"], _num(r["views_given"], lang), _num(r["views_received"], lang)) for r in rows
        ),
    )


def daily_figure(theme: Theme, row: dict[str, Any], since: date, until: date, lang: str) -> Figure:
    """Given and received per day in one theme."""
    t = translator(lang)
    by_day = {d["day"]: d for d in row["days"]}
    days = [(since + timedelta(days=i)).isoformat() for i in range((until - since).days + 1)]
    given = [float(by_day.get(d, {}).get("views_given", 0)) for d in days]
    received = [float(by_day.get(d, {}).get("views_received", 0)) for d in days]
    svg = charts.line_chart(
        f"portal-daily-{theme.slug}",
        t.gettext("Over time in %(theme)s", theme=theme.name(lang)),
        t.gettext(
            "Line chart: %(given)s given and %(received)s received in total.",
            given=_num(sum(given), lang),
            received=_num(sum(received), lang),
        ),
        days,
        [
            charts.Series(t.gettext("given"), given, "series-a"),
            charts.Series(t.gettext("received"), received, "series-b"),
        ],
        lang=lang,
    )
    return Figure(
        Markup(svg),  # noqa: S704  (escaped by charts.py)
        (t.gettext("Day"), t.gettext("given"), t.gettext("received")),
        tuple(
            (d, _num(g, lang), _num(r, lang))
            for d, g, r in zip(days, given, received, strict=True)
            if g or r
        ),
    )


def _period(request: Request) -> int:
    raw = request.query_params.get("days", "")
    return int(raw) if raw.isdigit() and int(raw) in PERIODS else DEFAULT_PERIOD


async def figures_page(request: Request) -> Response:
    runtime = runtime_of(request)
    storage = runtime.storage
    member = member_of(request)
    lang = lang_of(request)
    days = _period(request)
    until = day_of(runtime.clock())
    since = until - timedelta(days=days - 1)
    report = await stats.member_report(storage, member, since=since, until=until)
    themes = {t.slug: t for t in await storage.list_themes()}
    rows = []
    for row in report["themes"]:
        theme = themes[row["theme"]]
        rows.append({**row, "name": theme.name(lang), "theme_obj": theme})
    rows.sort(key=lambda r: sort_key(r["name"]))
    has_data = any(r["views_given"] or r["views_received"] for r in rows)
    return render(
        request,
        "figures.html",
        {
            "section": "figures",
            "days": days,
            "periods": PERIODS,
            "rows": rows,
            "has_data": has_data,
            "overview": themes_figure(member, rows, lang) if rows else None,
            "daily": [(r, daily_figure(r["theme_obj"], r, since, until, lang)) for r in rows],
        },
    )
