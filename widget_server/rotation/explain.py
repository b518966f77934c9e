"""``explain``: replay one selection and say, for every candidate, why it was or was
not shown (the checks it passed or failed, its weight, multiplier, inclusion
probability and place).  The plan is made on the general path with every check
run (``plan(..., explain=True)``), so the report covers members the quick path
never looks at one by one."""

from __future__ import annotations

from dataclasses import dataclass

from widget_server.rotation.pipeline import Check, Slot, ThemePool, draw, plan
from widget_server.rotation.rules import Rules
from widget_server.rotation.shared import balances_under


@dataclass(frozen=True)
class CandidateReport:
    member_id: int
    slug: str
    checks: tuple[Check, ...]
    eligible: bool
    weight: float | None
    multiplier: float | None
    probability: float | None  # inclusion probability, for weighted strategies
    position: int | None  # where it was shown in the replayed block
    pinned: bool


@dataclass(frozen=True)
class Explanation:
    rules: Rules
    bucket: int
    slots: tuple[Slot, ...]
    fallback: str | None
    candidates: tuple[CandidateReport, ...]


def explain(
    pool: ThemePool, host_id: int, now: float, bucket: int, key: bytes, *, limit: int
) -> Explanation:
    """Replay one selection and say, for every candidate, why it was or was not shown."""
    p = plan(pool, host_id, now, key, limit=limit, explain=True)
    slots = draw(p, bucket, key)
    shown = {s.member_id: s for s in slots}
    fair = balances_under(pool, p.rules, now) if p.rules.strategy == "fair-exchange" else {}
    probabilities: dict[int, float] = {}
    for tier in p.tiers:
        probabilities.update(tier.probabilities)
    reports = []
    for member_id, checks in sorted(p.checks.items(), key=lambda kv: pool.members[kv[0]].slug):
        balance = fair.get(member_id)
        eligible = all(c.passed for c in checks)
        slot = shown.get(member_id)
        reports.append(
            CandidateReport(
                member_id=member_id,
                slug=pool.members[member_id].slug,
                checks=checks,
                eligible=eligible,
                weight=p.weights.get(member_id),
                multiplier=balance.multiplier if balance else None,
                probability=probabilities.get(member_id),
                position=slot.position if slot else None,
                pinned=bool(slot and slot.pinned),
            )
        )
    fallback = p.rules.fallback if not slots else None
    return Explanation(p.rules, bucket, slots, fallback, tuple(reports))
