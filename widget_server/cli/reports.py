"""Figures and keys: stats (given and received) and API keys."""

from __future__ import annotations

import argparse
from datetime import date

from widget_server.cli.common import UsageError, emit, texts
from widget_server.core.settings import Settings
from widget_server.counting import stats
from widget_server.network.keys import create_key
from widget_server.storage import Storage


def _day(value: str | None, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"{name} must be a date like 2027-03-31, got {value!r}") from None


async def cmd_stats(args: argparse.Namespace, storage: Storage, settings: Settings) -> int:
    since, until = _day(args.since, "--from"), _day(args.until, "--to")
    theme = await storage.get_theme(args.theme) if args.theme else None
    if args.member:
        member = await storage.get_member(args.member)
        report = await stats.member_report(storage, member, theme=theme, since=since, until=until)
        if args.csv:
            print(stats.member_csv(report), end="")
            return 0
        lines = [f"{member.name} ({member.slug})"]
        for t in report["themes"]:
            lines.append(
                f"  {t['theme']:<22} views given {t['views_given']:>7}, received"
                f" {t['views_received']:>7}; clicks given {t['clicks_given']:>5}, received"
                f" {t['clicks_received']:>5}; balance {_fmt(t['balance'])}"
                + (
                    f"; bound {_fmt(t['bound'])} (structural net giver)"
                    if t["structural_net_giver"]
                    else ""
                )
            )
        emit(args, report, "\n".join(lines))
        return 0
    themes = [theme] if theme else await storage.list_themes()
    reports = [await stats.theme_report(storage, t, since=since, until=until) for t in themes]
    if args.csv:
        print("".join(stats.theme_csv(r) for r in reports), end="")
        return 0
    data = reports if not theme else reports[0]
    if args.json:  # the text (and the catalog it is translated with) only when printed
        emit(args, data, "")
        return 0
    lines = []
    t = texts(settings)
    for r in reports:
        totals, bal = r["totals"], r["balances"]
        counts = [
            t.ngettext("%(num)d block served", "%(num)d blocks served", totals["blocks_served"]),
            t.ngettext("%(num)d viewed", "%(num)d viewed", totals["blocks_viewed"]),
            t.ngettext("%(num)d partner view", "%(num)d partner views", totals["views"]),
            t.ngettext("%(num)d click", "%(num)d clicks", totals["clicks"]),
        ]
        lines.append(
            f"{r['theme']}: {', '.join(counts)};"
            f" balance min {_fmt(bal['min'])}, median {_fmt(bal['median'])},"
            f" max {_fmt(bal['max'])}"
        )
        for m in r["members"]:
            lines.append(
                f"  {m['member']:<26} given {m['views_given']:>7} received"
                f" {m['views_received']:>7} clicks {m['clicks_given']:>5}/{m['clicks_received']:<5}"
                f" balance {_fmt(m['balance'])}"
            )
    emit(args, data, "\n".join(lines) or "No themes.")
    return 0


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


async def cmd_key_create(args: argparse.Namespace, storage: Storage, settings: Settings) -> int:
    key, full = await create_key(storage, args.scope, args.name or "")
    data = {"key_id": key.key_id, "scope": args.scope, "name": key.name, "key": full}
    emit(
        args,
        data,
        texts(settings).gettext(
            "API key %(id)s (%(scope)s) created. The key, shown only now:",
            id=key.key_id,
            scope=args.scope,
        )
        + f"\n{full}",
    )
    return 0


async def cmd_key_list(args: argparse.Namespace, storage: Storage, settings: Settings) -> int:
    keys = await storage.list_api_keys()
    rows = [
        {
            "key_id": k.key_id,
            "scope": k.scope,
            "name": k.name,
            "created_at": k.created_at,
            "revoked_at": k.revoked_at,
        }
        for k in keys
    ]
    text = "\n".join(
        f"{k.key_id:<14} {k.scope:<14} {'revoked' if k.revoked_at else 'active':<8} {k.name}"
        for k in keys
    )
    emit(args, rows, text or "No API keys.")
    return 0


async def cmd_key_revoke(args: argparse.Namespace, storage: Storage, settings: Settings) -> int:
    key = await storage.revoke_api_key(args.key_id)
    text = texts(settings).gettext("%(id)s revoked.", id=key.key_id)
    emit(args, {"key_id": key.key_id, "revoked_at": key.revoked_at}, text)
    return 0
