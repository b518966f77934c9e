"""What every command shares: output, usage errors, the default port."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from typing import Any, TextIO

from widget_server.core.i18n import Translator, translator
from widget_server.core.models import Member
from widget_server.core.settings import Settings
from widget_server.network.categories import category_label
from widget_server.storage import Storage

DEFAULT_PORT = 8000


Command = Callable[[argparse.Namespace, Storage, Settings], Awaitable[int]]


class UsageError(Exception):
    """Bad command-line input, reported as ``error: ...`` with exit status 2."""


def emit(args: argparse.Namespace, data: Any, text: str) -> None:
    if getattr(args, "json", False):
        print(json.dumps(data, ensure_ascii=False, indent=2, default=str))
    else:
        print(text)


def texts(settings: Settings) -> Translator:
    """The catalogs in the operator's language (``WIDGET_LANGUAGE`` or the locale)."""
    return translator(settings.language)


def member_dict(member: Member) -> dict[str, Any]:
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

    On a terminal one line that counts up; otherwise (a log, a pipe) a line
    when it starts and one when it is done, so logs stay readable.
    """

    def __init__(self, label: str, stream: TextIO | None = None) -> None:
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.tty = self.stream.isatty()
        self.started = time.monotonic()
        self._shown = ""
        if not self.tty:
            print(f"{label} ...", file=self.stream, flush=True)

    def update(self, done: int, total: int) -> None:
        if self.tty:
            shown = f"\r{self.label} ... {done}/{total}"
            if shown != self._shown:
                self._shown = shown
                print(shown, end="", file=self.stream, flush=True)

    def done(self) -> None:
        seconds = time.monotonic() - self.started
        end = "\r" if self.tty else ""
        print(f"{end}{self.label} ... done ({seconds:.1f} s)", file=self.stream, flush=True)
