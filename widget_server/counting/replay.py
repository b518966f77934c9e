""" "Why was X shown?": replay one selection from stored data, with every candidate's story.

The replay rebuilds the theme's pool as of the given moment (the rules then in
force, the ledger from the daily aggregates up to that day) and runs the real
pipeline, so it shows what the widget showed, not an approximation.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from widget_server.core.errors import ValidationError
from widget_server.rotation import explain
from widget_server.serving.blocks import rotation_at
from widget_server.serving.snapshot import build_pools, load_ledger
from widget_server.storage import Storage


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


async def explain_selection(
    storage: Storage, key: bytes, member_slug: str, theme_slug: str, at: float
) -> dict[str, Any]:
    member = await storage.get_member(member_slug)
    theme = await storage.get_theme(theme_slug)
    # Only this theme's part of the network and of the ledger: the pool builds the same.
    data = await storage.load_theme_network(theme.id)
    pool = build_pools(data, await load_ledger(storage, at, data, theme.id), at)[theme.id]
    if member.id not in pool.members:
        raise ValidationError("member", f"{member_slug!r} is not in theme {theme_slug!r}")
    placements = [p for p in data.placements if p.member_id == member.id and p.theme_id == theme.id]
    rules = pool.rules.at(at)
    limit = placements[0].options.max_partners if placements else rules.max_partners
    rotation = rotation_at(rules, at, 0)
    result = explain(pool, member.id, at, rotation.bucket, key, limit=limit)
    slug = {m.id: m.slug for m in data.members}
    stored = next((r for r in data.rule_sets if r.theme_id == theme.id), None)
    return {
        "member": member.slug,
        "theme": theme.slug,
        "at": datetime.fromtimestamp(at, UTC).isoformat(timespec="seconds"),
        "rules_version": stored.version if stored else 0,
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
                "weight": c.weight,
                "multiplier": c.multiplier,
                "probability": c.probability,
                "position": c.position,
                "pinned": c.pinned,
            }
            for c in result.candidates
        ],
    }


def explanation_text(report: dict[str, Any]) -> str:
    lines = [
        f"{report['member']} in {report['theme']} at {report['at']}:"
        f" rules version {report['rules_version']}, strategy {report['strategy']},"
        + (
            f" bucket {report['bucket']}"
            if report["bucket"] is not None
            else " rotating per request (one possible draw shown)"
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
        f"{'candidate':<28} {'shown':>5} {'weight':>9} {'mult.':>8} {'prob.':>6}  checks",
    ]

    def num(value: float | None, fmt: str) -> str:
        return "-" if value is None else format(value, fmt)

    for c in report["candidates"]:
        failed = [
            f"{ch['name']}: {ch['detail'] or 'failed'}" for ch in c["checks"] if not ch["passed"]
        ]
        lines.append(
            f"{c['member']:<28} {c['position'] or '-':>5} {num(c['weight'], '.3f'):>9}"
            f" {num(c['multiplier'], '.3f'):>8} {num(c['probability'], '.2f'):>6}  "
            + ("; ".join(failed) if failed else "all passed")
        )
    return "\n".join(lines)
