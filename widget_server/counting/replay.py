""" "Why was X shown?": replay one selection from stored data, with every candidate's story.

The replay rebuilds the theme's pool exactly as the serving processes had it
at the given moment, from versioned data only: the rule set in force (the
latest version created at or before it), each member's and membership's
status then (``status_history``), and the theme's ledger version in force
(``ledger_versions``: the latest computed at or before it, read from that
day's checkpoint and the deltas after it).  It makes the plan
for the same moment a server does (``plan_moment``: the start of the rotation
bucket) and draws the same bucket, so it shows what the widget showed.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from widget_server.core.errors import ValidationError
from widget_server.core.models import Placement
from widget_server.rotation import explain
from widget_server.rotation.shared import balances_under
from widget_server.serving.blocks import plan_moment, rotation_at
from widget_server.serving.snapshot import LedgerInput, build_pools
from widget_server.storage import NetworkData, Storage

NOT_DRAWN = "passed every check, not drawn"


def parse_moment(text: str | None, default: float) -> float:
    """``2027-03-06T14:00`` (local Europe/Berlin if no offset), ``2027-03-06`` or None."""
    if not text:
        return default
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValidationError("at", f"{text!r} is not an ISO date or time") from None
    if moment.tzinfo is None:
        from zoneinfo import ZoneInfo

        moment = moment.replace(tzinfo=ZoneInfo("Europe/Berlin"))
    return moment.timestamp()


def _moment(iso: str) -> float:
    moment = datetime.fromisoformat(iso)
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


async def network_at(storage: Storage, theme_id: int, at: float) -> NetworkData:
    """One theme's part of the network as it was at ``at``: its rule set in force then,
    and each member's and membership's status then (absent: not there yet)."""
    data = await storage.load_theme_network(theme_id)
    statuses = await storage.statuses_at(theme_id, at)
    members = tuple(
        replace(m, status=status)  # type: ignore[arg-type]
        for m in data.members
        if (status := statuses.get((m.id, 0), m.status)) is not None
    )
    memberships = tuple(
        replace(ms, status=status)  # type: ignore[arg-type]
        for ms in data.memberships
        if (status := statuses.get((ms.member_id, ms.theme_id), ms.status)) is not None
    )
    in_force = [r for r in await storage.list_rule_sets(theme_id) if _moment(r.created_at) <= at]
    others = tuple(r for r in data.rule_sets if r.theme_id != theme_id)
    return replace(
        data,
        members=members,
        memberships=memberships,
        rule_sets=others + tuple(in_force[-1:]),
    )


def _placement(
    data: NetworkData, member_id: int, theme_id: int, wanted: int | None
) -> Placement | None:
    """The placement asked for, else the member's first in the theme (None: it has none)."""
    mine = sorted(
        (p for p in data.placements if p.member_id == member_id and p.theme_id == theme_id),
        key=lambda p: p.id,
    )
    if wanted is None:
        return mine[0] if mine else None
    for p in mine:
        if p.id == wanted:
            return p
    raise ValidationError("placement", f"{wanted} is not a placement of this member in this theme")


async def explain_selection(
    storage: Storage,
    key: bytes,
    member_slug: str,
    theme_slug: str,
    at: float,
    placement_id: int | None = None,
) -> dict[str, Any]:
    member = await storage.get_member(member_slug)
    theme = await storage.get_theme(theme_slug)
    data = await network_at(storage, theme.id, at)
    stored = await storage.ledger_at(theme.id, at)
    ledger = stored.read() if stored else None
    published = {theme.id: ledger} if ledger is not None else {}
    pool = build_pools(data, LedgerInput(themes=published), at)[theme.id]
    if member.id not in pool.members:
        when = datetime.fromtimestamp(at, UTC).isoformat(timespec="seconds")
        raise ValidationError(
            "member", f"{member_slug!r} was not in theme {theme_slug!r} at {when}"
        )
    placement = _placement(data, member.id, theme.id, placement_id)
    rules_now = pool.rules.at(at)
    moment = plan_moment(rules_now, at)
    rotation = rotation_at(rules_now, at, 0)
    limit = placement.options.max_partners if placement else rules_now.max_partners
    result = explain(pool, member.id, moment, rotation.bucket, key, limit=limit)
    fair = balances_under(pool, result.rules, moment)
    slug = {m.id: m.slug for m in data.members}
    rule_set = next((r for r in data.rule_sets if r.theme_id == theme.id), None)
    return {
        "member": member.slug,
        "theme": theme.slug,
        "placement": placement.id if placement else None,
        "at": datetime.fromtimestamp(at, UTC).isoformat(timespec="seconds"),
        "rules_version": rule_set.version if rule_set else 0,
        "ledger_version": ledger.version if ledger else 0,
        "ledger_computed_at": (
            datetime.fromtimestamp(ledger.computed_at, UTC).isoformat(timespec="seconds")
            if ledger
            else None
        ),
        "status": data_status(data, member.id, theme.id),
        "strategy": result.rules.strategy,
        "granularity": result.rules.granularity,
        "bucket": result.bucket if rotation.cacheable else None,
        "shown": [
            {"position": s.position, "member": slug[s.member_id], "pinned": s.pinned}
            for s in result.slots
        ],
        "fallback": result.fallback,
        "candidates": [
            {
                "member": c.slug,
                "eligible": c.eligible,
                "checks": [
                    {"name": ch.name, "passed": ch.passed, "detail": ch.detail} for ch in c.checks
                ],
                "reason": _reason(c.eligible, c.position),
                "weight": c.weight,
                "multiplier": c.multiplier,
                "probability": c.probability,
                "position": c.position,
                "pinned": c.pinned,
                "ledger": _figures(fair.get(c.member_id)),
            }
            for c in result.candidates
        ],
    }


def data_status(data: NetworkData, member_id: int, theme_id: int) -> dict[str, str]:
    member = next(m for m in data.members if m.id == member_id)
    membership = next(
        (ms for ms in data.memberships if ms.member_id == member_id and ms.theme_id == theme_id),
        None,
    )
    return {"member": member.status, "membership": membership.status if membership else "left"}


def _reason(eligible: bool, position: int | None) -> str:
    if not eligible:
        return "failed a check"
    return "shown" if position is not None else NOT_DRAWN


def _figures(balance: Any) -> dict[str, float] | None:
    if balance is None:
        return None
    return {
        "given": balance.given,
        "received": balance.received,
        "target": balance.entitlement,
        "debt": balance.debt,
        "grant": balance.grant,
    }


def explanation_text(report: dict[str, Any]) -> str:
    status = report["status"]
    lines = [
        f"{report['member']} in {report['theme']} at {report['at']}"
        f" (placement {report['placement']}): rules version {report['rules_version']},"
        f" strategy {report['strategy']},"
        + (
            f" bucket {report['bucket']}"
            if report["bucket"] is not None
            else " rotating per request (one possible draw shown)"
        ),
        f"status then: member {status['member']}, membership {status['membership']};"
        + (
            f" ledger version {report['ledger_version']} computed {report['ledger_computed_at']}"
            if report["ledger_version"]
            else " no ledger published yet"
        ),
        "shown: "
        + (
            ", ".join(
                f"{s['position']}. {s['member']}" + (" (pinned)" if s["pinned"] else "")
                for s in report["shown"]
            )
            or f"nobody (fallback: {report['fallback']})"
        ),
        "",
        f"{'candidate':<28} {'shown':>5} {'weight':>9} {'mult.':>8} {'prob.':>6}"
        f" {'given':>9} {'received':>9} {'target':>9} {'debt':>7} {'grant':>8}  checks",
    ]

    def num(value: float | None, fmt: str) -> str:
        return "-" if value is None else format(value, fmt)

    for c in report["candidates"]:
        failed = [
            f"{ch['name']}: {ch['detail'] or 'failed'}" for ch in c["checks"] if not ch["passed"]
        ]
        led = c["ledger"] or {}
        lines.append(
            f"{c['member']:<28} {c['position'] or '-':>5} {num(c['weight'], '.3f'):>9}"
            f" {num(c['multiplier'], '.3f'):>8} {num(c['probability'], '.2f'):>6}"
            f" {num(led.get('given'), '.2f'):>9} {num(led.get('received'), '.2f'):>9}"
            f" {num(led.get('target'), '.2f'):>9} {num(led.get('debt'), '.2f'):>7}"
            f" {num(led.get('grant'), '.2f'):>8}  "
            + (
                "; ".join(failed)
                if failed
                else ("passed every check, shown" if c["position"] else NOT_DRAWN)
            )
        )
    return "\n".join(lines)
