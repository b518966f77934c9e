"""``widget-server``: set up, run and manage a Partnerkreis network from the shell.

Every command that prints data takes ``--json``.  A bad argument gives a
message naming the value and exit status 2; nothing is written before all
input has been checked.  Ctrl-C stops a command with one line and exit
status 130; a write it was making is one transaction, whole or not at all.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from widget_server.cli.commands import CMD_INIT
from widget_server.cli.common import UsageError
from widget_server.cli.parser import build_parser, command_of
from widget_server.core.errors import (
    ConflictError,
    NotFoundError,
    PartnerkreisError,
    ValidationError,
)

if TYPE_CHECKING:
    from widget_server.core.settings import Settings

__all__ = ["build_parser", "main"]


async def _run(args: argparse.Namespace, settings: Settings) -> int:
    from widget_server.network import categories
    from widget_server.network.database import open_storage
    from widget_server.storage import storage_from_url

    storage = storage_from_url(settings.database_url)
    await open_storage(storage, create=args.func is CMD_INIT)
    try:
        if args.func is not CMD_INIT and await storage.schema_version() > 0:
            await categories.load(storage)  # the network's own category labels
        result: int = await args.func(args, storage, settings)
        return result
    finally:
        await storage.close()  # finished even when Ctrl-C's cancellation lands in it


def main(argv: Sequence[str] | None = None, environ: dict[str, str] | None = None) -> int:
    words = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(command_of(words))
    args = parser.parse_args(words)
    try:
        from widget_server.core.settings import Settings

        settings = Settings.from_environ(environ)
        if getattr(args, "direct", False):
            return int(args.func(args, settings))
        return asyncio.run(_run(args, settings))
    except (UsageError, ValueError) as exc:
        print(f"widget-server: error: {exc}", file=sys.stderr)
        return 2
    except ValidationError as exc:
        print(f"widget-server: error: {exc.field}: {exc.reason}", file=sys.stderr)
        return 2
    except (NotFoundError, ConflictError) as exc:
        print(f"widget-server: error: {exc}", file=sys.stderr)
        return 1
    except PartnerkreisError as exc:
        print(f"widget-server: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        # Ctrl-C: the command was cancelled at an await (asyncio.run) or interrupted in
        # synchronous work (common.interruptible), and a write in progress ended as its
        # transaction does, whole or not at all; 130 is the shell's status for SIGINT.
        print("widget-server: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`widget-server ... | head`): not an error of ours.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
