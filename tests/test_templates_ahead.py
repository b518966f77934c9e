"""Templates are compiled in a worker thread after a server's start, not on a page's
first request on the event loop (where compiling one held every widget request
for 20-60 ms at 100,000 members)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import jinja2
import pytest

from tests.conftest import Clock
from widget_server.core.settings import Settings
from widget_server.mail import render as mail_render
from widget_server.serving.holder import SnapshotHolder
from widget_server.storage import Storage
from widget_server.web import runtime as runtime_module
from widget_server.web import templating
from widget_server.web.app import create_app
from widget_server.web.runtime import TEMPLATES_DIR


@pytest.fixture
def fresh_templates(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Environments of their own, so that a test sees each compilation (they are shared
    per process otherwise, and another test may have compiled them)."""
    monkeypatch.setattr(runtime_module, "make_templates", templating.make_templates.__wrapped__)
    mail_render.environment.cache_clear()
    yield
    mail_render.environment.cache_clear()


def watch_compiles(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str | None, bool]]:
    """Each template compiled from now on: (its name, compiled on this thread)."""
    compiled: list[tuple[str | None, bool]] = []
    compile_ = jinja2.Environment.compile
    here = threading.get_ident()

    def watched(self: jinja2.Environment, source: Any, name: str | None = None, *a: Any) -> Any:
        compiled.append((name, threading.get_ident() == here))
        return compile_(self, source, name, *a)

    monkeypatch.setattr(jinja2.Environment, "compile", watched)
    return compiled


@pytest.mark.asyncio
async def test_every_template_is_compiled_off_the_loop_before_its_page_is_asked_for(
    network: dict[str, int],
    settings: Settings,
    storage: Storage,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
    fresh_templates: None,
) -> None:
    compiled = watch_compiles(monkeypatch)  # (template, on the event loop's thread)
    app = create_app(settings, storage=storage, clock=clock)
    async with app.router.lifespan_context(app):
        runtime = app.state.runtime
        assert runtime.compiled is not None
        count = await runtime.compiled
        pages = {n for n in runtime.templates.env.list_templates() if not n.startswith("mail/")}
        mails = {n for n in mail_render.environment().list_templates() if n.startswith("mail/")}
        assert count == len(pages) + len(mails) and {"admin/members.html"} <= pages
        assert {name for name, _ in compiled} >= pages
        assert not any(on_loop for _, on_loop in compiled)

        # Pages asked for now compile nothing (on the loop or elsewhere).
        before = len(compiled)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            for path in ("/admin/login", "/t/hochzeit", "/"):
                answer = await c.get(path)
                assert answer.status_code == 200, path
        assert len(compiled) == before


@pytest.mark.asyncio
async def test_a_template_that_does_not_compile_leaves_the_start_alone(
    settings: Settings,
    storage: Storage,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    fresh_templates: None,
) -> None:

    def broken(self: jinja2.Environment, *a: Any, **kw: Any) -> Any:
        raise jinja2.TemplateSyntaxError("unexpected '}'", 1)

    monkeypatch.setattr(jinja2.Environment, "compile", broken)
    app = create_app(settings, storage=storage, clock=clock)
    async with app.router.lifespan_context(app):
        assert await app.state.runtime.compiled == 0
    assert "templates not compiled ahead" in caplog.text


def test_the_pages_environment_is_one_per_process() -> None:
    assert templating.make_templates(TEMPLATES_DIR) is templating.make_templates(TEMPLATES_DIR)


@pytest.mark.asyncio
async def test_templates_wait_for_the_warm_up_of_the_start(
    settings: Settings,
    storage: Storage,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
    fresh_templates: None,
) -> None:
    # Compiling takes 0.3-1.5 s of CPU: not while the start builds its pools.
    compiled = watch_compiles(monkeypatch)
    go_on = asyncio.Event()
    warm = SnapshotHolder.warm

    async def held(self: SnapshotHolder, *a: Any, **kw: Any) -> int:
        await go_on.wait()
        return await warm(self, *a, **kw)

    monkeypatch.setattr(SnapshotHolder, "warm", held)
    app = create_app(settings, storage=storage, clock=clock)
    async with app.router.lifespan_context(app):
        runtime = app.state.runtime
        await asyncio.sleep(0.3)
        assert compiled == [] and runtime.compiled is not None and not runtime.compiled.done()
        go_on.set()
        assert await runtime.compiled > 0 and compiled
