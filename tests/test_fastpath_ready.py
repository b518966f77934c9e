"""Kept responses (web/ready.py): a repeat request for a block gets the answer kept whole.

Both apps of ``tests/test_fastpath.py`` (the fast path in front, and Starlette
alone) keep them; the answers are compared between the apps as there, and
between a fresh answer and a kept one of the same app: equal but for the
request id and the Cache-Control that counts down.  A request answered from
a kept response never reaches the endpoint's own work (``_block_request``,
counted here), which is how these tests tell a kept answer from a fresh one.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import pytest_asyncio

from tests.conftest import Clock, caught_up, reopened
from tests.test_fastpath import GENERATED_ID, Pair, call, comparable, request
from widget_server.core.logs import JSONFormatter, TextFormatter
from widget_server.core.settings import Settings
from widget_server.core.signing import Signer
from widget_server.serving.cache import RenderCache
from widget_server.storage import Storage
from widget_server.web import fastpath
from widget_server.web.app import create_app
from widget_server.web.endpoints import widget

BUCKET = 300  # the default rules' bucket


@pytest_asyncio.fixture
async def pair(
    network: dict[str, int], settings: Settings, storage: Storage, clock: Clock
) -> AsyncIterator[Pair]:
    clock.now -= clock.now % BUCKET - 10  # 10 s into a bucket: max-age 290
    fast = create_app(settings, storage=reopened(storage), clock=clock)
    plain = create_app(settings, storage=reopened(storage), clock=clock, fast_path=False)
    async with fast.router.lifespan_context(fast), plain.router.lifespan_context(plain):
        yield Pair(fast, plain)


@pytest.fixture
def fresh(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The paths whose answer was made by the endpoint (not kept), in order."""
    made: list[str] = []
    original = widget._block_request

    def counted(request: Any) -> Any:
        made.append(request.scope["path"])
        return original(request)

    monkeypatch.setattr(widget, "_block_request", counted)
    yield made


def kept(pair: Pair) -> list[int]:
    """How many responses each app keeps now (fast, plain)."""
    return [len(app.state.runtime.snapshots.current.cache.ready) for app in (pair.fast, pair.plain)]


def headers(answer: dict[str, Any]) -> dict[str, str]:
    return dict(answer["headers"])


def without_per_request(answer: dict[str, Any]) -> dict[str, Any]:
    """The answer without its request id and Cache-Control, the headers made per request."""
    gone = ("x-request-id", "cache-control")
    return {**answer, "headers": [(n, v) for n, v in answer["headers"] if n not in gone]}


@pytest.mark.asyncio
async def test_a_kept_answer_is_the_fresh_one_but_for_the_per_request_headers(
    pair: Pair, network: dict[str, int], signer: Signer, clock: Clock, fresh: list[str]
) -> None:
    token = signer.embed_token(network["blumen"])
    cases = [(f"/w/{token}", b""), (f"/w/{token}.html", b""), (f"/w/{token}", b"lang=en")]
    cases += [(f"/w/{token}.html", b"layout=list&scheme=dark"), (f"/w/{token}", b"lang&&=")]
    for number, (path, query) in enumerate(cases, 1):
        first, _ = await pair.both("GET", path, query=query, fast=True)
        assert fresh[-2:] == [path, path], "the first answer is made, by each app"
        assert kept(pair) == [number, number]
        assert first["status"] == 200
        for method in ("GET", "HEAD"):  # a kept answer serves both, as the route does
            again, _ = await pair.both(method, path, query=query, fast=True)
            assert len(fresh) == 2 * number, f"{method} {path}?{query!r} is answered as kept"
            assert comparable(again) == comparable(first)
            assert headers(again)["x-request-id"] != headers(first)["x-request-id"]
            assert GENERATED_ID.fullmatch(headers(again)["x-request-id"])
    # Later in the bucket only the Cache-Control differs: the rest of the bucket.
    clock.advance(100)
    for path, query in cases:
        again, _ = await pair.both("GET", path, query=query, fast=True)
        assert headers(again)["cache-control"] == "public, max-age=190"
    assert len(fresh) == 2 * len(cases)
    # Made anew once no longer kept, the answer has the very bytes of the kept one.
    first, _ = await pair.both("GET", cases[0][0], fast=True)
    for app in (pair.fast, pair.plain):
        app.state.runtime.snapshots.current.cache.ready.clear()
    made, _ = await pair.both("GET", cases[0][0], fast=True)
    assert len(fresh) == 2 * len(cases) + 2
    assert without_per_request(made) == without_per_request(first)


@pytest.mark.asyncio
async def test_a_kept_answer_is_not_modified_for_its_etag(
    pair: Pair, network: dict[str, int], signer: Signer, fresh: list[str]
) -> None:
    token = signer.embed_token(network["fotos"])
    for path in (f"/w/{token}", f"/w/{token}.html"):
        first, _ = await pair.both("GET", path, fast=True)
        etag = headers(first)["etag"]
        for sent, status in (
            (etag, 304),
            (f"W/{etag}", 304),
            ("*", 304),
            (f'"other", {etag}', 304),
            ('"other"', 200),
            ("", 200),
        ):
            before = len(fresh)
            sent_headers = [(b"host", b"testserver"), (b"if-none-match", sent.encode())]
            for method in ("GET", "HEAD"):
                one, _ = await pair.both(method, path, headers=sent_headers, fast=True)
                assert len(fresh) == before, "kept"
                assert one["status"] == status, sent
                if status == 304:
                    assert one["body"] == b"" and "content-length" not in headers(one)
                    assert headers(one)["etag"] == etag
                    assert headers(one)["cache-control"] == headers(first)["cache-control"]
                else:
                    assert comparable(one) == comparable(first)


async def refreshed(pair: Pair, storage: Storage) -> None:
    for app in (pair.fast, pair.plain):
        await caught_up(app, storage)


@pytest.mark.asyncio
async def test_a_kept_answer_goes_with_a_data_change_a_new_bucket_and_new_rules(
    pair: Pair,
    network: dict[str, int],
    signer: Signer,
    storage: Storage,
    clock: Clock,
    fresh: list[str],
) -> None:
    path = f"/w/{signer.embed_token(network['blumen'])}"
    first, _ = await pair.both("GET", path, fast=True)
    assert len(first["body"]) > 0 and len(fresh) == 2
    # A data change: every member renamed; the next answer is made anew and shows it.
    for member in await storage.list_members():
        await storage.update_member(dataclasses.replace(member, name=f"Neu {member.name}"))
    await refreshed(pair, storage)
    assert kept(pair) == [0, 0]  # a new snapshot keeps nothing of the old one
    renamed, _ = await pair.both("GET", path, fast=True)
    assert len(fresh) == 4 and b'"name":"Neu ' in renamed["body"]
    await pair.both("GET", path, fast=True)
    assert len(fresh) == 4  # kept again
    # A new bucket: made anew (the served token names the bucket, so the bytes differ).
    clock.advance(BUCKET)
    later, _ = await pair.both("GET", path, fast=True)
    assert len(fresh) == 6 and headers(later)["etag"] != headers(renamed)["etag"]
    # New rules: one partner at most.
    placement = pair.fast.state.runtime.snapshots.current.placements[network["blumen"]]
    await storage.add_rule_set(placement.theme_id, {"partners": {"max": 1}}, "test")
    await refreshed(pair, storage)
    ruled, _ = await pair.both("GET", path, fast=True)
    links = b"http://testserver/c/"
    assert len(fresh) == 8 and later["body"].count(links) == 3
    assert ruled["body"].count(links) == 1


@pytest.mark.asyncio
async def test_a_period_of_the_rules_starting_within_the_bucket_is_not_answered_as_kept(
    network: dict[str, int],
    settings: Settings,
    storage: Storage,
    signer: Signer,
    clock: Clock,
    fresh: list[str],
) -> None:
    theme = (await storage.list_themes())[0]
    # Buckets of 90 minutes; a period from 08:30 UTC, within the bucket of 07:30-09:00.
    rules = {
        "rotation": {"bucket_seconds": 5400},
        "periods": [
            {
                "schedule": {"timezone": "UTC", "windows": [{"hours": ["08:30-09:00"]}]},
                "rules": {"partners": {"max": 1}},
            }
        ],
    }
    await storage.add_rule_set(theme.id, rules, "test")
    clock.now = 1_800_000_000.0 - 1_800_000_000.0 % 86_400 + 8 * 3600  # 08:00 UTC
    fast = create_app(settings, storage=reopened(storage), clock=clock)
    plain = create_app(settings, storage=reopened(storage), clock=clock, fast_path=False)
    async with fast.router.lifespan_context(fast), plain.router.lifespan_context(plain):
        pair = Pair(fast, plain)
        path = f"/w/{signer.embed_token(network['blumen'])}"
        await pair.both("GET", path, fast=True)
        await pair.both("GET", path, fast=True)
        assert len(fresh) == 2  # kept while the rules stay the same
        clock.advance(31 * 60)  # 08:31: the period's rules, the same bucket
        await pair.both("GET", path, fast=True)
        assert len(fresh) == 4


@pytest.mark.asyncio
async def test_kept_answers_are_apart_per_host_and_query_and_checked_like_fresh_ones(
    pair: Pair, network: dict[str, int], signer: Signer, fresh: list[str]
) -> None:
    path = f"/w/{signer.embed_token(network['blumen'])}"
    hosts = (b"testserver", b"TESTSERVER", b"testserver:8000", b"localhost")
    for _ in range(2):  # made, then kept
        for host in hosts:
            one, _ = await pair.both("GET", path, headers=[(b"host", host)], fast=True)
            assert b'"http://' + host + b"/c/" in one["body"]
    assert len(fresh) == 2 * len(hosts)
    for host in (b"evil.example", b"testserver.evil.example"):  # refused, kept or not
        one, _ = await pair.both("GET", path, headers=[(b"host", host)], fast=True)
        assert one["status"] == 400
    https = request("GET", path)
    https["scheme"] = "https"
    answers = [await call(app, https) for app in (pair.fast, pair.plain)]
    assert comparable(answers[0]) == comparable(answers[1])
    assert b'"https://testserver/c/' in answers[0]["body"]
    for method in ("POST", "PUT", "OPTIONS"):  # still the router's
        one, _ = await pair.both(method, path, fast=False)
        assert one["status"] == 405
    await pair.both("GET", path, root_path="/widgets", fast=False)
    for hostile in (path + "\n", path + "/", path + ".html.html", path.upper()):
        await pair.both("GET", hostile, fast=hostile != path + "/" and "/W/" not in hostile)


@pytest.mark.asyncio
async def test_a_kept_answer_is_logged_like_a_fresh_one_and_not_at_all_when_off(
    pair: Pair,
    network: dict[str, int],
    signer: Signer,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    fresh: list[str],
) -> None:
    token = signer.embed_token(network["blumen"])
    for path, logged in ((f"/w/{token}", "/w/{token}"), (f"/w/{token}.html", "/w/{token}.html")):
        for _ in range(2):  # made, then kept
            with caplog.at_level(logging.DEBUG, logger="widget_server.access"):
                caplog.clear()
                await pair.both("HEAD", path, fast=True)
            records = [r for r in caplog.records if r.name == "widget_server.access"]
            lines = [(r.method, r.path, r.status) for r in records]  # type: ignore[attr-defined]
            assert lines == [("HEAD", logged, 200)] * 2
            assert all(token not in str(vars(r)) for r in records)
    assert len(fresh) == 4

    def no_line(*args: object) -> None:
        raise AssertionError("a request line was made with the access log off")

    monkeypatch.setattr(fastpath, "log_request", no_line)
    assert not logging.getLogger("widget_server.access").isEnabledFor(logging.DEBUG)
    one = await call(pair.fast, request("GET", f"/w/{token}"))
    assert one["status"] == 200 and len(fresh) == 4


def test_kept_answers_are_bounded_and_go_with_any_invalidation() -> None:
    cache = RenderCache(3)
    for n in range(5):
        cache.keep_ready(("path", n), n)
    assert list(cache.ready) == [("path", 2), ("path", 3), ("path", 4)]  # the oldest went
    cache.keep_ready(("path", 2), "again")  # kept again: now the newest
    cache.keep_ready(("path", 5), 5)
    assert list(cache.ready) == [("path", 4), ("path", 2), ("path", 5)]
    cache.put(1, "block", "b")
    assert cache.without([2]).ready == {}  # a copy for a new snapshot starts without them
    assert len(cache.ready) == 3
    cache.invalidate_theme(99)  # not filed by theme: any invalidation empties them
    assert cache.ready == {} and cache.get("block") == "b"
    cache.keep_ready("x", 1)
    cache.clear()
    assert cache.ready == {}


@pytest.mark.asyncio
async def test_a_kept_answers_log_line_is_written_by_the_configured_formatters(
    pair: Pair, network: dict[str, int], signer: Signer
) -> None:
    token = signer.embed_token(network["blumen"])
    await call(pair.fast, request("GET", f"/w/{token}"))  # made; the next one is kept
    access = logging.getLogger("widget_server.access")
    lines: list[str] = []

    class Lines(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(self.format(record))

    handlers = [Lines(), Lines()]
    handlers[0].setFormatter(JSONFormatter())
    handlers[1].setFormatter(TextFormatter())
    level = access.level
    access.setLevel(logging.DEBUG)
    for handler in handlers:
        access.addHandler(handler)
    try:
        await call(pair.fast, request("GET", f"/w/{token}"))
    finally:
        for handler in handlers:
            access.removeHandler(handler)
        access.setLevel(level)
    entry = json.loads(lines[0])
    assert {k: entry[k] for k in ("level", "logger", "message", "method", "path", "status")} == {
        "level": "debug",
        "logger": "widget_server.access",
        "message": "request",
        "method": "GET",
        "path": "/w/{token}",
        "status": 200,
    }
    assert isinstance(entry["ms"], float) and token not in lines[0]
    assert re.fullmatch(r"\d\d:\d\d:\d\d GET /w/\{token\} 200 [\d.]+ ms", lines[1])
