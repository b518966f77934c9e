"""What the admin's and the portal's ASGI guards share: headers, cookies, HTML error pages."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.types import ASGIApp, ExceptionHandler, Message, Receive, Scope, Send

from widget_server.core.errors import NotFoundError, StorageError
from widget_server.web.runtime import runtime_of


def with_headers(send: Send, headers: Mapping[str, str], cookie: Callable[[], str | None]) -> Send:
    """``send`` that adds ``headers`` (unless the response set them) and the session cookie.

    ``cookie`` is asked when the response starts, so it sees what the handler did
    to the session (a login, a logout).
    """

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            out = list(message.get("headers", []))
            present = {k.lower() for k, _ in out}
            for name, value in headers.items():
                if name.lower().encode() not in present:
                    out.append((name.lower().encode(), value.encode()))
            set_cookie = cookie()
            if set_cookie is not None:
                out.append((b"set-cookie", set_cookie.encode("latin-1")))
            message = {**message, "headers": out}
        await send(message)

    return sending


async def serve_pages(
    app: ASGIApp,
    scope: Scope,
    receive: Receive,
    send: Send,
    *,
    not_found: ExceptionHandler,
    unavailable: ExceptionHandler,
    no_route: Callable[[], Awaitable[None]],
    form: FormData | None,
) -> None:
    """Run the mounted app with HTML pages, not problem+json, for its errors."""
    handlers, statuses = scope.get("starlette.exception_handlers", ({}, {}))
    scope["starlette.exception_handlers"] = (
        {**handlers, NotFoundError: not_found, StorageError: unavailable},
        {**statuses, 404: not_found},
    )
    try:
        await app(scope, receive, send)
    except HTTPException as exc:  # no route below the mount matched
        if exc.status_code != 404:
            raise
        await no_route()
    finally:
        if form is not None:
            await form.close()


def form_of(request: Request) -> FormData:
    """The POST's form, already parsed and CSRF-checked by the guard."""
    form: FormData = request.state.form
    return form


def form_text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


# A theme of more members than this lists, in the event and offer forms, only those
# taking part as boxes to tick and takes more by short name (``participants_of``): a box
# per member of a theme of 10,000 made a form of 1.5 MB (the admin's, made on the event
# loop for every theme, held the server 4.4 s).
PICK_ALL = 200


def participants_of(form: FormData) -> list[str]:
    """The participants ticked, and those entered by short name (commas between)."""
    return [
        slug.strip()
        for given in form.getlist("participants")
        if isinstance(given, str)
        for slug in given.split(",")
        if slug.strip()
    ]


def redirect(request: Request, name: str, *, done: str | None = None, **params: Any) -> Response:
    """303 to a named page (POST → redirect → GET), with a "done" notice."""
    url = request.url_for(name, **params).path
    return RedirectResponse(f"{url}?done={done}" if done else url, status_code=303)


async def refresh(request: Request) -> None:
    """Serve a write at once in this process (others see it within the poll interval)."""
    snapshots = runtime_of(request).snapshots
    assert snapshots is not None
    await snapshots.refresh()
