"""What every command shares: output, usage errors, the default port."""

from __future__ import annotations

import argparse
import json
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from typing import Any

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
