"""The installed ledger's columns (rotation/packed.py) read exactly as the dicts they replace."""

from __future__ import annotations

import json
from array import array
from datetime import date

import pytest

from widget_server.rotation.fairness import Fairness, balances
from widget_server.rotation.ledger import (
    ThemeLedger,
    apply_delta,
    delta_document,
    read_theme_document,
    theme_document,
)
from widget_server.rotation.packed import PackedDays, PackedFigures

FIGURES = {7: (1.5, 0.25), 3: (0.1 + 0.2, 2.0), 1_000_000_007: (0.0, 9.75)}
SERVED = {7: date(2026, 12, 1), 3: date(2026, 11, 30)}


def test_figures_read_as_the_dict() -> None:
    packed = PackedFigures.of(FIGURES)
    assert packed == FIGURES
    assert FIGURES == packed  # noqa: SIM300 (the dict's side of the comparison)
    assert list(packed) == [3, 7, 1_000_000_007]
    assert dict(packed.items()) == FIGURES
    assert len(packed) == 3
    assert packed[3] == (0.1 + 0.2, 2.0)  # the float as it was, bit for bit
    assert packed.get(3) == FIGURES[3]
    assert packed.get(4) is None and packed.get(4, (0.0, 0.0)) == (0.0, 0.0)
    assert 7 in packed and 8 not in packed
    with pytest.raises(KeyError):
        packed[8]


@pytest.mark.parametrize("key", [7.0, "7", None, 2**70, -1])
def test_no_member_id_is_found_for_other_keys(key: object) -> None:
    packed = PackedFigures.of(FIGURES)
    assert key not in packed
    assert packed.get(key, "none") == "none"  # type: ignore[arg-type]


def test_rows_in_any_order_read_as_a_dict_of_them() -> None:
    rows = [[7, 1.0, 2.0], [3, 0.5, 0.5], [7, 4.0, 8.0]]  # a later row of a member wins
    assert PackedFigures.from_rows(rows) == {3: (0.5, 0.5), 7: (4.0, 8.0)}
    days = PackedDays.from_rows([[9, "2026-12-01"], [2, "2026-11-01"], [9, "2026-12-02"]])
    assert days == {2: date(2026, 11, 1), 9: date(2026, 12, 2)}


@pytest.mark.parametrize(
    "rows", [[["7", 1.0, 2.0]], [[7.5, 1.0, 2.0]], [[7, "x", 2.0]], [[2**64, 1.0, 2.0]]]
)
def test_rows_that_are_no_figures_are_refused(rows: list[list[object]]) -> None:
    with pytest.raises((TypeError, OverflowError)):
        PackedFigures.from_rows(rows)


def test_columns_must_be_ascending_and_of_one_length() -> None:
    with pytest.raises(ValueError, match="ascending"):
        PackedFigures(array("q", [2, 1]), array("d", [0, 0]), array("d", [0, 0]))
    with pytest.raises(ValueError, match="ascending"):
        PackedDays(array("q", [1, 1]), array("l", [1, 1]))
    with pytest.raises(ValueError, match="lengths"):
        PackedFigures(array("q", [1]), array("d", [0, 0]), array("d", [0]))


def test_days_read_as_the_dict() -> None:
    packed = PackedDays.of(SERVED)
    assert packed == SERVED
    assert packed[7] == date(2026, 12, 1) and packed.get(5) is None
    assert list(packed.items()) == sorted(SERVED.items())


def test_columns_in_the_members_order() -> None:
    packed = PackedFigures.of(FIGURES)
    assert packed.columns([1_000_000_007, 5, 3]) == ([0.0, 0.0, 0.1 + 0.2], [9.75, 0.0, 2.0])


def test_balances_are_the_same_from_columns_as_from_the_dict() -> None:
    members = [3, 7, 11, 1_000_000_007]
    fairness = Fairness()
    ages = {3: 400.0, 7: 2.0, 11: 0.5, 1_000_000_007: 90.0}
    themes_of = {3: 2, 7: 1, 11: 3, 1_000_000_007: 1}
    from_dict = balances(FIGURES, members, fairness, ages, themes_of)
    from_columns = balances(PackedFigures.of(FIGURES), members, fairness, ages, themes_of)
    assert from_columns == from_dict


def test_a_read_document_is_packed_and_equal_to_what_was_written() -> None:
    text = theme_document(FIGURES, SERVED, date(2026, 12, 2))
    ledger = read_theme_document(4, 100.0, text)
    assert isinstance(ledger.figures, PackedFigures) and isinstance(ledger.served, PackedDays)
    assert ledger == ThemeLedger(4, 100.0, date(2026, 12, 2), FIGURES, SERVED)


def test_a_delta_applied_to_columns_gives_the_new_figures() -> None:
    before = read_theme_document(4, 100.0, theme_document(FIGURES, SERVED, date(2026, 12, 2)))
    figures = {7: (1.5, 0.25), 3: (0.5, 2.5), 12: (1.0, 0.0)}  # 3 changed, 12 new, 1e9+7 gone
    served = {3: date(2026, 12, 2), 12: date(2026, 12, 2)}  # 7 unserved
    delta = delta_document(before, figures, served, date(2026, 12, 2))
    written = json.loads(delta)
    assert [m for m, _, _ in written["members"]] == [3, 12]
    assert written["gone"] == [1_000_000_007] and written["unserved"] == [7]
    after = apply_delta(before, 5, 160.0, delta)
    assert isinstance(after.figures, PackedFigures)
    assert after.figures == figures and after.served == served and after.version == 5


@pytest.mark.parametrize(
    "members", ['[["7", 1.0, 2.0]]', "[[7.5, 1.0, 2.0]]", "[[99999999999999999999, 1, 2]]"]
)
def test_a_document_with_bad_members_is_unreadable(members: str) -> None:
    text = f'{{"format":2,"day":"2026-12-02","members":{members},"served":[]}}'
    with pytest.raises(ValueError, match="unreadable"):
        read_theme_document(1, 0.0, text)
