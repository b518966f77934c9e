"""The commands of ``widget-server``: their names and help, and how each is loaded.

Every command is listed here with its one-line help; its function is named
by module and name (``Lazy``), so building the parser imports none of what
the commands need.  ``arguments.py`` adds each command's arguments,
``parser.py`` builds the parser of a run.
"""

from __future__ import annotations

import importlib
from typing import Any


class Lazy:
    """A command named by its module and function, imported only when it runs.

    Building the parser must not import what the commands need (the storage,
    the rotation, the web app, the catalogs): each run imports only its own
    command's module.  ``Lazy("members", "status_command", "paused")`` calls
    the factory ``status_command("paused")`` when run.
    """

    def __init__(self, module: str, name: str, *factory_args: str) -> None:
        self.module = module
        self.name = name
        self.factory_args = factory_args

    def resolve(self) -> Any:
        found = getattr(importlib.import_module(f"widget_server.cli.{self.module}"), self.name)
        return found(*self.factory_args) if self.factory_args else found

    def __call__(self, *args: Any) -> Any:
        return self.resolve()(*args)


CMD_INIT = Lazy("server", "cmd_init")

# Every command with its one-line help, in the order ``--help`` lists them.  A run
# builds only its own command's arguments (importing only what they need); the
# others are listed by name and help alone (tests/test_cli_lazy.py holds the two
# listings to each other).
COMMANDS = (
    ("init", "create or migrate the database and the first coordinator"),
    ("password", "set a coordinator's password; its sessions end"),
    ("admin", "coordinator accounts: add, list, deactivate, activate, reset-link"),
    (
        "categories",
        "list the member categories, add one of the network's own, suggest the nearest",
    ),
    ("offer", "list joint offers; approve, decline or remove one"),
    ("event", "add, list, show, edit, remove, approve or decline joint events"),
    ("serve", "run the server"),
    ("demo", "create a fresh demo network and serve it"),
    ("secret", "show or rotate the keys that sign embed codes"),
    ("migrate-db", "copy the network into another, empty database"),
    ("member", "add, import, list, show, edit, pause, activate, remove members; themes; logos"),
    ("theme", "add, list, edit or remove themes (clusters)"),
    ("rules", "show, set or list the rotation rules of a theme"),
    ("explain", "why did a member's block show what it showed?"),
    ("simulate", "run traffic through the rotation rules and ledger"),
    ("portal-link", "print a member's signed, expiring portal link"),
    ("stats", "views and clicks given and received"),
    ("key", "create, list or revoke API keys"),
    ("report", "the monthly report mail"),
    ("mail", "the outbox: send what is due, show its state"),
    ("snippet", "print a member's paste-ready embed code"),
)
COMMAND_HELP = dict(COMMANDS)


def add(parent: Any, name: str, func: Any, help: str, *, json_out: bool = True) -> Any:
    """A (sub)command parser running ``func``, with ``--json`` unless ``json_out`` is false."""
    p = parent.add_parser(name, help=help, description=help)
    p.set_defaults(func=func)
    if json_out:
        p.add_argument("--json", action="store_true", help="print JSON")
    return p
