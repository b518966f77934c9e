"""The application, assembled from tables: routes, middleware, handlers, lifespan."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from .endpoints import api, demo, public, widget
from .logs import RequestLogMiddleware
from .problems import EXCEPTION_HANDLERS
from .runtime import STATIC_DIR, Runtime
from .settings import Settings
from .storage import Storage, storage_from_url

routes = [
    # public, cross-origin: what members' websites load
    Route("/embed.js", widget.embed_js, name="embed_js"),
    Route("/w/{token}.html", widget.block_html, name="block_html"),
    Route("/w/{token}", widget.block_json, name="block_json"),
    Route("/v/{token}", widget.view, methods=["POST"], name="view"),
    Route("/c/{token}", widget.click, name="click"),
    Route("/logos/{member_id:int}-{digest}.{ext}", public.logo, name="logo"),
    # our own public pages
    Route("/", public.index, name="index"),
    Route("/t/{slug}", public.directory, name="directory"),
    Route("/demo/", demo.demo_index, name="demo_index"),
    Route("/demo/site/{slug}", demo.demo_site, name="demo_site"),
    # REST API (Authorization: Bearer pkr_...)
    Route("/api/v1/themes/{slug}/rules", api.get_rules, methods=["GET"], name="api_rules"),
    Route("/api/v1/themes/{slug}/rules", api.put_rules, methods=["PUT"], name="api_rules_put"),
    Route("/api/v1/themes/{slug}/explain", api.explain_block, name="api_explain"),
    Route("/api/v1/stats/members/{slug}", api.member_stats, name="api_member_stats"),
    Route("/api/v1/stats/themes/{slug}", api.theme_stats, name="api_theme_stats"),
    # operations
    Route("/healthz", public.healthz, name="healthz"),
    Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
]

# No compression middleware: it costs the widget hot path ~15 % and every
# deployment has a reverse proxy that compresses (docs/deployment.md).
middleware = [Middleware(RequestLogMiddleware)]


def create_app(
    settings: Settings | None = None,
    *,
    storage: Storage | None = None,
    clock: Callable[[], float] = time.time,
) -> Starlette:
    settings = settings or Settings.from_environ()
    runtime = Runtime(
        settings=settings,
        storage=storage or storage_from_url(settings.database_url),
        clock=clock,
    )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await runtime.start()
        try:
            yield
        finally:
            await runtime.stop()

    app = Starlette(
        debug=settings.debug,
        routes=routes,
        middleware=middleware,
        exception_handlers={**EXCEPTION_HANDLERS, api.Denied: api.on_denied},
        lifespan=lifespan,
    )
    app.state.runtime = runtime
    return app
