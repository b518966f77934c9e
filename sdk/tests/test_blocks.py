"""``client.blocks.get``: cached, stale-while-revalidate, a fallback on failure, in budget.

Source semantics under test: ``network`` (the server answered in this call),
``cache`` (fresh, no request), ``stale`` (expired, served while a background
refresh runs), ``fallback`` (the last try failed: last good block or empty).
"""

from __future__ import annotations

import threading

import httpx
import pytest

from partnerkreis import APIConnectionError, APITimeoutError, InternalServerError, NotFoundError

from .conftest import NAV, Clock, FakeAPI, block_answer, make_client, problem

THEME, MEMBER = "hochzeit-heide", "blumenhaus"
NEW_NAV = '<nav class="pk">neu</nav>'
HANG_GUARD = 60.0  # seconds; only ever reached if the code under test hangs


def test_first_fetch_is_from_the_network_then_from_the_cache(clock: Clock) -> None:
    api = FakeAPI(block_answer())
    with make_client(api, clock=clock) as client:
        first = client.blocks.get(THEME, member=MEMBER, lang="en", layout="list")
        clock.advance(59)
        second = client.blocks.get(THEME, member=MEMBER, lang="en", layout="list")
    assert (first.source, second.source) == ("network", "cache")
    assert first.html == second.html == NAV
    assert len(api.requests) == 1
    request = api.last
    assert request.url.path == f"/api/v1/blocks/{THEME}/{MEMBER}"
    assert dict(request.url.params) == {"lang": "en", "layout": "list", "format": "json"}
    assert "if-none-match" not in request.headers


def test_each_language_and_layout_is_its_own_block(clock: Clock) -> None:
    api = FakeAPI(block_answer())
    with make_client(api, clock=clock) as client:
        client.blocks.get(THEME, member=MEMBER, lang="de")
        client.blocks.get(THEME, member=MEMBER, lang="en")
        client.blocks.get(THEME, member=MEMBER, lang="en")
        client.blocks.get(THEME, member="catering", lang="en")
    assert len(api.requests) == 3


def test_stale_block_is_served_at_once_and_revalidated_in_the_background(clock: Clock) -> None:
    api = FakeAPI(
        block_answer(max_age=60), httpx.Response(304, headers={"Cache-Control": "max-age=30"})
    )
    with make_client(api, clock=clock) as client:
        client.blocks.get(THEME, member=MEMBER)
        clock.advance(61)
        stale = client.blocks.get(THEME, member=MEMBER)
        client.blocks.wait()
        fresh_again = client.blocks.get(THEME, member=MEMBER)
        clock.advance(31)
        stale_again = client.blocks.get(THEME, member=MEMBER)
        client.blocks.wait()
    assert stale.source == "stale"
    assert stale.html == NAV
    assert api.requests[1].headers["if-none-match"] == '"b1"'
    assert (fresh_again.source, fresh_again.html) == ("cache", NAV)  # 304 kept the body
    assert stale_again.source == "stale"  # the 304's max-age counted
    assert len(api.requests) == 3


def test_a_changed_block_replaces_the_cached_one(clock: Clock) -> None:
    api = FakeAPI(block_answer(), block_answer(NEW_NAV, etag='"b2"'))
    with make_client(api, clock=clock) as client:
        client.blocks.get(THEME, member=MEMBER)
        clock.advance(61)
        assert client.blocks.get(THEME, member=MEMBER).html == NAV
        client.blocks.wait()
        block = client.blocks.get(THEME, member=MEMBER)
    assert (block.source, block.html, block.etag) == ("cache", NEW_NAV, '"b2"')


def test_a_failing_server_gets_the_last_good_block_as_fallback(clock: Clock) -> None:
    api = FakeAPI(block_answer(), problem(503, "unavailable"))
    with make_client(api, clock=clock) as client:
        client.blocks.get(THEME, member=MEMBER)
        clock.advance(61)
        assert client.blocks.get(THEME, member=MEMBER).source == "stale"
        client.blocks.wait()  # the refresh failed
        fallback = client.blocks.get(THEME, member=MEMBER)
        assert len(api.requests) == 2  # no new try within the retry interval
        clock.advance(5)
        again = client.blocks.get(THEME, member=MEMBER)  # and a new try in the background
        client.blocks.wait()
    assert (fallback.source, fallback.html) == ("fallback", NAV)
    assert isinstance(fallback.error, InternalServerError)
    assert again.source == "fallback"
    assert len(api.requests) == 3


def test_a_recovered_server_ends_the_fallback(clock: Clock) -> None:
    api = FakeAPI(block_answer(), httpx.ConnectError("refused"), block_answer(NEW_NAV))
    with make_client(api, clock=clock) as client:
        client.blocks.get(THEME, member=MEMBER)
        clock.advance(61)
        client.blocks.get(THEME, member=MEMBER)
        client.blocks.wait()
        assert client.blocks.get(THEME, member=MEMBER).source == "fallback"
        clock.advance(5)
        client.blocks.get(THEME, member=MEMBER)
        client.blocks.wait()
        block = client.blocks.get(THEME, member=MEMBER)
    assert (block.source, block.html, block.error) == ("cache", NEW_NAV, None)


def test_without_any_good_block_the_fallback_is_empty_and_nothing_is_raised(clock: Clock) -> None:
    api = FakeAPI(problem(500, "internal"))
    with make_client(api, clock=clock) as client:
        block = client.blocks.get(THEME, member=MEMBER)
    assert (block.source, block.html, str(block), bool(block)) == ("fallback", "", "", False)
    assert isinstance(block.error, InternalServerError)


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (httpx.ConnectError("refused"), APIConnectionError),
        (httpx.ReadTimeout("slow"), APITimeoutError),
        (problem(404, "not-found", "no theme 'hochzeit-heide'"), NotFoundError),
        (httpx.Response(200, text="<html>captive portal</html>"), Exception),
    ],
)
def test_no_exception_by_default_and_the_error_with_raise_errors(
    clock: Clock, answer: httpx.Response | Exception, error: type[Exception]
) -> None:
    with make_client(FakeAPI(answer), clock=clock) as client:
        block = client.blocks.get(THEME, member=MEMBER)
        assert block.source == "fallback"
        assert isinstance(block.error, error)
        clock.advance(10)
        with pytest.raises(error):
            client.blocks.get(THEME, member=MEMBER, raise_errors=True)


def test_too_old_a_block_is_fetched_inline_and_revalidated(clock: Clock) -> None:
    api = FakeAPI(block_answer(max_age=60), httpx.Response(304), httpx.ConnectError("down"))
    with make_client(api, clock=clock, block_max_stale=600) as client:
        client.blocks.get(THEME, member=MEMBER)
        clock.advance(700)
        revalidated = client.blocks.get(THEME, member=MEMBER)
        clock.advance(700)
        down = client.blocks.get(THEME, member=MEMBER)
    assert (revalidated.source, revalidated.html) == ("network", NAV)
    assert api.requests[1].headers["if-none-match"] == '"b1"'
    assert (down.source, down.html) == ("fallback", NAV)


def test_the_budget_holds_against_a_slow_server(clock: Clock) -> None:
    answer_now = threading.Event()

    def slow(request: httpx.Request) -> httpx.Response:
        answer_now.wait(HANG_GUARD)  # answers only once the render has given up on it
        return block_answer()

    with make_client(FakeAPI(slow), clock=clock) as client:
        try:
            block = client.blocks.get(THEME, member=MEMBER)
            # Back without an answer from the server: the budget ended the wait.
            assert block.source == "fallback"
            assert isinstance(block.error, APITimeoutError)
        finally:
            answer_now.set()
        client.blocks.wait()  # the late answer still fills the cache
        assert client.blocks.get(THEME, member=MEMBER).source == "cache"


def test_a_smaller_budget_per_call(clock: Clock) -> None:
    answer_now = threading.Event()

    def slow(request: httpx.Request) -> httpx.Response:
        answer_now.wait(HANG_GUARD)
        return block_answer()

    # The client's budget is longer than the hang guard: only the call's own budget
    # can end this wait before the server answers.
    with make_client(FakeAPI(slow), clock=clock, block_timeout=10 * HANG_GUARD) as client:
        try:
            block = client.blocks.get(THEME, member=MEMBER, timeout=0.1)
            assert block.source == "fallback"
            assert isinstance(block.error, APITimeoutError)
        finally:
            answer_now.set()


def test_concurrent_renders_share_one_fetch(clock: Clock) -> None:
    renders: list[threading.Thread] = []
    arrived: set[threading.Thread] = set()
    all_arrived = threading.Event()

    def seen_clock() -> float:
        # Each render reads the clock when it decides what to serve, before it can
        # start or join a fetch; the fetch cannot finish while one is deciding.
        if threading.current_thread() in renders:
            arrived.add(threading.current_thread())
            if len(arrived) == len(renders):
                all_arrived.set()
        return clock()

    def held(request: httpx.Request) -> httpx.Response:
        all_arrived.wait(HANG_GUARD)  # answers once every render is under way
        return block_answer()

    api = FakeAPI(held)
    sources: list[str] = []
    # No render may give up while it waits for the others: the budget is a hang guard.
    with make_client(api, clock=seen_clock, block_timeout=HANG_GUARD) as client:

        def render() -> None:
            sources.append(client.blocks.get(THEME, member=MEMBER).source)

        renders.extend(threading.Thread(target=render) for _ in range(8))
        for thread in renders:
            thread.start()
        for thread in renders:
            thread.join()
    assert all_arrived.is_set()
    assert sources == ["network"] * 8
    assert len(api.requests) == 1


def test_a_closed_client_still_does_not_raise(clock: Clock) -> None:
    client = make_client(FakeAPI(block_answer()), clock=clock)
    client.close()
    assert client.blocks.get(THEME, member=MEMBER).source == "fallback"
