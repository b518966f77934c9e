"""Figures: given and received per member and theme, as JSON or CSV."""

from __future__ import annotations

from datetime import date

from starlette.requests import Request
from starlette.responses import Response

from widget_server.core.errors import ValidationError
from widget_server.counting import stats
from widget_server.web.endpoints.api.base import answer, query_choice, require, require_member
from widget_server.web.runtime import runtime_of

PRIVATE = {"Cache-Control": "private, no-store"}


def _period(request: Request) -> tuple[date | None, date | None]:
    def day(name: str) -> date | None:
        value = request.query_params.get(name)
        if not value:
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise ValidationError(name, f"{value[:40]!r} is not a date (YYYY-MM-DD)") from None

    return day("from"), day("to")


def _wants_csv(request: Request) -> bool:
    chosen = query_choice(request, "format", ("json", "csv"))
    if chosen is not None:
        return chosen == "csv"
    return "text/csv" in request.headers.get("accept", "")


def _csv(text: str, name: str) -> Response:
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"', **PRIVATE},
    )


async def member_stats(request: Request) -> Response:
    """Given and received per theme and day; a member key sees only its own."""
    _, member = await require_member(request, request.path_params["slug"])
    storage = runtime_of(request).storage
    theme_slug = request.query_params.get("theme")
    theme = await storage.get_theme(theme_slug) if theme_slug else None
    since, until = _period(request)
    csv = _wants_csv(request)
    report = await stats.member_report(storage, member, theme=theme, since=since, until=until)
    if csv:
        return _csv(stats.member_csv(report), f"partnerkreis-{member.slug}")
    return answer(report, headers=PRIVATE)


async def theme_stats(request: Request) -> Response:
    """Totals of a theme and the distribution of its members' balances (coordinators)."""
    await require(request, coordinator=True)
    storage = runtime_of(request).storage
    theme = await storage.get_theme(request.path_params["slug"])
    since, until = _period(request)
    csv = _wants_csv(request)
    report = await stats.theme_report(storage, theme, since=since, until=until)
    if csv:
        return _csv(stats.theme_csv(report), f"partnerkreis-{theme.slug}")
    return answer(report, headers=PRIVATE)
