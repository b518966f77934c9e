"""The fair-exchange simulator: one theme's results, traffic files, what-if rules.

``simulate`` runs one theme with steady traffic through
:func:`widget_server.counting.scenario.run_scenario` (the real ledger and
selection code, no second fairness formula) and reports per member the
exposure given and received and the rule-aware bound.  Several themes,
events and the baselines are ``scenario.py`` and ``report.py``.

Figures are measured after a warm-up (default: the first 14 days, or the
first half of a shorter run), while the ledger still fills from zero; the
ledger itself runs through the warm-up as well.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from widget_server.core.errors import ValidationError
from widget_server.counting.scenario import Scenario, member_totals, run_scenario
from widget_server.rotation import Rules, ThemePool, parse_rules
from widget_server.rotation.rules import Fairness

DAY = 86_400
DEFAULT_DAYS = 60
DEFAULT_VIEWS = 2000.0
DEFAULT_WARMUP_DAYS = 14
DEFAULT_SEED = "partnerkreis-simulation"
FAIRNESS_FIELDS = tuple(Fairness.__dataclass_fields__)


# -- results --------------------------------------------------------------------------------


@dataclass(frozen=True)
class MemberResult:
    member_id: int
    member: str  # slug
    views: int  # block views on its own pages (measured days)
    given: float  # exposure it gave on its pages (measured days)
    received: float  # exposure it received on the others' pages (measured days)
    ratio: float | None  # received / given; None when it gave nothing
    bound: float | None  # the highest ratio it could reach (structural_bound)

    @property
    def net_giver(self) -> bool:
        """A structural net giver: even the top place everywhere gives it less than it gives."""
        return self.bound is not None and self.bound < 1.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "member": self.member,
            "views": self.views,
            "given": round(self.given, 3),
            "received": round(self.received, 3),
            "ratio": None if self.ratio is None else round(self.ratio, 4),
            "bound": None if self.bound is None else round(self.bound, 4),
            "net_giver": self.net_giver,
        }


@dataclass(frozen=True)
class SimulationResult:
    days: int
    warmup: int  # the first ``warmup`` days are simulated but not measured
    rules: Rules
    members: tuple[MemberResult, ...]  # largest traffic first
    min_ratio: float | None
    max_ratio: float | None
    gini: float  # Gini coefficient of the received exposure across the members
    flows: Mapping[tuple[int, int], float]  # (host, partner) -> exposure, measured days

    def as_dict(self) -> dict[str, Any]:
        f = self.rules.fairness
        return {
            "days": self.days,
            "warmup": self.warmup,
            "strategy": self.rules.strategy,
            "fairness": {name: getattr(f, name) for name in FAIRNESS_FIELDS},
            "members": [m.as_dict() for m in self.members],
            "network": {
                "min_ratio": None if self.min_ratio is None else round(self.min_ratio, 4),
                "max_ratio": None if self.max_ratio is None else round(self.max_ratio, 4),
                "gini": round(self.gini, 4),
            },
        }


def gini(values: Sequence[float]) -> float:
    """The Gini coefficient: 0 when all are equal, towards 1 when one holds everything."""
    n = len(values)
    total = sum(values)
    if n == 0 or total <= 0:
        return 0.0
    ordered = sorted(values)
    # sum_i sum_j |x_i - x_j| / (2 n^2 mean), in its sorted O(n log n) form
    weighted = sum((2 * (i + 1) - n - 1) * x for i, x in enumerate(ordered))
    return weighted / (n * total)


# -- the core -------------------------------------------------------------------------------


def default_warmup(days: int) -> int:
    return min(DEFAULT_WARMUP_DAYS, days // 2)


def simulate(
    pool: ThemePool,
    *,
    traffic: Mapping[int, float],
    days: int,
    key: bytes,
    start: float,
    limit: int = 3,
    warmup: int | None = None,
) -> SimulationResult:
    """Play ``days`` days of ``traffic`` (block views per day and host) through the engine.

    One theme, steady traffic, no events: :func:`~widget_server.counting.scenario.run_scenario`
    does the work.  ``start`` is the Unix time the first simulated day begins;
    the ledger starts empty.  Views may be fractional: each host carries its
    remainder to the next day.  ``bound`` is rule-aware: the exposure each
    member could reach under the rules in force on the hosts that showed blocks.
    """
    if days < 1:
        raise ValueError(f"days must be at least 1, got {days}")
    warmup = default_warmup(days) if warmup is None else warmup
    if not 0 <= warmup < days:
        raise ValueError(f"warmup must be between 0 and {days - 1} days, got {warmup}")
    for member_id, per_day in traffic.items():
        if member_id not in pool.members:
            raise ValueError(f"traffic names member id {member_id}, not in the theme")
        if not math.isfinite(per_day) or per_day < 0:
            raise ValueError(f"views per day must be a number >= 0, got {per_day!r}")
    scenario = Scenario({pool.theme_id: pool}, traffic, days)
    played = run_scenario(scenario, "engine", key=key, start=start, limit=limit)
    totals = member_totals(played, warmup, days)
    flows: dict[tuple[int, int], float] = defaultdict(float)
    for day in played[warmup:]:
        for pair, value in day.flows.items():
            flows[pair] += value
    shown = [m for m in pool.members if pool.members[m].eligible or traffic.get(m, 0) > 0]
    shown.sort(key=lambda m: (-traffic.get(m, 0.0), pool.members[m].slug))
    given, received, reach = totals["given"], totals["received"], totals["reach"]
    members = tuple(
        MemberResult(
            member_id=m,
            member=pool.members[m].slug,
            views=int(totals["views"].get(m, 0)),
            given=given.get(m, 0.0),
            received=received.get(m, 0.0),
            ratio=received.get(m, 0.0) / given[m] if given.get(m, 0.0) > 0 else None,
            bound=reach.get(m, 0.0) / given[m] if given.get(m, 0.0) > 0 else None,
        )
        for m in shown
    )
    ratios = [r.ratio for r in members if r.ratio is not None]
    return SimulationResult(
        days=days,
        warmup=warmup,
        rules=pool.rules,
        members=members,
        min_ratio=min(ratios) if ratios else None,
        max_ratio=max(ratios) if ratios else None,
        gini=gini([r.received for r in members]),
        flows=dict(flows),
    )


# -- traffic --------------------------------------------------------------------------------


def zipf_traffic(
    member_ids: Sequence[int], total_views_per_day: float, s: float = 1.0
) -> dict[int, float]:
    """Heavy-tailed traffic: the k-th member (1-based, largest first) gets a share ∝ 1/k^s.

    The shares add up to ``total_views_per_day``.
    """
    if total_views_per_day < 0 or not math.isfinite(total_views_per_day):
        raise ValueError(f"total views per day must be a number >= 0, got {total_views_per_day}")
    if s < 0:
        raise ValueError(f"the Zipf exponent must be >= 0, got {s}")
    raw = [1.0 / (k**s) for k in range(1, len(member_ids) + 1)]
    total = sum(raw)
    return {m: total_views_per_day * w / total for m, w in zip(member_ids, raw, strict=True)}


def views_value(where: str, slug: str, value: Any) -> float:
    shown = value.strip() if isinstance(value, str) else value
    number = value
    if isinstance(value, str):
        try:
            number = float(shown)
        except ValueError:
            number = None
    if isinstance(number, bool) or not isinstance(number, int | float) or not math.isfinite(number):
        raise ValidationError(where, f"views of {slug!r}: {shown!r} is not a number")
    if number < 0:
        raise ValidationError(where, f"views of {slug!r}: {shown!r} is negative")
    return float(number)


def parse_traffic(text: str, name: str, known: Collection[str] | None = None) -> dict[str, float]:
    """Traffic from JSON (``{"slug": views_per_day}``) or CSV (``member,views`` with header)."""
    out: dict[str, float] = {}

    def add(where: str, slug: Any, value: Any) -> None:
        if not isinstance(slug, str) or not slug.strip():
            raise ValidationError(where, f"{slug!r} is not a member slug")
        slug = slug.strip()
        if known is not None and slug not in known:
            raise ValidationError(where, f"unknown member {slug!r} (not in the theme)")
        if slug in out:
            raise ValidationError(where, f"member {slug!r} is listed twice")
        out[slug] = views_value(where, slug, value)

    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValidationError(name, f"not valid JSON (line {exc.lineno}: {exc.msg})") from None
        if not isinstance(raw, dict):
            raise ValidationError(name, 'must be an object such as {"blumen": 120}')
        for slug, value in raw.items():
            add(f"{name}: {slug}", slug, value)
        return out
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header is None or [h.strip().lower() for h in header[:2]] != ["member", "views"]:
        raise ValidationError(f"{name} line 1", "the CSV header must be: member,views")
    for row in reader:
        line = f"{name} line {reader.line_num}"
        if not row or all(not cell.strip() for cell in row):
            continue
        if len(row) != 2:
            raise ValidationError(line, f"expected 2 columns (member,views), got {len(row)}")
        add(line, row[0], row[1])
    return out


def load_traffic(path: str | Path, known: Collection[str] | None = None) -> dict[str, float]:
    """Read a traffic file; ``known`` (member slugs), if given, rejects other slugs."""
    try:
        text = Path(path).read_text("utf-8-sig")  # spreadsheets often write a BOM
    except OSError as exc:
        raise ValueError(f"cannot read traffic file {str(path)!r}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ValueError(f"traffic file {str(path)!r} is not UTF-8 text") from None
    return parse_traffic(text, Path(path).name, known)


# -- what-if rules --------------------------------------------------------------------------


def load_rules_file(path: str | Path) -> Rules:
    """A what-if rule set from a JSON or YAML file, read as ``widget-server rules set`` reads it."""
    from widget_server.network.rules import load_document

    try:
        document = load_document(Path(path))
    except OSError as exc:
        raise ValueError(f"cannot read rules file {str(path)!r}: {exc.strerror}") from None
    return parse_rules(document)


def with_fairness(rules: Rules, settings: Sequence[str]) -> Rules:
    """``rules`` with fairness parameters changed by ``KEY=VALUE`` items (``alpha=1``)."""
    if not settings:
        return rules
    current: dict[str, Any] = {n: getattr(rules.fairness, n) for n in FAIRNESS_FIELDS}
    current["newcomer_grace_days"] = int(current["newcomer_grace_days"])
    for item in settings:
        name, sep, value = item.partition("=")
        name = name.strip().removeprefix("fairness.").replace("-", "_")
        if not sep or name not in FAIRNESS_FIELDS:
            raise ValueError(
                f"--set {item!r}: expected KEY=VALUE with KEY one of {', '.join(FAIRNESS_FIELDS)}"
            )
        try:
            number = json.loads(value)
        except json.JSONDecodeError:
            number = value
        if isinstance(number, float) and number.is_integer() and name == "newcomer_grace_days":
            number = int(number)
        current[name] = number
    try:
        fairness = parse_rules({"fairness": current}).fairness
    except ValidationError as exc:
        raise ValidationError(f"--set {exc.field}", exc.reason) from None
    return replace(rules, fairness=fairness)


# -- the command ----------------------------------------------------------------------------
