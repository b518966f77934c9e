"""The fast path of the public widget endpoints: ``/embed.js``, ``/w/``, ``/v/``, ``/c/``.

Members' websites call these for every visitor, and behind Starlette's router,
its per-route plumbing and the middleware layers a block cost twice what its
own work does (issue 19).  ``FastPath`` sits in front of the Starlette app's
middleware stack and serves just those routes in one ASGI callable:

* it finds the route with the router's own ``Route`` objects (their regexes,
  converters and methods, in the router's order) and calls the route's own
  endpoint function: what body and headers a token gets is decided in one
  place, web/endpoints/widget.py and counted.py, for both paths;
* it does inline what the middlewares do on the way: the request id
  (request_ids.py), the allowed-hosts check (hosts.py; the verdict is kept
  per ``Host`` value), the request log (core/logs.py), the exception
  handlers (problems.py) with Starlette's rules for which answers them.

Everything else goes to the whole Starlette app unchanged: other paths, a
method the route does not take (405 and OPTIONS come from the router),
websockets, the lifespan, a ``root_path``.  The fast path is only built when
the app is what it replays (the middleware create_app installs, no debug
mode, async endpoints and handlers); otherwise every request takes the
Starlette path, so a middleware added later is never skipped.
tests/test_fastpath.py sends the same requests through both paths and compares.
"""

from __future__ import annotations

import inspect
import logging
import re
import time
from collections.abc import Awaitable, Callable, Collection
from typing import Any

from starlette.applications import Starlette
from starlette.convertors import StringConvertor
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from widget_server.core.logs import RequestLogMiddleware, access_log, log_request
from widget_server.web.endpoints import counted, frame, widget
from widget_server.web.hosts import HostGuard, bad_host
from widget_server.web.ready import Ready
from widget_server.web.request_ids import RequestIdMiddleware, new_request_id, request_id
from widget_server.web.runtime import Runtime

# The endpoints the fast path serves; each is an ``async def f(request) -> Response``.
FAST_ENDPOINTS = frozenset(
    {widget.embed_js, frame.block_html, widget.block_json, counted.view, counted.click}
)
# The block endpoints look a request up among the kept answers first; the fast path has
# done that already when it calls them, so it calls these, which do not look again.
AFTER_KEPT = {widget.block_json: widget.made_block_json, frame.block_html: frame.made_block_html}
# The middleware the fast path does inline, in create_app's order (outermost first).
REPLAYED_MIDDLEWARE = (RequestIdMiddleware, HostGuard, RequestLogMiddleware)
_GET_HEAD = frozenset({"GET", "HEAD"})  # the methods of the kept blocks' routes
_HOSTS_KEPT = 64  # Host header values whose verdict is remembered (hostile ones are not many)

Handler = Callable[[Request, Exception], Awaitable[Response]]


class FastPathApp(Starlette):
    """The Starlette app with the fast path in front of its middleware stack."""

    def build_middleware_stack(self) -> ASGIApp:
        stack = super().build_middleware_stack()
        return FastPath.over(self, stack) or stack


class FastPath:
    def __init__(self, app: Starlette, stack: ASGIApp, routes: list[Route], guard: HostGuard):
        self.app = app
        self.stack = stack  # the Starlette app's middleware stack: everything not served here
        self.routes = routes
        # per route: its regex, its methods, and whether its parameters are plain strings
        self.table: list[tuple[Route, re.Pattern[str], Collection[str], bool]] = [
            (
                route,
                route.path_regex,
                route.methods or frozenset(),
                all(isinstance(c, StringConvertor) for c in route.param_convertors.values()),
            )
            for route in routes
        ]
        self.prefixes = tuple({route.path.split("{", 1)[0] for route in routes})
        self.guard = guard
        self.runtime: Runtime = app.state.runtime
        self.hosts: dict[bytes | None, bool] = {}
        handlers: dict[Any, Any] = dict(app.exception_handlers)
        # What ExceptionMiddleware answers (all but 500/Exception, which ServerErrorMiddleware
        # answers after the request log, without the request id middleware in between).
        self.status_handlers: dict[int, Handler] = {
            k: v for k, v in handlers.items() if isinstance(k, int)
        }
        self.status_handlers.pop(500, None)
        self.class_handlers: dict[type, Handler] = {
            k: v for k, v in handlers.items() if isinstance(k, type) and k is not Exception
        }
        self.error_handler: Handler | None = handlers.get(500) or handlers.get(Exception)

    @classmethod
    def over(cls, app: Starlette, stack: ASGIApp) -> FastPath | None:
        """The fast path in front of ``stack``, or None when the app is not what it replays."""
        middleware: list[Any] = list(app.user_middleware)
        if (
            app.debug
            or getattr(app, "max_body_size", None) is not None
            or tuple(m.cls for m in middleware) != REPLAYED_MIDDLEWARE
            or not all(map(inspect.iscoroutinefunction, app.exception_handlers.values()))
        ):
            return None
        routes = []
        for route in app.router.routes:  # the leading routes that are ours, in their order
            if not (
                isinstance(route, Route)
                and route.endpoint in FAST_ENDPOINTS
                and inspect.iscoroutinefunction(route.endpoint)
                and route.methods
            ):
                break
            routes.append(route)
        if not routes or not isinstance(getattr(app.state, "runtime", None), Runtime):
            return None
        guard = middleware[1]
        return cls(app, stack, routes, HostGuard(stack, *guard.args, **guard.kwargs))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # One frame for the whole request: each await of a helper costs on this path.
        if scope["type"] != "http" or scope.get("root_path"):  # the lifespan has no path
            await self.stack(scope, receive, send)
            return
        path = scope["path"]
        if not path.startswith(self.prefixes):
            await self.stack(scope, receive, send)
            return
        host = incoming = if_none_match = None
        for name, value in scope["headers"]:  # the first of each, as the middlewares take it
            if name == b"host":
                if host is None:
                    host = value
            elif name == b"x-request-id":
                if incoming is None:
                    incoming = value
            elif name == b"if-none-match" and if_none_match is None:
                if_none_match = value

        # A repeat request for a block: its whole answer is kept (web/ready.py), filed
        # under request_key's tuple (made inline here, as is all of this branch).
        holder = self.runtime.snapshots
        looked = False  # whether this request was looked up among the kept answers
        if scope["method"] in _GET_HEAD and holder is not None:
            looked = True
            ready: Ready | None = holder.current.cache.ready.get(
                (path, scope["query_string"], scope["scheme"], host or scope.get("server"))
            )
            now = self.runtime.clock()
            if ready is not None and ready.serves(now) and self._allows(host):
                if incoming is None:
                    rid = new_request_id()
                else:
                    rid = request_id(incoming.decode("latin-1"))
                logged = access_log.isEnabledFor(logging.DEBUG)
                start = time.perf_counter() if logged else 0.0
                status, headers, body = ready.answer(
                    now, None if if_none_match is None else if_none_match.decode("latin-1")
                )
                headers.append((b"x-request-id", rid.encode()))
                try:
                    await send(
                        {"type": "http.response.start", "status": status, "headers": headers}
                    )
                    await send({"type": "http.response.body", "body": body})
                finally:
                    if logged:
                        log_request(scope, status, start, ready.log_path)
                return

        for entry in self.table:
            match = entry[1].match(path)
            if match is not None:
                break
        else:
            await self.stack(scope, receive, send)
            return
        route, _, methods, plain = entry
        if scope["method"] not in methods:  # only a FULL match is ours; 405s are the router's
            await self.stack(scope, receive, send)
            return

        rid = new_request_id() if incoming is None else request_id(incoming.decode("latin-1"))
        scope.setdefault("state", {})["request_id"] = rid
        rid_header = (b"x-request-id", rid.encode())

        if not self._allows(host):
            await _send(bad_host(), rid_header, send)
            return  # the request log sits behind the host check: no line

        logged = access_log.isEnabledFor(logging.DEBUG)
        start = time.perf_counter() if logged else 0.0
        scope["router"] = self.app.router
        scope["route"] = route
        scope["endpoint"] = endpoint = route.endpoint
        if looked:  # not found among the kept answers: the endpoint need not look again
            endpoint = AFTER_KEPT.get(endpoint, endpoint)
        params = match.groupdict()
        if not plain:
            params = {k: route.param_convertors[k].convert(v) for k, v in params.items()}
        scope["path_params"] = params
        request = Request(scope, receive, send)
        status, started = 500, False
        try:
            try:
                response: Response = await endpoint(request)
            except Exception as exc:
                handler = self._handler(exc)
                if handler is None:
                    raise
                response = await handler(request, exc)
                exc.__traceback__ = None  # as Starlette: a reused exception keeps no frames
            status, started = response.status_code, True
            await send(
                {
                    "type": "http.response.start",
                    "status": status,
                    "headers": [*response.raw_headers, rid_header],
                }
            )
            await send({"type": "http.response.body", "body": response.body})
            if response.background is not None:
                await response.background()
        except Exception as exc:
            if logged:
                log_request(scope, status, start)
                logged = False
            if not started:
                await self._server_error(request, exc, send)
            raise
        finally:
            if logged:
                log_request(scope, status, start)

    def _allows(self, host: bytes | None) -> bool:
        """The host check's verdict, remembered per ``Host`` value."""
        allowed = self.hosts.get(host)
        if allowed is None:
            allowed = self.guard.allows(host)
            if len(self.hosts) < _HOSTS_KEPT:
                self.hosts[host] = allowed
        return allowed

    def _handler(self, exc: Exception) -> Handler | None:
        """The handler ExceptionMiddleware would pick: by status, then by class."""
        handler = None
        if isinstance(exc, HTTPException):
            handler = self.status_handlers.get(exc.status_code)
        if handler is None:
            for cls in type(exc).__mro__:
                if cls in self.class_handlers:
                    return self.class_handlers[cls]
        return handler

    async def _server_error(self, request: Request, exc: Exception, send: Send) -> None:
        """ServerErrorMiddleware's answer: outside the request id middleware, as there."""
        if self.error_handler is None:
            response: Response = PlainTextResponse("Internal Server Error", status_code=500)
        else:
            response = await self.error_handler(request, exc)
        await _send(response, None, send)


async def _send(response: Response, extra: tuple[bytes, bytes] | None, send: Send) -> None:
    """What ``Response.__call__`` sends, with the request id appended as the middleware does."""
    headers = response.raw_headers if extra is None else [*response.raw_headers, extra]
    await send({"type": "http.response.start", "status": response.status_code, "headers": headers})
    await send({"type": "http.response.body", "body": response.body})
