"""``widget-server simulate``: what the rules would do to a traffic distribution."""

from __future__ import annotations

import argparse
import hashlib
import math
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime

from widget_server.cli.common import Progress, emit, interruptible, texts
from widget_server.core.errors import (
    ValidationError,
)
from widget_server.core.models import Theme
from widget_server.core.settings import Settings
from widget_server.counting.comparison import Comparison, compare
from widget_server.counting.scenario import Event, Scenario
from widget_server.counting.simulation import (
    DEFAULT_DAYS,
    DEFAULT_SEED,
    DEFAULT_VIEWS,
    DEFAULT_WARMUP_DAYS,
    FAIRNESS_FIELDS,
    default_warmup,
    load_rules_file,
    with_fairness,
    zipf_traffic,
)
from widget_server.counting.traffic import (
    TrafficPlan,
    by_id,
    load_traffic_plan,
    parse_event,
)
from widget_server.rotation import ThemePool, referenced_members
from widget_server.storage import Storage


def _whole_number(minimum: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{value} is not at least {minimum}")
        return value

    return parse


_positive_int = _whole_number(1)


_non_negative_int = _whole_number(0)


def _views(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number >= 0")
    return value


def _start(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments of ``widget-server simulate``."""
    parser.add_argument(
        "theme", nargs="+", help="theme slug; several themes share their members' accounts"
    )
    parser.add_argument(
        "--days",
        type=_positive_int,
        default=DEFAULT_DAYS,
        help=f"days to simulate [{DEFAULT_DAYS}]",
    )
    parser.add_argument(
        "--warmup",
        type=_non_negative_int,
        help=f"days simulated but not measured [{DEFAULT_WARMUP_DAYS}, at most half the days]",
    )
    parser.add_argument(
        "--traffic",
        metavar="FILE",
        help="block views per day per member over all its themes: JSON {slug: views}, "
        "JSON {views, days, events}, CSV member,views or CSV day,member,views "
        "(docs/rotation.md section 7; default: Zipf traffic, largest = first registered)",
    )
    parser.add_argument(
        "--event",
        action="append",
        default=[],
        metavar="DAY:KIND:MEMBER[:FACTOR]",
        help="an event on a 0-based day: join, pause, resume, leave, or traffic with a "
        "factor (e.g. 30:traffic:blumen:3); repeatable",
    )
    parser.add_argument(
        "--views",
        type=_views,
        default=DEFAULT_VIEWS,
        help=f"total block views per day of the generated traffic [{DEFAULT_VIEWS:g}]",
    )
    parser.add_argument(
        "--zipf", type=_views, default=1.0, help="exponent s of the generated traffic [1]"
    )
    parser.add_argument(
        "--rules",
        metavar="FILE",
        help="simulate this rule set (JSON or YAML) instead of the theme's stored rules",
    )
    parser.add_argument(
        "--set",
        dest="set_fairness",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="change a fairness parameter, e.g. alpha=1 (repeatable)",
    )
    parser.add_argument(
        "--partners",
        type=_positive_int,
        default=3,
        help="partners per block (the rules' partners.max still applies) [3]",
    )
    parser.add_argument(
        "--seed", default=DEFAULT_SEED, help="text the keyed hash is made from (sha256)"
    )
    parser.add_argument(
        "--start",
        type=_start,
        help="first simulated day, YYYY-MM-DD [today, UTC]; fix it to repeat a run exactly",
    )


def _fmt(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


STRATEGY_NAMES = {"engine": "engine", "equal": "equal rotation", "credit": "1:1 credit"}


def render_text(themes: list[str], result: Comparison) -> str:
    f = result.rules.fairness
    lines = [
        f"Simulation of {', '.join(themes)}: {result.days} days, measured after a "
        f"{result.warmup}-day warm-up; strategy {result.rules.strategy}, alpha {f.alpha:g}, "
        f"beta {f.beta:g}, delta {f.delta:g}, kappa {f.kappa:g}, "
        f"half-life {f.half_life_days:g} days",
        "",
        f"{'member':<24} {'views':>9} {'given':>11} {'received':>11} {'ratio':>6} {'bound':>6}"
        f" {'equal':>6} {'credit':>6}",
    ]
    for m in result.members:
        mark = " *" if m.bound is not None and m.bound < 1 else ""
        lines.append(
            f"{m.member:<24} {m.views:>9} {m.given:>11.1f} {m.received:>11.1f} "
            f"{_fmt(m.ratio):>6} {_fmt(m.bound):>6} {_fmt(m.baseline_ratios.get('equal')):>6} "
            f"{_fmt(m.baseline_ratios.get('credit')):>6}{mark}"
        )
    engine = result.report("engine")
    lines += [
        "",
        f"network: ratio min {_fmt(engine.min_ratio)}, max {_fmt(engine.max_ratio)}; "
        f"Gini of received exposure {engine.gini:.3f}",
        "",
        f"{'strategy':<16} {'min':>6} {'max':>6} {'in band':>8} {'Gini':>6} "
        f"{'blocks':>8} {'short':>6} {'empty':>6}",
    ]
    for r in result.reports:
        lines.append(
            f"{STRATEGY_NAMES[r.strategy]:<16} {_fmt(r.min_ratio):>6} {_fmt(r.max_ratio):>6} "
            f"{r.in_band:>8.1%} {r.gini:>6.3f} {r.blocks:>8} {r.short_blocks:>6} "
            f"{r.empty_blocks:>6}"
        )
    for r in result.reports:
        for member, ratio, reason in r.out_of_band:
            lines.append(f"  {STRATEGY_NAMES[r.strategy]}: {member} {_fmt(ratio)} ({reason})")
        for member, ratio, bound, reason in r.at_bound:
            lines.append(
                f"  {STRATEGY_NAMES[r.strategy]}: {member} {_fmt(ratio)} at its bound "
                f"{_fmt(bound)} ({reason})"
            )
    if engine.settle_days:
        lines += ["", "days until every member is back in band (trailing 7 days):"]
        for n, (event, _) in enumerate(engine.settle_days):
            cells = ", ".join(
                f"{STRATEGY_NAMES[r.strategy]} {_fmt_days(r.settle_days[n][1])}"
                for r in result.reports
            )
            lines.append(f"  {event}: {cells}")
    if any(m.bound is not None and m.bound < 1 for m in result.members):
        lines.append(
            "* structural net giver: even the top place on every other page "
            "gives it less than it gives (bound < 1)"
        )
    return "\n".join(lines)


def _fmt_days(days: int | None) -> str:
    return "never" if days is None else str(days)


async def theme_pools(
    storage: Storage, slugs: list[str], start: float
) -> tuple[list[Theme], dict[int, ThemePool], dict[int, str]]:
    from widget_server.serving.snapshot import fresh_pools

    themes = [await storage.get_theme(slug) for slug in slugs]
    _, pools = await fresh_pools(storage, [t.id for t in themes], start)
    names = {m: s for p in pools.values() for s, m in p.ids_by_slug.items()}
    return themes, pools, names


async def cmd_simulate(args: argparse.Namespace, storage: Storage, settings: Settings) -> int:
    """``widget-server simulate THEME ...``: the engine beside both baselines on given traffic."""
    start_day: date = args.start or datetime.now(UTC).date()
    start = datetime.combine(start_day, datetime.min.time(), UTC).timestamp()
    themes, pools, slugs = await theme_pools(storage, list(args.theme), start)
    ids = {s: m for m, s in slugs.items()}
    rules = load_rules_file(args.rules) if args.rules else None
    for theme_id, pool in pools.items():
        chosen = rules or pool.rules
        unknown = sorted(referenced_members(chosen) - set(pool.ids_by_slug))
        if unknown:
            raise ValidationError(
                f"{args.rules}", f"unknown member {unknown[0]!r} (not in the theme)"
            )
        pools[theme_id] = replace(pool, rules=with_fairness(chosen, args.set_fairness))

    if args.traffic:
        traffic_plan = load_traffic_plan(args.traffic, known=set(ids))
    else:
        order = sorted(
            {m for p in pools.values() for m, info in p.members.items() if info.eligible}
        )
        generated = zipf_traffic(order, args.views, args.zipf)
        traffic_plan = TrafficPlan({slugs[m]: v for m, v in generated.items()})
    specs = [*traffic_plan.events, *(parse_event(e, set(ids)) for e in args.event)]
    for spec in specs:
        if spec.day >= args.days:
            raise ValidationError("--event", f"day {spec.day} is not before --days {args.days}")
    if args.warmup is not None and args.warmup >= args.days:
        raise ValueError(f"--warmup {args.warmup} must be less than --days {args.days}")
    views, schedule = by_id(traffic_plan, ids)
    events = tuple(Event(e.day, e.kind, ids[e.member], e.factor) for e in specs)
    scenario = Scenario(pools, views, args.days, schedule=schedule, events=events)
    warmup = default_warmup(args.days) if args.warmup is None else args.warmup
    progress = Progress(
        lambda: texts(settings).ngettext(
            "Simulating %(num)d day with three strategies",
            "Simulating %(num)d days with three strategies",
            args.days,
        )
    )
    with interruptible():  # seconds to minutes of work that awaits nothing
        result = compare(
            scenario,
            key=hashlib.sha256(args.seed.encode("utf-8")).digest(),
            start=start,
            warmup=warmup,
            slugs=slugs,
            limit=args.partners,
            progress=progress.update,
        )
    progress.done()
    f = result.rules.fairness
    data_out = {
        "theme": themes[0].slug,
        "themes": [t.slug for t in themes],
        "start": start_day.isoformat(),
        "strategy": result.rules.strategy,
        "fairness": {name: getattr(f, name) for name in FAIRNESS_FIELDS},
        **result.as_dict(),
    }
    emit(args, data_out, render_text([t.slug for t in themes], result))
    return 0
