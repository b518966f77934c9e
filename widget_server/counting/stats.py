"""What members gave and received: reports from the daily aggregates.

Definitions (docs/privacy.md explains what is counted at all):

* views given: partner impressions seen on the member's own pages (one block
  view with three partners gives three);
* views received: impressions of the member seen on other members' pages;
* clicks given / received: likewise for counted clicks;
* balance: views received / views given (None when it gave nothing);
* bound: the highest exposure ratio the member could reach, the top place on
  every block view of every other member (``rotation.fairness``); a bound
  below 1 marks a structural net giver.
"""

from __future__ import annotations

import csv
import io
import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from widget_server.core.models import CounterRow, Member, Theme
from widget_server.counting.events import BLOCK
from widget_server.rotation.fairness import exposure
from widget_server.storage import Storage

FIELDS = ("views_given", "views_received", "clicks_given", "clicks_received")


@dataclass
class Tally:
    views_given: int = 0
    views_received: int = 0
    clicks_given: int = 0
    clicks_received: int = 0
    exposure_given: float = 0.0
    exposure_received: float = 0.0
    block_views: int = 0  # blocks seen on the member's own pages
    blocks_served: int = 0  # blocks served for the member's own pages

    @property
    def balance(self) -> float | None:
        return self.views_received / self.views_given if self.views_given else None

    def as_dict(self) -> dict[str, Any]:
        return {
            **{f: getattr(self, f) for f in FIELDS},
            "balance": None if self.balance is None else round(self.balance, 4),
        }


@dataclass
class Ledger:
    """Tallies per (theme, member) and per (theme, member, day)."""

    totals: dict[tuple[int, int], Tally] = field(default_factory=lambda: defaultdict(Tally))
    daily: dict[tuple[int, int, date], Tally] = field(default_factory=lambda: defaultdict(Tally))

    def add(self, row: CounterRow) -> None:
        for tally in (
            self.totals[(row.theme_id, row.host_id)],
            self.daily[(row.theme_id, row.host_id, row.day)],
        ):
            _give(tally, row)
        if row.partner_id != BLOCK:
            for tally in (
                self.totals[(row.theme_id, row.partner_id)],
                self.daily[(row.theme_id, row.partner_id, row.day)],
            ):
                _receive(tally, row)


def _give(t: Tally, row: CounterRow) -> None:
    if row.kind == "viewed":
        if row.partner_id == BLOCK:
            t.block_views += row.count
        else:
            t.views_given += row.count
            t.exposure_given += row.exposure
    elif row.kind == "clicked":
        t.clicks_given += row.count
    elif row.partner_id == BLOCK:
        t.blocks_served += row.count


def _receive(t: Tally, row: CounterRow) -> None:
    if row.kind == "viewed":
        t.views_received += row.count
        t.exposure_received += row.exposure
    elif row.kind == "clicked":
        t.clicks_received += row.count


def tally(rows: Iterable[CounterRow], since: date | None, until: date | None) -> Ledger:
    ledger = Ledger()
    for row in rows:
        if (since and row.day < since) or (until and row.day > until):
            continue
        ledger.add(row)
    return ledger


def theme_block_views(ledger: Ledger, theme_id: int) -> int:
    """The block views of every member of the theme, summed."""
    return sum(t.block_views for (th, _), t in ledger.totals.items() if th == theme_id)


def bound(
    ledger: Ledger, theme_id: int, member_id: int, theme_views: int | None = None
) -> float | None:
    """The member's exposure bound: top place on every other member's block views.
    ``theme_views``: ``theme_block_views`` of the theme, when the caller has it (a theme's
    report asks for every member's bound: a sum over the theme each made the report
    quadratic, 4 s at 10,000 members)."""
    own = ledger.totals.get((theme_id, member_id))
    if own is None or own.exposure_given <= 0:
        return None
    if theme_views is None:
        theme_views = theme_block_views(ledger, theme_id)
    others = theme_views - own.block_views  # whole numbers: the same as summing the others
    return others * exposure(1) / own.exposure_given


def gini(values: list[float]) -> float:
    """0: everyone equal; towards 1: one takes all."""
    if not values or sum(values) == 0:
        return 0.0
    ordered = sorted(values)
    n = len(ordered)
    weighted = sum((i + 1) * v for i, v in enumerate(ordered))
    return (2 * weighted) / (n * sum(ordered)) - (n + 1) / n


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


async def member_report(
    storage: Storage,
    member: Member,
    *,
    theme: Theme | None = None,
    since: date | None = None,
    until: date | None = None,
) -> dict[str, Any]:
    themes = {t.id: t for t in await storage.list_themes()}
    memberships = [
        ms
        for ms in await storage.list_memberships(member_id=member.id)
        if theme is None or ms.theme_id == theme.id
    ]
    # Only the member's rows and its themes' block views (for the bound), not the network's.
    rows = await storage.member_counts(
        member.id, since=since, theme_id=theme.id if theme is not None else None
    )
    ledger = tally(rows, since, until)
    per_theme = []
    for ms in memberships:
        t = ledger.totals.get((ms.theme_id, member.id), Tally())
        days = sorted(
            (d, tl)
            for (th, m, d), tl in ledger.daily.items()
            if th == ms.theme_id and m == member.id
        )
        b = bound(ledger, ms.theme_id, member.id)
        per_theme.append(
            {
                "theme": themes[ms.theme_id].slug,
                **t.as_dict(),
                "bound": _round(b),
                "structural_net_giver": b is not None and b < 1,
                "days": [{"day": d.isoformat(), **tl.as_dict()} for d, tl in days],
            }
        )
    return {
        "member": member.slug,
        "name": member.name,
        "from": since.isoformat() if since else None,
        "to": until.isoformat() if until else None,
        "themes": per_theme,
    }


async def theme_report(
    storage: Storage, theme: Theme, *, since: date | None = None, until: date | None = None
) -> dict[str, Any]:
    ledger = tally(await storage.list_counts(since=since, theme_id=theme.id), since, until)
    members = await storage.list_members(theme_id=theme.id)
    return theme_report_of(theme, ledger, members, since, until)


def theme_report_of(
    theme: Theme, ledger: Ledger, members: Iterable[Member], since: date | None, until: date | None
) -> dict[str, Any]:
    """``theme_report`` from the theme's tallied counts and its members (no I/O: the
    admin's stats page makes it in a worker thread)."""
    views = theme_block_views(ledger, theme.id)
    rows = []
    for m in members:
        t = ledger.totals.get((theme.id, m.id), Tally())
        b = bound(ledger, theme.id, m.id, views)
        rows.append({"member": m.slug, "name": m.name, **t.as_dict(), "bound": _round(b)})
    balances = [r["balance"] for r in rows if r["balance"] is not None]
    theme_totals = [t for (th, _), t in ledger.totals.items() if th == theme.id]
    return {
        "theme": theme.slug,
        "from": since.isoformat() if since else None,
        "to": until.isoformat() if until else None,
        "totals": {
            "blocks_served": sum(t.blocks_served for t in theme_totals),
            "blocks_viewed": sum(t.block_views for t in theme_totals),
            "views": sum(r["views_given"] for r in rows),
            "clicks": sum(r["clicks_given"] for r in rows),
        },
        "balances": {
            "members": len(balances),
            "min": _round(min(balances)) if balances else None,
            "median": _round(statistics.median(balances)) if balances else None,
            "max": _round(max(balances)) if balances else None,
            "gini_received": round(gini([float(r["views_received"]) for r in rows]), 4),
        },
        "members": rows,
    }


def member_csv(report: dict[str, Any]) -> str:
    """One line per theme and day: what a member opens in a spreadsheet."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["day", "theme", "member", *FIELDS, "balance"])
    for theme in report["themes"]:
        for day in theme["days"]:
            writer.writerow(
                [
                    day["day"],
                    theme["theme"],
                    report["member"],
                    *(day[f] for f in FIELDS),
                    day["balance"],
                ]
            )
    return out.getvalue()


def theme_csv(report: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["theme", "member", *FIELDS, "balance", "bound"])
    for row in report["members"]:
        writer.writerow(
            [
                report["theme"],
                row["member"],
                *(row[f] for f in FIELDS),
                row["balance"],
                row["bound"],
            ]
        )
    return out.getvalue()
