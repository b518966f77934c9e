"""Structured logs (one JSON object per line) and the request log.

The request log never contains a client address or user agent: visitors of
members' websites must not be identifiable from our logs.  Nor does it
contain a token: the paths of the widget (``/w/``, ``/c/``, ``/v/``) and of
portal links (``/portal/{token}``, which opens a member's portal) are logged
with ``{token}`` in its place (``loggable_path``).
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

access_log = logging.getLogger("widget_server.access")
_STANDARD = set(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime", "color_message"}


class JSONFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """One readable line per record, for a person at a terminal.

    ``12:04:05 GET /w/{token} 200 0.8 ms`` for a request; otherwise time,
    level, message and the extra fields as ``key=value``.
    """

    def format(self, record: logging.LogRecord) -> str:
        when = self.formatTime(record, "%H:%M:%S")
        extra = {k: v for k, v in vars(record).items() if k not in _STANDARD}
        if record.name == access_log.name and {"method", "path", "status"} <= extra.keys():
            request = f"{extra['method']} {extra['path']} {extra['status']}"
            return f"{when} {request} {extra.get('ms')} ms"
        fields = " ".join(f"{k}={v}" for k, v in extra.items())
        line = f"{when} {record.levelname.lower():<7} {record.getMessage()}"
        line += f"  {fields}" if fields else ""
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


LOG_FORMATS = ("auto", "text", "json")


def configure_logging(level: str, log_format: str = "json") -> None:
    """Logs to stderr: JSON lines, or (``text``; ``auto`` on a terminal) readable lines.

    Readable output also shows one line per request (the request log is at
    debug level otherwise, as it costs more than a widget request).
    """
    text = log_format == "text" or (log_format == "auto" and sys.stderr.isatty())
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(TextFormatter() if text else JSONFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    access_log.setLevel(logging.DEBUG if text else logging.NOTSET)
    # uvicorn's access log prints the client address: never enabled.
    logging.getLogger("uvicorn.access").disabled = True
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True


_WIDGET_TOKEN = re.compile(r"^/(w|c|v)/[^/]*?(\.html)?$")
_PORTAL_TOKEN = re.compile(r"^/portal/[^/]*\.[^/]*$")  # a link's token has dots; pages do not
# What _WIDGET_TOKEN's substitution makes of each widget prefix, with and without .html.
_WIDGET_PREFIXES = ("/w/", "/c/", "/v/")
_WIDGET_LOGGED = {
    (p, html): f"/{p}/{{token}}" + (".html" if html else "")
    for p in "wcv"
    for html in (False, True)
}


def loggable_path(path: str) -> str:
    """The path with any token in it replaced by ``{token}``."""
    if path.startswith(_WIDGET_PREFIXES) and path.find("/", 3) < 0 and not path.endswith("\n"):
        # What the substitution makes of a widget path, without it (each first sight
        # of a block logs its path): one segment after the prefix, and ``$`` only at
        # the very end, so the optional ``.html`` is there exactly when it ends the path.
        return _WIDGET_LOGGED[path[1], path.endswith(".html")]
    if _PORTAL_TOKEN.match(path):
        return "/portal/{token}"
    return _WIDGET_TOKEN.sub(r"/\1/{token}\2", path)


class RequestLogMiddleware:
    """Logs method, route path, status and duration of each request, nothing about who."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Per-request lines only at debug level: at widget rates they cost more than the
        # request itself, and the reverse proxy keeps access logs anyway.
        if scope["type"] != "http" or not access_log.isEnabledFor(logging.DEBUG):
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            log_request(scope, status, start)


def log_request(scope: Scope, status: int, start: float, path: str | None = None) -> None:
    """The request log's line for a request that began at ``perf_counter()`` ``start``;
    ``path``: its ``loggable_path`` when the caller knows it already.

    Callers check ``access_log.isEnabledFor(logging.DEBUG)`` first, so a disabled log
    costs one cached lookup per request.  The record is made directly, without
    ``Logger.debug``'s search of the stack for the caller (no formatter here prints
    it); the line itself is formatted only by the handler that writes it.  Also
    written by the widget's fast path (web/fastpath.py), which has no middleware.
    """
    record = access_log.makeRecord(
        access_log.name,
        logging.DEBUG,
        __file__,
        0,
        "request",
        (),
        None,
        extra={
            "method": scope["method"],
            "path": loggable_path(scope["path"]) if path is None else path,
            "status": status,
            "ms": round((time.perf_counter() - start) * 1000, 2),
        },
    )
    access_log.handle(record)
