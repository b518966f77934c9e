"""``sorted_slice``: a page of a long sorted list, never sorted in one long call.

``list.sort`` runs in C and keeps the GIL until it is done: the admin's member
list sorted its index of 100,000 rows in a worker thread in one call, 280 ms in
which the event loop could answer no widget request when the names come in no
particular order.  The slice is the one ``sorted`` gives, ties in their order.
"""

from __future__ import annotations

import random
from functools import total_ordering

import pytest

from widget_server.core import sorting


@total_ordering
class Keyed:
    """Compares by ``key`` only, so equal items can be told apart by ``tag``."""

    def __init__(self, key: int, tag: int) -> None:
        self.key, self.tag = key, tag

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Keyed) and self.key == other.key

    def __lt__(self, other: Keyed) -> bool:
        return self.key < other.key

    __hash__ = None  # type: ignore[assignment]


@pytest.mark.parametrize("size", [0, 1, 7, 8, 9, 31, 100])
def test_the_slice_is_sorteds_with_ties_in_their_order(
    size: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sorting, "SORT_PART", 8)
    rng = random.Random(size)
    for _ in range(20):
        items = [Keyed(rng.randrange(5), n) for n in range(size)]
        start = rng.randrange(size + 3)
        stop = start + rng.randrange(size + 3)
        expected = sorted(items)[start:stop]
        got = sorting.sorted_slice(list(items), start, stop)
        assert [(i.key, i.tag) for i in got] == [(i.key, i.tag) for i in expected]


def test_a_long_list_is_sorted_a_part_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    parts: list[int] = []
    sort_part = sorting._sorted_part

    def spy(part: list[object]) -> list[object]:
        parts.append(len(part))
        return sort_part(part)

    monkeypatch.setattr(sorting, "_sorted_part", spy)
    rng = random.Random(3)
    rows = [(rng.random() < 0.1, f"name {rng.randrange(10**6)}", n) for n in range(20_000)]
    assert sorting.sorted_slice(list(rows), 19_900, 20_100) == sorted(rows)[19_900:]
    assert sorting.sorted_slice(list(rows), 0, 200) == sorted(rows)[:200]
    assert parts and max(parts) <= sorting.SORT_PART and sum(parts) == 2 * len(rows)
