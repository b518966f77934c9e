"""Reports from daily aggregates: definitions, the structural bound, and the CLI."""

from __future__ import annotations

import contextlib
import io
import json
from datetime import date
from pathlib import Path

import pytest

from widget_server.cli import main
from widget_server.core.models import CounterRow
from widget_server.counting.events import BLOCK
from widget_server.counting.stats import bound, gini, tally, theme_block_views
from widget_server.rotation.fairness import block_exposure, exposure

D1, D2 = date(2027, 3, 1), date(2027, 3, 2)


def viewed(day: date, host: int, partner: int, count: int, position: int = 1) -> CounterRow:
    return CounterRow(day, 1, host, partner, "viewed", count, count * exposure(position))


def blocks(day: date, host: int, count: int) -> CounterRow:
    return CounterRow(day, 1, host, BLOCK, "viewed", count, 0.0)


ROWS = [
    # host 1 (big): 10 block views showing 2 at 1st, 3 at 2nd place
    blocks(D1, 1, 10),
    viewed(D1, 1, 2, 10, 1),
    viewed(D1, 1, 3, 10, 2),
    # host 2: 2 block views showing 1 first, 3 second
    blocks(D1, 2, 2),
    viewed(D1, 2, 1, 2, 1),
    viewed(D1, 2, 3, 2, 2),
    CounterRow(D2, 1, 2, 1, "clicked", 1),
    CounterRow(D2, 1, 1, 2, "served", 4),
]


def test_given_received_and_balance_follow_their_definitions() -> None:
    ledger = tally(ROWS, None, None)
    big, small = ledger.totals[(1, 1)], ledger.totals[(1, 2)]
    assert (big.views_given, big.views_received, big.block_views) == (20, 2, 10)
    assert (small.views_given, small.views_received, small.clicks_given) == (4, 10, 1)
    assert big.clicks_received == 1
    assert big.balance == pytest.approx(2 / 20)
    assert ledger.totals[(1, 3)].balance is None  # gave nothing


def test_the_period_filters_by_day() -> None:
    ledger = tally(ROWS, D2, D2)
    assert ledger.totals[(1, 2)].views_given == 0
    assert ledger.totals[(1, 2)].clicks_given == 1


def test_the_bound_is_the_top_place_on_every_other_block_view() -> None:
    ledger = tally(ROWS, None, None)
    big_given = 10 * block_exposure(2)  # 10 views of positions 1 and 2
    assert bound(ledger, 1, 1) == pytest.approx((2 * exposure(1)) / big_given)
    assert bound(ledger, 1, 1) < 1  # a structural net giver
    assert bound(ledger, 1, 3) is None


def test_a_themes_block_views_summed_once_give_every_members_bound() -> None:
    """A theme's report asks for every member's bound: the theme's block views summed
    once give each the same float as summing the others' for each."""
    import random

    rng = random.Random(5)
    rows = []
    for host in range(1, 60):
        for theme in (1, 2):
            views = rng.randrange(0, 500)
            rows.append(CounterRow(D1, theme, host, BLOCK, "viewed", views, 0.0))
            for position, partner in enumerate(rng.sample(range(1, 60), 3), start=1):
                rows.append(
                    CounterRow(
                        D1, theme, host, partner, "viewed", views, views * exposure(position)
                    )
                )
    ledger = tally(rows, None, None)
    for theme in (1, 2):
        views = theme_block_views(ledger, theme)
        for member in range(1, 60):
            own = ledger.totals.get((theme, member))
            expected = None
            if own is not None and own.exposure_given > 0:
                others = sum(
                    t.block_views
                    for (th, m), t in ledger.totals.items()
                    if th == theme and m != member
                )
                expected = others * exposure(1) / own.exposure_given
            assert bound(ledger, theme, member, views) == bound(ledger, theme, member)
            assert bound(ledger, theme, member) == expected


@pytest.mark.parametrize(
    ("values", "expected"),
    [([5.0, 5.0, 5.0], 0.0), ([0.0, 0.0, 9.0], 2 / 3), ([], 0.0), ([1.0, 3.0], 0.25)],
)
def test_gini(values: list[float], expected: float) -> None:
    assert gini(values) == pytest.approx(expected)


def run(db: Path, *args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args), environ={"WIDGET_DATABASE_URL": f"sqlite:///{db}"})
    return code, out.getvalue(), err.getvalue()


def test_stats_command_reports_members_and_themes(tmp_path: Path) -> None:
    import asyncio

    from widget_server.storage import SQLiteStorage

    db = tmp_path / "s.db"
    run(db, "init")
    run(db, "theme", "add", "hochzeit", "--name-de", "Hochzeit")
    for slug in ("a", "b", "c"):
        run(
            db,
            "member",
            "add",
            slug,
            "--name",
            slug,
            "--website",
            f"https://{slug}.example",
            "--theme",
            "hochzeit",
        )

    async def seed() -> None:
        storage = SQLiteStorage(db)
        await storage.open()
        await storage.add_counts(ROWS)
        await storage.close()

    asyncio.run(seed())
    code, out, _ = run(db, "stats", "--member", "a", "--json")
    assert code == 0
    theme = json.loads(out)["themes"][0]
    assert (theme["views_given"], theme["views_received"]) == (20, 2)
    assert theme["structural_net_giver"] is True
    code, out, _ = run(db, "stats", "--member", "a")
    assert "structural net giver" in out
    code, out, _ = run(db, "stats", "--theme", "hochzeit", "--csv")
    assert out.splitlines()[0].startswith("theme,member,views_given")
    assert len(out.splitlines()) == 4
    code, out, _ = run(db, "stats", "--json")
    assert json.loads(out)[0]["totals"]["views"] == 24
    assert run(db, "stats", "--from", "March")[0] == 2
