"""``widget-server simulate``: what the rules would do to a traffic distribution."""

from __future__ import annotations

import argparse
import hashlib
import math
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime

from widget_server.cli.common import emit
from widget_server.core.errors import (
    ValidationError,
)
from widget_server.core.settings import Settings
from widget_server.counting.simulation import (
    DEFAULT_DAYS,
    DEFAULT_SEED,
    DEFAULT_VIEWS,
    DEFAULT_WARMUP_DAYS,
    SimulationResult,
    load_rules_file,
    load_traffic,
    simulate,
    with_fairness,
    zipf_traffic,
)
from widget_server.rotation import referenced_members
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
    parser.add_argument("theme", help="theme slug")
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
        help="block views per day per member: JSON {slug: views} or CSV member,views "
        "(default: Zipf traffic, largest = first registered)",
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


def render_text(theme: str, result: SimulationResult) -> str:
    f = result.rules.fairness
    lines = [
        f"Simulation of {theme}: {result.days} days, measured after a {result.warmup}-day "
        f"warm-up; strategy {result.rules.strategy}, alpha {f.alpha:g}, beta {f.beta:g}, "
        f"delta {f.delta:g}, kappa {f.kappa:g}, half-life {f.half_life_days:g} days",
        "",
        f"{'member':<24} {'views':>9} {'given':>11} {'received':>11} {'ratio':>6} {'bound':>6}",
    ]
    for m in result.members:
        mark = " *" if m.net_giver else ""
        lines.append(
            f"{m.member:<24} {m.views:>9} {m.given:>11.1f} {m.received:>11.1f} "
            f"{_fmt(m.ratio):>6} {_fmt(m.bound):>6}{mark}"
        )
    lines += [
        "",
        f"network: ratio min {_fmt(result.min_ratio)}, max {_fmt(result.max_ratio)}; "
        f"Gini of received exposure {result.gini:.3f}",
    ]
    if any(m.net_giver for m in result.members):
        lines.append(
            "* structural net giver: even the top place on every other page "
            "gives it less than it gives (bound < 1)"
        )
    return "\n".join(lines)


async def cmd_simulate(args: argparse.Namespace, storage: Storage, settings: Settings) -> int:
    """``widget-server simulate THEME``: what the rules would do to a traffic distribution."""
    from widget_server.serving.snapshot import LedgerInput, build_pools

    theme = await storage.get_theme(args.theme)
    start_day: date = args.start or datetime.now(UTC).date()
    start = datetime.combine(start_day, datetime.min.time(), UTC).timestamp()
    data = await storage.load_network()
    # A fresh ledger; when widgets were last served still matters for the activity gate.
    pool = build_pools(data, LedgerInput((), await storage.last_served()), start)[theme.id]
    rules = load_rules_file(args.rules) if args.rules else pool.rules
    unknown = sorted(referenced_members(rules) - set(pool.ids_by_slug))
    if unknown:
        raise ValidationError(f"{args.rules}", f"unknown member {unknown[0]!r} (not in the theme)")
    pool = replace(pool, rules=with_fairness(rules, args.set_fairness))

    if args.traffic:
        by_slug = load_traffic(args.traffic, known=set(pool.ids_by_slug))
        traffic = {pool.ids_by_slug[slug]: views for slug, views in by_slug.items()}
    else:
        order = sorted(m for m, info in pool.members.items() if info.eligible)
        traffic = zipf_traffic(order, args.views, args.zipf)
    if args.warmup is not None and args.warmup >= args.days:
        raise ValueError(f"--warmup {args.warmup} must be less than --days {args.days}")

    result = simulate(
        pool,
        traffic=traffic,
        days=args.days,
        key=hashlib.sha256(args.seed.encode("utf-8")).digest(),
        start=start,
        limit=args.partners,
        warmup=args.warmup,
    )
    data_out = {"theme": theme.slug, "start": start_day.isoformat(), **result.as_dict()}
    emit(args, data_out, render_text(theme.slug, result))
    return 0
