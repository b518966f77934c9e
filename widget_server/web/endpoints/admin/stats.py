"""Admin pages with figures: the overview, a theme's stats, and the fair-exchange simulator.

The simulator runs ``comparison.compare`` (the real selection and ledger, beside
equal rotation and a 1:1 credit exchange on the same traffic) in a worker
thread and writes nothing; its parameters are bounded so one run takes at
most several seconds.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from widget_server.core.collation import sorted_german
from widget_server.core.errors import ValidationError
from widget_server.core.models import MEMBER_STATUSES
from widget_server.counting.comparison import compare
from widget_server.counting.events import day_of
from widget_server.counting.scenario import Scenario
from widget_server.counting.simulation import (
    DEFAULT_SEED,
    default_warmup,
    with_fairness,
    zipf_traffic,
)
from widget_server.network import audit
from widget_server.serving.ledger_process import NICENESS
from widget_server.serving.snapshot import fresh_pools
from widget_server.web.endpoints.admin import mail as admin_mail
from widget_server.web.endpoints.admin import review
from widget_server.web.endpoints.admin.base import lang_of, render, render_long, themes_by_name
from widget_server.web.endpoints.admin.figures import (
    simulation_figures,
    simulation_in_words,
    theme_figures,
)
from widget_server.web.runtime import mailer_of, runtime_of

DEFAULT_PERIOD = 30  # days shown by the stats page unless asked otherwise
MAX_PERIOD = 366
# Themes and members awaiting approval the overview lists; past that it links to the
# lists (a network of a chamber: 2,000 themes, an import of thousands left pending).
OVERVIEW_SHOWN = 12
# simulator inputs: name -> (default, low, high)
SIM_INPUTS: dict[str, tuple[float, float, float]] = {
    "days": (60, 7, 120),
    "views": (2000, 1, 20_000),
    "zipf": (1.0, 0.0, 3.0),
}
# The simulator here answers within seconds to a minute: its members times its days at
# most this.  A run costs about 0.4 ms per member and day beside its draws (a theme of
# 10,000 members: some 4 s a day), so a theme of 100 may run its 120 days, one of
# 1,000 twenty and one of 3,000 or more none: `widget-server simulate` runs those.
SIM_MEMBER_DAYS = 20_000


async def dashboard(request: Request) -> Response:
    storage = runtime_of(request).storage
    lang = lang_of(request)
    # Counted in the database and only the pending read: every member read whole took
    # 2-3 s at 100,000 members and held the widget for most of a second.
    stored = await storage.member_status_counts()
    counts = {s: stored.get(s, 0) for s in MEMBER_STATUSES}
    pending = await storage.list_members(status="pending", limit=OVERVIEW_SHOWN)
    themes = await themes_by_name(storage, lang)
    per_theme = await storage.theme_member_counts()
    return await render_long(
        request,
        "dashboard.html",
        {
            "section": "home",
            "counts": counts,
            "pending": sorted_german(pending, key=lambda m: m.name),
            "themes": [(t, per_theme.get(t.id, 0), t.name(lang)) for t in themes[:OVERVIEW_SHOWN]],
            "theme_count": len(themes),
            "recent": await audit.entries(storage, limit=8),
            "changes": await review.pending_entries(request, storage),
            "mail": await admin_mail.status(mailer_of(request)),
            "applications": len(await storage.list_applications(open_only=True)),
            "offers_to_approve": sum(
                1
                for o in await storage.list_offers(status="proposed")
                if o.needs_approval and not o.approved_at
            ),
        },
    )


def _day(request: Request, name: str, default: date) -> date:
    raw = request.query_params.get(name, "")
    if not raw:
        return default
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ValidationError(name, f"{raw[:20]!r} is not a date (YYYY-MM-DD)") from None


async def stats_page(request: Request) -> Response:
    runtime = runtime_of(request)
    storage = runtime.storage
    lang = lang_of(request)
    themes = await themes_by_name(storage, lang)
    slug = request.query_params.get("theme") or (themes[0].slug if themes else "")
    theme = next((t for t in themes if t.slug == slug), None)
    today = day_of(runtime.clock())
    errors: dict[str, str] = {}
    since, until = today - timedelta(days=DEFAULT_PERIOD - 1), today
    try:
        since = _day(request, "from", since)
        until = _day(request, "to", until)
        if since > until:
            raise ValidationError("from", "is after the last day")
        if (until - since).days >= MAX_PERIOD:
            raise ValidationError("from", f"the period is longer than {MAX_PERIOD} days")
    except ValidationError as exc:
        errors[exc.field] = exc.reason
        since, until = today - timedelta(days=DEFAULT_PERIOD - 1), today
    figures = await theme_figures(storage, theme, since, until, lang) if theme else None
    bursts = []
    if theme is not None:
        capped = await storage.list_capped(theme.id, since, until)
        hosts = sorted({host_id for _, host_id, _ in capped})
        names = {m.id: m.name for m in await storage.members_with_ids(hosts)}
        bursts = [(day, names.get(host_id, f"#{host_id}"), n) for day, host_id, n in capped]
    # In a worker thread: its choice of theme lists every theme (a page of 180 kB and
    # some 30 ms of Jinja at 2,000 themes).
    return await render_long(
        request,
        "stats.html",
        {
            "section": "stats",
            "themes": themes,
            "theme": theme,
            "since": since.isoformat(),
            "until": until.isoformat(),
            "errors": errors,
            "figures": figures,
            "bursts": bursts,
        },
        status=422 if errors else 200,
    )


def _inputs(request: Request) -> tuple[dict[str, float], dict[str, str], dict[str, str]]:
    values: dict[str, float] = {}
    shown: dict[str, str] = {}
    errors: dict[str, str] = {}
    for name, (default, low, high) in SIM_INPUTS.items():
        raw = request.query_params.get(name, "").strip().replace(",", ".")
        shown[name] = raw or f"{default:g}"
        try:
            value = float(raw) if raw else default
        except ValueError:
            errors[name] = f"{raw[:20]!r} is not a number"
            continue
        if not low <= value <= high:
            errors[name] = f"{value:g} is not between {low:g} and {high:g}"
        values[name] = value
    return values, shown, errors


def _too_long(slug: str, members: int, days: int) -> str | None:
    """Why ``days`` of ``members`` members are too long a run for this page, or None."""
    most = SIM_MEMBER_DAYS // max(members, 1)
    if days <= most:
        return None
    command = f"widget-server simulate {slug} --days {days}"
    if most >= SIM_INPUTS["days"][1]:
        return (
            f"{members} members: at most {most} days here; "
            f"the command line simulates longer ({command})"
        )
    return (
        f"{members} members are too many to simulate here; "
        f"the command line simulates them ({command})"
    )


async def simulate_page(request: Request) -> Response:
    runtime = runtime_of(request)
    storage = runtime.storage
    lang = lang_of(request)
    theme = await storage.get_theme(request.path_params["slug"])
    values, shown, errors = _inputs(request)
    alpha = request.query_params.get("alpha", "").strip().replace(",", ".")
    shown["alpha"] = alpha
    context: dict[str, Any] = {"section": "themes", "theme": theme, "values": shown}
    if "run" not in request.query_params or errors:
        return render(
            request, "simulate.html", {**context, "errors": errors}, status=422 if errors else 200
        )
    # Its members counted first: a theme too large for this page is not even loaded
    # (its pool, built for nothing, held the widget's answers 78 ms at 10,000 members).
    listed = (await storage.theme_member_counts()).get(theme.id, 0)
    if (too_long := _too_long(theme.slug, listed, int(values["days"]))) is not None:
        return render(
            request, "simulate.html", {**context, "errors": {"days": too_long}}, status=422
        )
    start_day = day_of(runtime.clock())
    start = datetime.combine(start_day, datetime.min.time(), UTC).timestamp()
    # As `widget-server simulate` starts: the whole network and every theme's pool,
    # built on the event loop, held the widget for seconds at 100,000 members.
    data, pools = await fresh_pools(storage, [theme.id], start)
    pool = pools[theme.id]
    try:
        rules = with_fairness(pool.rules, [f"alpha={alpha}"] if alpha else [])
    except ValidationError as exc:
        return render(
            request, "simulate.html", {**context, "errors": {"alpha": exc.reason}}, status=422
        )
    pool = replace(pool, rules=rules)
    order = sorted(m for m, info in pool.members.items() if info.eligible)
    days = int(values["days"])
    if (too_long := _too_long(theme.slug, len(order), days)) is not None:  # never: fewer
        return render(
            request, "simulate.html", {**context, "errors": {"days": too_long}}, status=422
        )
    traffic = zipf_traffic(order, values["views"], values["zipf"])
    result = await asyncio.to_thread(
        compare,
        Scenario({theme.id: pool}, traffic, days),
        key=hashlib.sha256(DEFAULT_SEED.encode()).digest(),
        start=start,
        warmup=default_warmup(days),
        slugs={m: info.slug for m, info in pool.members.items()},
        limit=rules.max_partners,
        # Three processes of a few CPU-seconds each beside the server: behind its answers.
        niceness=NICENESS,
    )
    names = {m.slug: m.name for m in data.members}
    # The charts and the page (a row and a bar per member of the theme) in a worker
    # thread too: the widget's answers go on meanwhile.
    figures, words = await asyncio.to_thread(
        lambda: (
            simulation_figures(result, names, lang, f"sim-{theme.slug}"),
            simulation_in_words(result, names, lang, rules.fairness.alpha),
        )
    )
    return await render_long(
        request,
        "simulate.html",
        {
            **context,
            "result": result,
            "engine": result.report("engine"),
            "figures": figures,
            "words": words,
            "errors": {},
        },
    )
