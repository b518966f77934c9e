"""The monthly report, "Ihr Monat im Partnerkreis": what the network gave a member.

Per theme: partner views and clicks the member gave (on its own pages) and
received (on its partners' pages), the balance (received / given) with a
sentence saying what it means, the trend of views received against the
previous month, the partner that sent it the most clicks, and a link to its
figures in the portal.  Only the daily aggregates are read: a report holds
counts, never anything about a visitor.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from widget_server.core.errors import NotFoundError
from widget_server.core.i18n import translator
from widget_server.core.models import Member, Theme
from widget_server.counting.stats import Tally, tally
from widget_server.mail.message import Draft
from widget_server.mail.render import html
from widget_server.storage import Storage

KIND = "report"


def parse_month(value: str) -> date:
    """``2026-11`` as the month's first day; ``ValueError`` naming the value."""
    match = re.fullmatch(r"(\d{4})-(\d{2})", value.strip())
    if not match or not 1 <= int(match[2]) <= 12:
        raise ValueError(f"{value!r} is not a month such as 2026-11")
    return date(int(match[1]), int(match[2]), 1)


def month_end(start: date) -> date:
    return (start.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def previous_month(start: date) -> date:
    return (start - timedelta(days=1)).replace(day=1)


@dataclass(frozen=True)
class ThemeMonth:
    theme: Theme
    month: Tally
    previous: Tally

    @property
    def balance(self) -> float | None:
        return self.month.balance


@dataclass(frozen=True)
class MonthlyReport:
    member: Member
    month: date
    themes: tuple[ThemeMonth, ...]
    best_partner: str | None  # the partner whose pages sent the most clicks
    best_clicks: int
    figures_url: str

    @property
    def received(self) -> int:
        return sum(t.month.views_received for t in self.themes)

    @property
    def received_before(self) -> int:
        return sum(t.previous.views_received for t in self.themes)


async def monthly_report(
    storage: Storage, member: Member, month: date, public_url: str
) -> MonthlyReport:
    before = previous_month(month)
    end = month_end(month)
    rows = await storage.member_counts(member.id, since=before)
    this, last = tally(rows, month, end), tally(rows, before, month - timedelta(days=1))
    themes = {t.id: t for t in await storage.list_themes()}
    ids = {ms.theme_id for ms in await storage.list_memberships(member_id=member.id)}
    ids |= {th for (th, m) in this.totals if m == member.id}
    per_theme = tuple(
        ThemeMonth(
            themes[t],
            this.totals.get((t, member.id), Tally()),
            last.totals.get((t, member.id), Tally()),
        )
        for t in sorted(ids, key=lambda t: themes[t].name_de.casefold())
        if t in themes
    )
    clicks: dict[int, int] = defaultdict(int)
    for row in rows:
        if row.kind == "clicked" and row.partner_id == member.id and month <= row.day <= end:
            clicks[row.host_id] += row.count
    best_name, best = None, 0
    if clicks:
        host, best = max(clicks.items(), key=lambda kv: (kv[1], -kv[0]))
        try:
            best_name = (await storage.get_member_by_id(host)).name
        except NotFoundError:
            best = 0
    return MonthlyReport(member, month, per_theme, best_name, best, f"{public_url}/portal/figures")


def balance_sentence(balance: float | None, lang: str) -> str:
    t = translator(lang)
    if balance is None:
        return t.gettext(
            "Your widget showed no partners this month, so there is nothing to balance."
            " Is the snippet still on your site?"
        )
    if balance >= 1.1:
        return t.gettext("You received more than you gave: the network is working for you.")
    if balance >= 0.9:
        return t.gettext("Giving and receiving are in balance.")
    return t.gettext(
        "You gave more than you received. Fair exchange shows members who gave more"
        " more often, so your share grows in the coming weeks."
    )


def trend_sentence(now: int, before: int, lang: str) -> str:
    t = translator(lang)
    if before == 0:
        return t.gettext("Views received: %(now)d (no views in the month before).", now=now)
    change = round(100 * (now - before) / before)
    if change > 0:
        return t.gettext(
            "Views received: %(now)d, %(change)d %% more than the month before.",
            now=now,
            change=change,
        )
    if change < 0:
        return t.gettext(
            "Views received: %(now)d, %(change)d %% fewer than the month before.",
            now=now,
            change=-change,
        )
    return t.gettext("Views received: %(now)d, as many as the month before.", now=now)


def month_name(month: date, lang: str) -> str:
    from babel.dates import format_date

    return format_date(month, "MMMM yyyy", locale=lang)


def number(value: float | None, lang: str, digits: int = 2) -> str:
    if value is None:
        return "–"
    from babel.numbers import format_decimal

    return format_decimal(round(value, digits), locale=lang)


def subject(report: MonthlyReport, lang: str) -> str:
    return translator(lang).gettext(
        "Your month in Partnerkreis: %(month)s", month=month_name(report.month, lang)
    )


def draft(report: MonthlyReport, lang: str, unsubscribe: str) -> Draft:
    """The report as a mail in ``lang``: HTML and the same in plain text."""
    t = translator(lang)
    rows: list[dict[str, Any]] = []
    for tm in report.themes:
        m = tm.month
        top = max(m.views_given, m.views_received, 1)
        rows.append(
            {
                "name": tm.theme.name(lang),
                "tally": m,
                "balance": number(tm.balance, lang),
                "sentence": balance_sentence(tm.balance, lang),
                "given_width": round(100 * m.views_given / top),
                "received_width": round(100 * m.views_received / top),
            }
        )
    month = month_name(report.month, lang)
    trend = trend_sentence(report.received, report.received_before, lang)
    best = (
        t.ngettext(
            "Your best partner: %(name)s sent you %(num)d click.",
            "Your best partner: %(name)s sent you %(num)d clicks.",
            report.best_clicks,
            name=report.best_partner,
        )
        if report.best_partner
        else t.gettext("No partner sent you a click this month.")
    )
    body = html(
        "report.html",
        lang,
        report=report,
        month=month,
        rows=rows,
        trend=trend,
        best=best,
        unsubscribe=unsubscribe,
    )
    lines = [
        t.gettext("Your month in Partnerkreis: %(month)s", month=month),
        "",
        t.gettext("Hello %(name)s,", name=report.member.name),
        "",
        t.gettext(
            "here is what your partners and you did for each other in %(month)s.", month=month
        ),
        "",
    ]
    for row in rows:
        m = row["tally"]
        lines += [
            row["name"],
            "  " + t.gettext("Partner views you gave: %(n)d", n=m.views_given),
            "  " + t.gettext("Partner views you received: %(n)d", n=m.views_received),
            "  " + t.gettext("Clicks you gave: %(n)d", n=m.clicks_given),
            "  " + t.gettext("Clicks you received: %(n)d", n=m.clicks_received),
            "  " + t.gettext("Balance: %(balance)s", balance=row["balance"]),
            "  " + row["sentence"],
            "",
        ]
    lines += [
        trend,
        best,
        "",
        t.gettext("Your figures in the portal: %(url)s", url=report.figures_url),
        "",
        t.gettext("This report holds counts only; Partnerkreis keeps nothing about your visitors."),
        t.gettext("No more of these mails: %(url)s", url=unsubscribe),
    ]
    return Draft(subject(report, lang), "\n".join(lines) + "\n", body)


def report_key(member: Member, month: date) -> str:
    return f"{KIND}:{month:%Y-%m}:{member.id}"
