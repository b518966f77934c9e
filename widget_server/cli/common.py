"""What every command shares: output, usage errors, the default port."""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import asdict
from typing import TYPE_CHECKING, Any, TextIO
from urllib.parse import urlsplit

# Every command imports this module (and the parser does): what only some commands
# need is imported where it is used, so a command's start stays small.
if TYPE_CHECKING:
    from widget_server.core.i18n import Translator
    from widget_server.core.models import Member
    from widget_server.core.settings import Settings
    from widget_server.storage import Storage

DEFAULT_PORT = 8000


Command = Callable[[argparse.Namespace, "Storage", "Settings"], Awaitable[int]]


class UsageError(Exception):
    """Bad command-line input, reported as ``error: ...`` with exit status 2."""


def emit(args: argparse.Namespace, data: Any, text: str) -> None:
    if getattr(args, "json", False):
        print(json.dumps(data, ensure_ascii=False, indent=2, default=str))
    else:
        print(text)


def texts(settings: Settings) -> Translator:
    """The catalogs in the operator's language (``WIDGET_LANGUAGE`` or the locale)."""
    from widget_server.core.i18n import translator

    return translator(settings.language)


def member_dict(member: Member) -> dict[str, Any]:
    from widget_server.network.categories import category_label

    data = asdict(member)
    data["domains"] = list(member.domains)
    data["category_label"] = category_label(member.category)
    return data


def port_number(text: str) -> int:
    """argparse type of --port: a TCP port, 1 to 65535."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be a number from 1 to 65535, got {text!r}"
        ) from None
    if not 1 <= port <= 65_535:
        raise argparse.ArgumentTypeError(f"must be a number from 1 to 65535, got {port}")
    return port


class Progress:
    """What a command that takes more than a second is doing, on stderr.

    On a terminal one line that counts up (from half a second on); otherwise
    (a log, a pipe) one line at the end, if it took longer than a second, so
    quick runs and scripts reading stdout see nothing extra.
    """

    QUIET_SECONDS = 0.5

    def __init__(self, label: str | Callable[[], str], stream: TextIO | None = None) -> None:
        # A callable label is made when first shown: a quick run, or one whose stderr
        # is not a terminal, need not load the catalog it is translated with.
        self._label = label
        self.stream = stream if stream is not None else sys.stderr
        self.tty = self.stream.isatty()
        self.started = time.monotonic()
        self._shown = ""

    @property
    def label(self) -> str:
        if callable(self._label):
            self._label = self._label()
        return self._label

    def update(self, done: int, total: int) -> None:
        if self.tty and time.monotonic() - self.started >= self.QUIET_SECONDS:
            shown = f"\r{self.label} ... {done}/{total}"
            if shown != self._shown:
                self._shown = shown
                print(shown, end="", file=self.stream, flush=True)

    def done(self) -> None:
        seconds = time.monotonic() - self.started
        if self._shown or seconds > 1.0:
            start = "\r" if self._shown else ""
            print(f"{start}{self.label} ... done ({seconds:.1f} s)", file=self.stream, flush=True)


@contextlib.contextmanager
def interruptible() -> Iterator[None]:
    """Ctrl-C stops synchronous work inside at once (``KeyboardInterrupt`` where it is).

    asyncio.run takes Ctrl-C as a cancellation of the command's task, which only
    lands at the task's next await: a simulation of minutes on the event loop's
    thread ran to its end first.  Only around work that awaits nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signals reach the main thread only; nothing to change here
        return
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def check_base_url(value: str) -> str:
    """--base-url: an absolute http(s) URL with a host, without a trailing slash."""
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(
            f"--base-url must be an absolute URL such as https://partner.example.org, got {value!r}"
        )
    return value.strip().rstrip("/")


def public_base_url(args: argparse.Namespace, settings: Settings, what: str) -> str:
    """The server's public URL for ``what`` ("the code", "the link"): --base-url, else
    WIDGET_PUBLIC_URL. Never a guess: a 127.0.0.1 address would look fine here and fail
    where the code is pasted or the link is opened."""
    if not (args.base_url or settings.public_url):
        raise UsageError(
            f"{what} needs the server's public URL, as others reach it:"
            " set WIDGET_PUBLIC_URL (e.g. https://partner.example.org) or pass --base-url"
        )
    return check_base_url(args.base_url or settings.public_url or "")


def aligned(fields: list[tuple[str, str]], indent: str = "  ") -> list[str]:
    """``label: value`` lines with the values in one column; a value's line breaks
    continue in the same column."""
    width = max((len(label) for label, _ in fields), default=0) + 2
    lines = []
    for label, value in fields:
        first, *rest = str(value).splitlines() or [""]
        lines.append(f"{indent}{label + ':':<{width}}{first}".rstrip())
        lines += [f"{indent}{'':<{width}}{more}".rstrip() for more in rest]
    return lines
