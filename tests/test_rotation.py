"""Partner selection: table tests, determinism and the round-robin fairness guarantee."""

from __future__ import annotations

import hashlib
import itertools
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from widget_server.rotation import Candidate, bucket_of, keyed_hash, keyed_unit, select
from widget_server.rotation.keyed import keyed_hashes

KEY = b"rotation-test-key"

# No example database in the work tree; every run draws fresh examples.
properties = hypothesis_settings(database=None, max_examples=200, deadline=None)


def candidates(*ids: int) -> list[Candidate]:
    return [Candidate(i, "flowers") for i in ids]


def pick(
    ids: list[int] | tuple[int, ...],
    *,
    host: int,
    limit: int,
    bucket: int = 0,
    theme: int = 1,
    key: bytes = KEY,
) -> list[int]:
    return select(
        candidates(*ids), host_id=host, theme_id=theme, bucket=bucket, limit=limit, key=key
    )


# -- table tests ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ids", "host", "limit", "eligible", "expected_len"),
    [
        # host never selected
        ((1, 2, 3, 4, 5), 3, 4, {1, 2, 4, 5}, 4),
        ((1, 2, 3, 4, 5), 3, 3, {1, 2, 4, 5}, 3),
        # host not in the pool: everybody is eligible
        ((1, 2, 3), 99, 3, {1, 2, 3}, 3),
        # duplicates in the candidates are ignored
        ((1, 1, 2, 2, 3, 3), 99, 3, {1, 2, 3}, 3),
        ((7, 7, 7, 7), 99, 3, {7}, 1),
        ((4, 4, 5, 5), 4, 3, {5}, 1),
        # limit larger than the pool: each eligible partner once
        ((1, 2), 99, 12, {1, 2}, 2),
        ((1, 2, 3), 2, 12, {1, 3}, 2),
        # empty pool, or only the host
        ((), 1, 3, set(), 0),
        ((1,), 1, 3, set(), 0),
        # limit 0 (or below) selects nobody
        ((1, 2, 3), 99, 0, set(), 0),
        ((1, 2, 3), 99, -1, set(), 0),
    ],
)
def test_select_table(
    ids: tuple[int, ...], host: int, limit: int, eligible: set[int], expected_len: int
) -> None:
    chosen = pick(ids, host=host, limit=limit)
    assert len(chosen) == expected_len
    assert len(set(chosen)) == len(chosen), "a partner appears twice"
    assert host not in chosen
    assert set(chosen) <= eligible
    if expected_len == len(eligible):
        assert set(chosen) == eligible


def test_select_with_an_unknown_strategy_raises_value_error_naming_it() -> None:
    with pytest.raises(ValueError, match="'random'"):
        select(
            candidates(1, 2), host_id=1, theme_id=1, bucket=0, limit=1, key=KEY, strategy="random"
        )


def test_select_ignores_the_category_of_a_duplicate() -> None:
    mixed = [Candidate(1, "flowers"), Candidate(1, "venue"), Candidate(2, "")]
    chosen = select(mixed, host_id=99, theme_id=1, bucket=0, limit=5, key=KEY)
    assert sorted(chosen) == [1, 2]


# -- determinism ----------------------------------------------------------------------------


def test_select_gives_the_same_output_for_the_same_inputs() -> None:
    ids = list(range(1, 11))
    first = pick(ids, host=3, limit=4, bucket=123)
    assert all(pick(ids, host=3, limit=4, bucket=123) == first for _ in range(5))


def test_select_does_not_depend_on_the_order_of_the_candidates() -> None:
    ids = (1, 2, 3, 4, 5)
    expected = pick(ids, host=99, limit=3, bucket=17)
    for order in itertools.permutations(ids):
        assert pick(order, host=99, limit=3, bucket=17) == expected


@given(
    ids=st.lists(st.integers(1, 500), min_size=1, max_size=20, unique=True),
    data=st.data(),
)
@properties
def test_select_is_independent_of_candidate_order_for_any_pool(
    ids: list[int], data: st.DataObject
) -> None:
    shuffled = data.draw(st.permutations(ids))
    host = data.draw(st.sampled_from(ids) | st.integers(501, 600))
    bucket = data.draw(st.integers(0, 2**40))
    limit = data.draw(st.integers(1, len(ids)))
    assert pick(shuffled, host=host, limit=limit, bucket=bucket) == pick(
        sorted(ids), host=host, limit=limit, bucket=bucket
    )


def test_different_keys_give_different_orders() -> None:
    pool = list(range(1, 9))
    hosts = range(100, 106)  # hosts outside the pool: all eight partners are ordered
    orders_a = [pick(pool, host=h, limit=8, key=b"key-a") for h in hosts]
    orders_b = [pick(pool, host=h, limit=8, key=b"key-b") for h in hosts]
    assert all(sorted(o) == pool for o in orders_a + orders_b)
    assert orders_a != orders_b


def test_different_hosts_do_not_all_share_one_order() -> None:
    pool = list(range(1, 9))
    orders = {tuple(pick(pool, host=h, limit=8)) for h in range(100, 106)}
    assert len(orders) > 1


# -- the round-robin guarantee --------------------------------------------------------------


@given(
    pool=st.lists(st.integers(1, 10_000), min_size=1, max_size=30, unique=True),
    data=st.data(),
    key=st.binary(min_size=1, max_size=64),
    theme=st.integers(1, 1000),
    start=st.integers(-(2**20), 2**40),
)
@properties
def test_every_partner_holds_every_position_once_per_cycle(
    pool: list[int], data: st.DataObject, key: bytes, theme: int, start: int
) -> None:
    host = data.draw(st.sampled_from(pool) | st.integers(10_001, 20_000), label="host")
    limit = data.draw(st.integers(1, len(pool)), label="limit")
    eligible = sorted(set(pool) - {host})
    n = len(eligible)
    shown = min(limit, n)

    selections = [
        pick(pool, host=host, limit=limit, bucket=b, theme=theme, key=key)
        for b in range(start, start + n)
    ]
    for chosen in selections:
        assert len(chosen) == shown
        assert len(set(chosen)) == shown, f"duplicate in {chosen}"
        assert set(chosen) <= set(eligible)
    for position in range(shown):
        holders = Counter(chosen[position] for chosen in selections)
        assert holders == Counter(eligible), f"position {position}: {holders}"


@given(
    pool=st.lists(st.integers(1, 10_000), min_size=0, max_size=30),
    host=st.integers(1, 10_000),
    limit=st.integers(0, 40),
    bucket=st.integers(0, 2**40),
)
@properties
def test_a_selection_never_repeats_a_partner_nor_shows_the_host(
    pool: list[int], host: int, limit: int, bucket: int
) -> None:
    chosen = pick(pool, host=host, limit=limit, bucket=bucket)
    assert len(chosen) == len(set(chosen))
    assert host not in chosen
    assert set(chosen) <= set(pool)
    assert len(chosen) == min(max(limit, 0), len(set(pool) - {host}))


# -- buckets --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("timestamp", "seconds", "bucket"),
    [
        (0, 300, 0),
        (299.999, 300, 0),
        (300, 300, 1),
        (301, 300, 1),
        (599.5, 300, 1),
        (600, 300, 2),
        (1_800_000_000, 300, 6_000_000),  # 1.8e9 / 300
        (1_800_000_299.9, 300, 6_000_000),
        (59, 60, 0),
        (60, 60, 1),
        (7.9, 1, 7),
        (-0.5, 300, -1),  # floor, not truncation towards zero
    ],
)
def test_bucket_of(timestamp: float, seconds: int, bucket: int) -> None:
    assert bucket_of(timestamp, seconds) == bucket


# -- keyed hash -----------------------------------------------------------------------------


def test_keyed_hash_is_deterministic_and_64_bit() -> None:
    value = keyed_hash(KEY, "rr-order", 1, 2, 3)
    assert value == keyed_hash(KEY, "rr-order", 1, 2, 3)
    assert 0 <= value < 2**64


def test_keyed_hash_changes_with_the_key() -> None:
    assert keyed_hash(b"key-a", "x", 1) != keyed_hash(b"key-b", "x", 1)


@pytest.mark.parametrize("index", [0, 1, 2, 3])
def test_keyed_hash_changes_with_any_part(index: int) -> None:
    parts: list[object] = ["rr-order", 1, 2, 3]
    changed = list(parts)
    changed[index] = f"{parts[index]}x"
    assert keyed_hash(KEY, *parts) != keyed_hash(KEY, *changed)


@pytest.mark.parametrize(
    ("left", "right"),
    [
        (("a", "bc"), ("ab", "c")),
        (("a", "b"), ("ab",)),
        ((1, 23), (12, 3)),
        (("a", "b", "c"), ("abc",)),
    ],
)
def test_keyed_hash_separates_parts(left: tuple[object, ...], right: tuple[object, ...]) -> None:
    assert keyed_hash(KEY, *left) != keyed_hash(KEY, *right)


@given(
    text=st.text(alphabet=st.characters(blacklist_characters="\x1f"), min_size=2, max_size=40),
    data=st.data(),
)
@properties
def test_keyed_hash_of_two_different_splits_differs(text: str, data: st.DataObject) -> None:
    i, j = data.draw(
        st.lists(st.integers(0, len(text)), min_size=2, max_size=2, unique=True), label="cuts"
    )
    assert keyed_hash(KEY, text[:i], text[i:]) != keyed_hash(KEY, text[:j], text[j:])


def _plain_keyed_hash(key: bytes, *parts: object) -> int:
    """The definition: BLAKE2b-64 keyed with the key's first 64 bytes over the parts'
    UTF-8 (lone surrogates passed through) joined by the unit separator."""
    message = b"\x1f".join(str(p).encode("utf-8", "surrogatepass") for p in parts)
    return int.from_bytes(hashlib.blake2b(message, key=key[:64], digest_size=8).digest(), "big")


@given(
    key=st.binary(max_size=100),
    parts=st.lists(st.integers(-(10**20), 10**20) | st.text(max_size=12), max_size=6),
)
@properties
def test_keyed_hash_is_blake2b_of_the_joined_parts(key: bytes, parts: list[object]) -> None:
    # The kept key state (one per key) must give the digests of a fresh keyed hash,
    # for keys past 64 bytes, the empty key and text with lone surrogates too.
    assert keyed_hash(key, *parts) == _plain_keyed_hash(key, *parts)
    assert keyed_hashes(key, tuple(parts), [7, 10**12]) == {
        i: _plain_keyed_hash(key, *parts, i) for i in (7, 10**12)
    }


def test_keyed_hash_values_stay_what_they_were() -> None:
    # Blocks are replayed (explain, simulate, every process): the values are fixed.
    assert keyed_hash(b"partnerkreis-rotation-key", "shift", 12, 345, 5987000, 0) == (
        7584602073790018858
    )
    assert keyed_hash(b"", "draw", "M\u00fcller \ud800", -3) == 3421191565354673069
    assert keyed_hash(b"k" * 80, "perm", 1) == 8119252121755088959


@given(key=st.binary(min_size=1, max_size=64), parts=st.lists(st.text(max_size=10), max_size=4))
@properties
def test_keyed_unit_is_in_the_unit_interval(key: bytes, parts: list[str]) -> None:
    assert 0.0 <= keyed_unit(key, *parts) < 1.0
