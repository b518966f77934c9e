"""The in-memory pieces of counting: per-process limits, the buffer, bot detection."""

from __future__ import annotations

from datetime import date

from widget_server.counting.events import CounterBuffer, RateLimiter, is_bot

DAY = date(2027, 3, 6)


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
