"""CPU per first sight of a token: selection and block building, in-process.

Usage: python bench/bench_selection.py [--members 100000] [--themes 2000] [--tokens 5000]
                                       [--rounds 3] [--json]

A network of the shape ``bench_scale.py`` makes (each member in 1-3 themes,
about ``members * 2 / themes`` per theme, one placement per membership, the
default rules: fair exchange) is built as a :class:`Snapshot` in memory, with
no database and no HTTP.  Then ``--tokens`` placements, in a shuffled order,
are each seen for the first time in the current rotation bucket, and every
step the widget takes for such a first sight is timed separately:

* ``plan``: ``blocks.host_plan`` (filters, pins, weights, probabilities),
* ``draw``: ``rotation.draw`` for the bucket,
* ``block``: ``blocks.build_block`` (texts, the partners' click tokens),
  of which ``click tokens`` alone is timed in a separate pass,
* ``json``: the encoded body and its view-token prefix.

Each figure is the median over ``--rounds`` rounds of the mean microseconds
per token; every round starts with fresh caches (a new snapshot), so each
token really is a first sight.  The same loop over a demo-sized network
(16 members in 2 themes) gives the comparison.  Only CPU in this process is
measured (``time.process_time``); the machine's other load barely matters.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from widget_server.core.models import (  # noqa: E402  (after the path set-up)
    Member,
    Membership,
    Placement,
    Theme,
)
from widget_server.core.signing import Signer  # noqa: E402
from widget_server.rotation import draw  # noqa: E402
from widget_server.serving import blocks  # noqa: E402
from widget_server.serving.snapshot import LedgerInput, Snapshot  # noqa: E402
from widget_server.storage import NetworkData  # noqa: E402

CATEGORIES = ("flowers", "catering", "photography", "venue", "music", "bakery", "cafe")
TOWNS = ("Heide", "Husum", "Meldorf", "Büsum", "Brunsbüttel", "Wesselburen")
DEMO = (16, 2)
KEY = b"k" * 32


def network(members: int, themes: int, seed: int = 14) -> NetworkData:
    """The shape of bench_scale.members_file, made in memory."""
    rng = random.Random(seed)
    theme_rows = tuple(Theme(t + 1, f"t{t}", f"Thema {t}", "") for t in range(themes))
    member_rows = []
    memberships = []
    placements = []
    for i in range(members):
        member_rows.append(
            Member(
                i + 1,
                f"m{i}",
                f"Betrieb {i}",
                f"https://m{i}.example.de/",
                description="Ein Betrieb aus dem Netzwerk, mit einer kurzen Beschreibung.",
                category=CATEGORIES[i % len(CATEGORIES)],
                town=TOWNS[i % len(TOWNS)],
                status="active",
            )
        )
        for t in sorted(rng.sample(range(themes), min(themes, rng.choice((1, 2, 3))))):
            memberships.append(Membership(i + 1, t + 1, "active", "2026-01-01T00:00:00+00:00"))
            placements.append(Placement(len(placements) + 1, i + 1, t + 1))
    return NetworkData(1, theme_rows, tuple(member_rows), tuple(memberships), tuple(placements), ())


def one_round(
    data: NetworkData, placements: list[Placement], signer: Signer, now: float
) -> dict[str, float]:
    snapshot = Snapshot.build(data, LedgerInput(), now)
    display = blocks.Display("de", "list", "auto")
    spent = dict.fromkeys(("plan", "draw", "block", "json"), 0.0)
    clock = time.process_time
    for placement in placements:
        t0 = clock()
        p = blocks.host_plan(snapshot, placement, now, KEY)
        t1 = clock()
        rotation = blocks.rotation_at(p.rules, now, 0)
        slots = draw(p, rotation.bucket, KEY)
        t2 = clock()
        block = blocks.build_block(
            snapshot,
            placement,
            display,
            slots=slots,
            rules=p.rules,
            rotation=rotation,
            signer=signer,
            base_url="https://partnerkreis.example",
        )
        t3 = clock()
        json.dumps(block, ensure_ascii=False, separators=(",", ":")).encode()
        flat = [(s.member_id, s.position, s.counts) for s in slots]
        signer.view_prefix(placement.id, rotation.bucket, flat)
        t4 = clock()
        spent["plan"] += t1 - t0
        spent["draw"] += t2 - t1
        spent["block"] += t3 - t2
        spent["json"] += t4 - t3
    # The click tokens alone: three per block, as build_block signs them.
    t0 = clock()
    for placement in placements:
        for partner in range(3):
            signer.click_token(placement.id, partner + 1, int(now // 300))
    spent["click tokens"] = clock() - t0
    n = len(placements)
    return {k: v / n * 1e6 for k, v in spent.items()}


def measure(members: int, themes: int, tokens: int, rounds: int) -> dict[str, Any]:
    data = network(members, themes)
    placements = list(data.placements)
    random.Random(6).shuffle(placements)
    placements = placements[:tokens]
    signer = Signer(["bench-secret-key-0123456789"], clock=lambda: 1_790_000_000.0)
    now = 1_790_000_000.0
    results = [one_round(data, placements, signer, now) for _ in range(rounds)]
    figures = {k: round(statistics.median(r[k] for r in results), 1) for k in results[0]}
    figures["total"] = round(sum(figures[k] for k in ("plan", "draw", "block", "json")), 1)
    return {
        "members": members,
        "themes": themes,
        "tokens": len(placements),
        "us_per_first_sight": figures,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--themes", type=int, default=2_000)
    parser.add_argument("--tokens", type=int, default=5_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.members < 2 * DEMO[0] or not 1 <= args.themes <= args.members:
        parser.error(f"--members must be >= {2 * DEMO[0]}, --themes between 1 and --members")
    if args.tokens < 1 or args.rounds < 1:
        parser.error("--tokens and --rounds must be at least 1")
    res = {
        "demo": measure(*DEMO, args.tokens, args.rounds),
        "scale": measure(args.members, args.themes, args.tokens, args.rounds),
    }
    if args.json:
        print(json.dumps(res, indent=2))
        return 0
    demo, scale = res["demo"]["us_per_first_sight"], res["scale"]["us_per_first_sight"]
    print(f"µs CPU per first sight ({args.tokens} tokens, median of {args.rounds} rounds)")
    print(f"{'':<14}{'demo':>10}{'scale':>10}")
    for k in demo:
        print(f"{k:<14}{demo[k]:>10.1f}{scale[k]:>10.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
