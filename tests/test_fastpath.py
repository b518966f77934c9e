"""The widget's fast path (web/fastpath.py) answers exactly as the Starlette app does.

Two apps over the same database and clock: ``create_app()`` (fast path in front)
and ``create_app(fast_path=False)``.  Each request goes to both as the same raw
ASGI scope; status, headers (in order) and body must be equal.  Only what is
new on every response may differ: a generated request id, and the one-time
part of a block's view URL (both checked for their shape instead).  Each case
also says whether the fast path must serve it or hand it to Starlette, so the
comparison cannot pass by everything falling through.
"""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import logging
import re
import subprocess
import sys
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from starlette.applications import Starlette
from starlette.types import Message, Receive, Scope, Send

from tests.conftest import BROWSER, Clock, reopened
from widget_server.core.errors import StorageError
from widget_server.core.settings import Settings
from widget_server.core.signing import Signer
from widget_server.storage import Storage
from widget_server.web.app import create_app
from widget_server.web.fastpath import FAST_ENDPOINTS, FastPath
from widget_server.web.request_ids import new_request_id

GENERATED_ID = re.compile(r"[0-9a-f]{32}")
VIEW_URL = re.compile(rb'"(https?://[^/"]+/v/)([A-Za-z0-9_.-]+)"')


class Pair:
    """The fast app and the Starlette-only app, and what the fast path handed on."""

    def __init__(self, fast: Starlette, plain: Starlette) -> None:
        self.fast, self.plain = fast, plain
        fast.middleware_stack = fast.build_middleware_stack()  # as Starlette does on first use
        assert isinstance(fast.middleware_stack, FastPath)
        self.path = fast.middleware_stack
        self.handed_on: list[str] = []
        inner = self.path.stack

        async def recording(scope: Scope, receive: Receive, send: Send) -> None:
            self.handed_on.append(scope["path"])
            await inner(scope, receive, send)

        self.path.stack = recording

    async def both(
        self, method: str, path: str, *, fast: bool, **kw: Any
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """The answers of both apps to the same request, after checking they are equal."""
        before = len(self.handed_on)
        one = await call(self.fast, request(method, path, **kw))
        two = await call(self.plain, request(method, path, **kw))
        assert (len(self.handed_on) == before) is fast, f"{method} {path}: fast path? {fast}"
        assert comparable(one) == comparable(two), f"{method} {path}"
        return one, two


def request(
    method: str,
    path: str,
    *,
    query: bytes = b"",
    headers: list[tuple[bytes, bytes]] | None = None,
    root_path: str = "",
) -> Scope:
    """A scope as uvicorn makes it; ``headers`` replace the default Host and User-Agent."""
    if headers is None:
        headers = [(b"host", b"testserver"), (b"user-agent", BROWSER.encode())]
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "server": ("testserver", 80),
        "client": ("198.51.100.7", 50000),
        "scheme": "http",
        "method": method,
        "root_path": root_path,
        "path": path,
        "raw_path": path.encode("utf-8", "surrogateescape"),
        "query_string": query,
        "headers": headers,
        "state": {},
    }


async def call(app: Starlette, scope: Scope) -> dict[str, Any]:
    """Status, headers, body and any exception the app raised for one request."""
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    raised = None
    try:
        await app(copy.deepcopy(scope), receive, send)
    except Exception as exc:  # both apps re-raise a bug after answering it
        raised = f"{type(exc).__name__}: {exc}"
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]
    return {
        "status": sent[0]["status"],
        "headers": [(k.decode(), v.decode("latin-1")) for k, v in sent[0]["headers"]],
        "body": sent[1].get("body", b""),
        "more_body": sent[1].get("more_body", False),
        "raised": raised,
    }


def comparable(answer: dict[str, Any]) -> dict[str, Any]:
    """The answer without what is new on every response (each checked for its shape)."""
    headers = []
    for name, value in answer["headers"]:
        if name == "x-request-id" and GENERATED_ID.fullmatch(value):
            value = "{generated}"
        headers.append((name, value))
    assert [n for n, _ in headers].count("x-request-id") == 1
    body = answer["body"]
    views = VIEW_URL.findall(body)
    assert len(views) <= 1
    body = VIEW_URL.sub(rb'"\1{one-time}"', body)
    length = [v for n, v in headers if n == "content-length"]
    if views and length:  # the view token's length may differ by its counter's digits
        headers = [(n, "{length}" if n == "content-length" else v) for n, v in headers]
        assert int(length[0]) == len(answer["body"])
    return {**answer, "headers": headers, "body": body}


@pytest_asyncio.fixture
async def pair(
    network: dict[str, int], settings: Settings, storage: Storage, clock: Clock
) -> AsyncIterator[Pair]:
    fast = create_app(settings, storage=reopened(storage), clock=clock)
    plain = create_app(settings, storage=reopened(storage), clock=clock, fast_path=False)
    async with fast.router.lifespan_context(fast), plain.router.lifespan_context(plain):
        yield Pair(fast, plain)


@pytest.mark.asyncio
async def test_the_fast_path_serves_every_public_widget_route(pair: Pair) -> None:
    assert {route.endpoint for route in pair.path.routes} == FAST_ENDPOINTS
    assert not isinstance(pair.plain.build_middleware_stack(), FastPath)


@pytest.mark.asyncio
async def test_blocks_pages_and_the_loader_are_the_same(
    pair: Pair, network: dict[str, int], signer: Signer
) -> None:
    token = signer.embed_token(network["blumen"])
    for method in ("GET", "HEAD"):
        one, _ = await pair.both(method, f"/w/{token}", fast=True)
        assert one["status"] == 200 and b'"partners":[' in one["body"]
        assert VIEW_URL.search(one["body"]), "the block carries a view URL"
        one, _ = await pair.both(method, f"/w/{token}.html", fast=True)
        assert one["status"] == 200 and b"<html" in one["body"]
        one, _ = await pair.both(method, "/embed.js", fast=True)
        assert one["status"] == 200
    queries = (b"lang=en&layout=list", b"lang=xx&layout=%3Cscript%3E&scheme=dark", b"lang&&=")
    for query in queries:
        await pair.both("GET", f"/w/{token}", query=query, fast=True)
        await pair.both("GET", f"/w/{token}.html", query=query, fast=True)
    etag = dict(one["headers"])["etag"]
    one, _ = await pair.both(
        "GET",
        "/embed.js",
        headers=[(b"host", b"testserver"), (b"if-none-match", etag.encode())],
        fast=True,
    )
    assert one["status"] == 304


@pytest.mark.asyncio
async def test_clicks_views_and_their_errors_are_the_same(
    pair: Pair, network: dict[str, int], signer: Signer
) -> None:
    one, _ = await pair.both("GET", f"/w/{signer.embed_token(network['fotos'])}", fast=True)
    click = re.search(rb'"http://testserver(/c/[^"]+)"', one["body"])
    view = VIEW_URL.search(one["body"])
    assert click is not None and view is not None
    for method in ("GET", "HEAD"):
        one, _ = await pair.both(method, click.group(1).decode(), fast=True)
        assert one["status"] == 302 and dict(one["headers"])["location"].startswith("https://")
    # The block's view link is the served exchange: it answers this visit's one-time
    # beacon URL, and the beacon is answered alike whether it counted or not.
    one, _ = await pair.both("POST", "/v/" + view.group(2).decode(), fast=True)
    assert one["status"] == 200
    beacon = VIEW_URL.search(one["body"])
    assert beacon is not None
    one, _ = await pair.both("POST", "/v/" + beacon.group(2).decode(), fast=True)
    assert one["status"] == 204
    one, _ = await pair.both("POST", "/v/not-a-view-token", fast=True)
    assert one["status"] == 204  # answered alike, counted or not
    one, _ = await pair.both("GET", "/c/not-a-click-token", fast=True)
    assert one["status"] == 400 and dict(one["headers"])["content-type"].startswith(
        "application/problem+json"
    )
    one, _ = await pair.both("GET", "/w/not-an-embed-token", fast=True)
    assert one["status"] == 404 and b'"code":"unknown-embed"' in one["body"]
    await pair.both("GET", "/w/not-an-embed-token.html", fast=True)


HOSTILE = (
    "/w/",
    "/w//x",
    "/w/a/b",
    "/w/.html",
    "/w/x.html.html",
    "/w/x.html/",
    "/w/x/",  # the router's redirect without the slash
    "/w/..",
    "/w/%2e%2e",
    "/w/\u00e4\u00f6\u00fc",
    "/w/x\n",
    "/w/x.html\n",  # a regex '$' also matches before a final newline: the router's .html route
    "/w/" + "A" * 5000,
    "/c/",
    "/c/x.y.z",
    "/v",
    "/embed.js\n",
    "/embed.jsx",
    "/embed.js/",
    "/W/x",
)


@pytest.mark.asyncio
async def test_hostile_paths_get_the_same_answers(pair: Pair) -> None:
    for path in HOSTILE:
        served = bool(re.fullmatch(r"/(w|c)/[^/]+\n?|/embed\.js\n?", path))
        await pair.both("GET", path, fast=served)
        await pair.both("POST", path, fast=path.startswith("/v/"))


@pytest.mark.asyncio
async def test_other_methods_go_to_the_router(
    pair: Pair, network: dict[str, int], signer: Signer
) -> None:
    token = signer.embed_token(network["blumen"])
    for method in ("OPTIONS", "POST", "PUT", "DELETE", "PATCH"):
        for path in (f"/w/{token}", f"/w/{token}.html", "/embed.js", "/c/x"):
            one, _ = await pair.both(method, path, fast=False)
            assert one["status"] == 405
    for method in ("GET", "HEAD", "OPTIONS"):
        one, _ = await pair.both(method, "/v/x", fast=False)
        assert one["status"] == 405
    await pair.both("GET", f"/w/{token}", root_path="/widgets", fast=False)


@pytest.mark.asyncio
async def test_hosts_and_request_ids_are_handled_alike(
    pair: Pair, network: dict[str, int], signer: Signer
) -> None:
    path = f"/w/{signer.embed_token(network['blumen'])}"
    cases = {
        "evil.example": 400,
        "testserver:8000": 200,
        "TESTSERVER": 200,
        "[::1]": 400,
        "testserver.evil.example": 400,
        "test server": 400,
    }
    for host, status in cases.items():
        for _ in range(2):  # the second time from the fast path's remembered verdict
            one, _ = await pair.both("GET", path, headers=[(b"host", host.encode())], fast=True)
            assert one["status"] == status, host
    one, _ = await pair.both("GET", path, headers=[], fast=True)  # HTTP/1.0: no Host
    assert one["status"] == 200
    twice = [(b"host", b"testserver"), (b"host", b"evil.example")]
    one, _ = await pair.both("GET", path, headers=twice, fast=True)
    assert one["status"] == 200  # the first Host counts, in both
    for sent, echoed in (("trace-1", True), ("a" * 64, True), ("a" * 65, False), ("a b", False)):
        headers = [(b"host", b"testserver"), (b"x-request-id", sent.encode())]
        one, two = await pair.both("GET", path, headers=headers, fast=True)
        assert (dict(one["headers"])["x-request-id"] == sent) is echoed
        assert (dict(two["headers"])["x-request-id"] == sent) is echoed
    one, two = await pair.both("GET", path, fast=True)
    ids = {dict(answer["headers"])["x-request-id"] for answer in (one, two)}
    assert len(ids) == 2 and all(GENERATED_ID.fullmatch(i) for i in ids)


@pytest.mark.asyncio
async def test_errors_in_the_endpoints_are_answered_alike(
    pair: Pair, network: dict[str, int], signer: Signer, caplog: pytest.LogCaptureFixture
) -> None:
    one, _ = await pair.both("GET", f"/w/{signer.embed_token(network['fotos'])}", fast=True)
    click = re.search(rb'"http://testserver(/c/[^"]+)"', one["body"])
    assert click is not None

    async def down(*args: object, **kwargs: object) -> None:
        raise StorageError("the database is away")

    async def bug(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug")

    headers = [(b"host", b"testserver"), (b"x-request-id", b"trace-7")]
    for failure, status in ((down, 503), (bug, 500)):
        for app in (pair.fast, pair.plain):
            app.state.runtime.counting.click = failure
        with caplog.at_level(logging.DEBUG, logger="widget_server.access"):
            caplog.clear()
            one, _ = await pair.both("GET", click.group(1).decode(), headers=headers, fast=True)
        assert one["status"] == status
        assert dict(one["headers"])["x-request-id"] == "trace-7"
        assert one["raised"] == (None if status == 503 else "RuntimeError: a bug")
        lines = [
            (r.method, r.path, r.status)  # type: ignore[attr-defined]
            for r in caplog.records
            if r.name == "widget_server.access"
        ]
        assert lines == [("GET", "/c/{token}", status)] * 2


@pytest.mark.asyncio
async def test_the_request_log_is_the_same(
    pair: Pair, network: dict[str, int], signer: Signer, caplog: pytest.LogCaptureFixture
) -> None:
    token = signer.embed_token(network["blumen"])
    requests = [
        ("GET", f"/w/{token}", "/w/{token}", 200),
        ("HEAD", f"/w/{token}.html", "/w/{token}.html", 200),
        ("GET", "/w/nope", "/w/{token}", 404),
        ("POST", "/v/nope", "/v/{token}", 204),
        ("GET", "/embed.js", "/embed.js", 200),
    ]
    for method, path, logged, status in requests:
        with caplog.at_level(logging.DEBUG, logger="widget_server.access"):
            caplog.clear()
            await pair.both(method, path, fast=True)
            records = [r for r in caplog.records if r.name == "widget_server.access"]
        assert [(r.method, r.path, r.status) for r in records] == [  # type: ignore[attr-defined]
            (method, logged, status)
        ] * 2
        for record in records:  # nothing about the visitor, nothing of the token
            text = str(vars(record))
            assert token not in text and "198.51.100.7" not in text and "Mozilla" not in text
    with caplog.at_level(logging.DEBUG, logger="widget_server.access"):
        caplog.clear()
        await pair.both("GET", f"/w/{token}", headers=[(b"host", b"evil.example")], fast=True)
        assert not [r for r in caplog.records if r.name == "widget_server.access"]


@pytest.mark.asyncio
async def test_a_middleware_added_later_turns_the_fast_path_off(
    pair: Pair, settings: Settings, storage: Storage, clock: Clock
) -> None:
    app = create_app(settings, storage=reopened(storage), clock=clock)
    app.add_middleware(RecordingMiddleware)
    assert not isinstance(app.build_middleware_stack(), FastPath)
    debug = create_app(dataclasses.replace(settings, debug=True), storage=reopened(storage))
    assert not isinstance(debug.build_middleware_stack(), FastPath)


class RecordingMiddleware:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


FORK_IDS = """
import os
from widget_server.web.request_ids import new_request_id
print(new_request_id(), new_request_id())
read, write = os.pipe()
if os.fork() == 0:
    os.write(write, new_request_id().encode())
    os._exit(0)
os.wait()
print(os.read(read, 64).decode())
"""


def test_request_ids_are_unique_across_requests_processes_and_forks() -> None:
    ids = [new_request_id() for _ in range(1000)]
    assert len(set(ids)) == 1000 and all(GENERATED_ID.fullmatch(i) for i in ids)
    assert len({i[:20] for i in ids}) == 1  # one random prefix per process, then a counter
    runs = [
        subprocess.run([sys.executable, "-c", FORK_IDS], capture_output=True, text=True, check=True)
        for _ in range(2)
    ]
    seen = [i for run in runs for i in run.stdout.split()] + ids[:1]
    assert len(seen) == 7 and all(GENERATED_ID.fullmatch(i) for i in seen)
    # two runs, a forked child of each and this process: five prefixes
    assert len({i[:20] for i in seen}) == 5


@pytest.mark.asyncio
async def test_the_lifespan_passes_through_the_fast_path(
    network: dict[str, int], settings: Settings, storage: Storage, signer: Signer
) -> None:
    """As uvicorn runs it: startup and shutdown as ASGI messages through the app."""
    app = create_app(settings, storage=reopened(storage))
    inbox: asyncio.Queue[Message] = asyncio.Queue()
    outbox: asyncio.Queue[str] = asyncio.Queue()

    async def send(message: Message) -> None:
        await outbox.put(message["type"])

    await inbox.put({"type": "lifespan.startup"})
    lifespan = asyncio.create_task(app({"type": "lifespan", "state": {}}, inbox.get, send))
    started = asyncio.create_task(outbox.get())
    await asyncio.wait({started, lifespan}, return_when=asyncio.FIRST_COMPLETED)
    assert not lifespan.done(), f"the lifespan ended: {lifespan.exception()!r}"
    assert started.result() == "lifespan.startup.complete"
    answer = await call(app, request("GET", f"/w/{signer.embed_token(network['blumen'])}"))
    assert answer["status"] == 200 and answer["raised"] is None
    await inbox.put({"type": "lifespan.shutdown"})
    await lifespan
    assert await outbox.get() == "lifespan.shutdown.complete"
