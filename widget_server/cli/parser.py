"""The command line's parser: every command, and the arguments of the one run.

A run builds only its own command's arguments (``arguments.py``) and names
its function by module and name (``commands.Lazy``), so it imports only what
that command needs; the other commands are listed by name and help alone.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from typing import Any

from widget_server import __version__
from widget_server.cli.arguments import BUILDERS as ARGUMENTS
from widget_server.cli.commands import COMMAND_HELP, COMMANDS, Lazy, add


def _simulate_arguments(sub: Any) -> None:
    from widget_server.cli.simulate import add_arguments

    p = add(sub, "simulate", Lazy("simulate", "cmd_simulate"), COMMAND_HELP["simulate"])
    add_arguments(p)


BUILDERS: dict[str, Callable[[Any], None]] = {**ARGUMENTS, "simulate": _simulate_arguments}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser of every command (``command`` None), or of one command only.

    With a ``command`` (an empty string for none) the other commands are
    listed by name and help but get no arguments, so neither their modules
    nor what those import are loaded: ``--help``, ``--version`` and a wrong
    command name read the same either way.
    """
    from widget_server.core.settings import SETTINGS_HELP

    env_help = "\n".join(
        f"  {name:<28} {text} [{default}]" for name, default, text in SETTINGS_HELP
    )
    parser = argparse.ArgumentParser(
        prog="widget-server",
        description="Partnerkreis: cross-referral widgets for networks of small businesses.",
        epilog=f"environment:\n{env_help}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, help in COMMANDS:
        if command is None or command == name:
            BUILDERS[name](sub)
        else:
            sub.add_parser(name, help=help)
    return parser


def command_of(argv: Sequence[str]) -> str:
    """The command ``argv`` names (its first word; the top level has only flags), or ''."""
    first = next((word for word in argv if not word.startswith("-")), "")
    return first if first in COMMAND_HELP else ""
