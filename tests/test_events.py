"""The in-memory pieces of counting: one-time tokens, salts, visitors, limits, the buffer."""

from __future__ import annotations

from datetime import date, timedelta

from widget_server.counting.events import (
    CounterBuffer,
    DailySalts,
    OneTime,
    RateLimiter,
    Visitors,
    is_bot,
)

DAY = date(2027, 3, 6)


def test_a_one_time_token_is_refused_again_for_as_long_as_it_could_be_valid() -> None:
    once = OneTime(lifetime=100)
    assert once.use("a", 0)
    for moment in (1, 99, 150, 199):
        assert not once.use("a", moment), moment
    assert once.use("b", 150)
    assert not once.use("b", 260)  # its generation is the previous one now


def test_one_time_memory_is_bounded_by_two_lifetimes() -> None:
    once = OneTime(lifetime=10)
    for i in range(50_000):
        assert once.use(f"n{i}", i / 1000)  # 50 s of tokens, all distinct
    assert len(once._current) + len(once._previous) < 50_000


def test_daily_salts_differ_by_day_and_are_dropped_after_two_days() -> None:
    salts = DailySalts()
    first = salts.salt(DAY)
    assert salts.salt(DAY) == first
    assert salts.salt(DAY + timedelta(days=1)) != first
    salts.salt(DAY + timedelta(days=2))
    assert DAY not in salts.days()


def test_a_visitor_hash_depends_on_address_agent_host_and_day() -> None:
    visitors = Visitors()
    base = visitors.visitor(DAY, "198.51.100.7", "Firefox", 3)
    assert base == visitors.visitor(DAY, "198.51.100.7", "Firefox", 3)
    for other in (
        visitors.visitor(DAY, "198.51.100.8", "Firefox", 3),
        visitors.visitor(DAY, "198.51.100.7", "Chrome", 3),
        visitors.visitor(DAY, "198.51.100.7", "Firefox", 4),
        visitors.visitor(DAY + timedelta(days=1), "198.51.100.7", "Firefox", 3),
    ):
        assert other != base
    assert b"198.51.100.7" not in base


def test_marks_are_per_day_and_forgotten_after_two_days() -> None:
    visitors = Visitors()
    assert visitors.mark(DAY, "view", b"x", 1)
    assert not visitors.mark(DAY, "view", b"x", 1)
    assert visitors.seen(DAY, "view", b"x", 1)
    assert not visitors.seen(DAY + timedelta(days=1), "view", b"x", 1)
    visitors.mark(DAY + timedelta(days=2), "view", b"y", 1)
    assert not visitors.seen(DAY, "view", b"x", 1)


def test_rate_limits_reset_with_each_window() -> None:
    limit = RateLimiter(limit=3, window=60)
    assert [limit.allow(b"a", t) for t in (0, 1, 2, 3)] == [True, True, True, False]
    assert limit.allow(b"b", 3)  # per key
    assert limit.allow(b"a", 60)  # next window


def test_the_buffer_adds_up_and_a_restore_loses_nothing() -> None:
    buffer = CounterBuffer()
    key = (DAY, 1, 2, 3, "viewed")
    buffer.add(key, 1, 1.0)  # type: ignore[arg-type]
    buffer.add(key, 2, 0.5)  # type: ignore[arg-type]
    rows = buffer.drain()
    assert [(r.count, r.exposure) for r in rows] == [(3, 1.5)]
    assert len(buffer) == 0
    buffer.restore(rows)
    buffer.add(key, 1, 0.0)  # type: ignore[arg-type]
    assert [(r.count, r.exposure) for r in buffer.drain()] == [(4, 1.5)]


def test_bot_detection_keeps_browsers() -> None:
    assert not is_bot("Mozilla/5.0 (Windows NT 10.0; Win64; x64) Gecko/20100101 Firefox/131.0")
    assert not is_bot("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) AppleWebKit/605 Safari/604.1")
    assert is_bot("Mozilla/5.0 (compatible; Googlebot/2.1)")
    assert is_bot("   ")
