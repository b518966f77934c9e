"""A command loads only what it needs (issue 14: each command's start stays small).

The parser builds only the arguments of the command run and names every
command's function by module (``cli/commands.py``); what a command does not use
(the web app, the template engine, the serving side, the catalogs when nothing
is translated) is never imported.  Imports are checked in a fresh interpreter.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_cli import CLI
from widget_server.cli import build_parser, main
from widget_server.cli.commands import COMMAND_HELP, Lazy

ROOT = Path(__file__).resolve().parent.parent
# What no data command needs: the server, the web app, templates, mail, the demo.
WEB_SIDE = (
    "uvicorn",
    "starlette.applications",
    "starlette.routing",
    "widget_server.web",
    "widget_server.mail",
    "widget_server.demo",
    "PIL",
)
# The modules a command run loaded, printed as JSON by a fresh interpreter.
PROBE = """
import contextlib, io, json, sys
from widget_server.cli import main
with contextlib.redirect_stdout(io.StringIO()):
    code = main(sys.argv[1:])
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def loaded(path: Path, *argv: str) -> set[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WIDGET_")}
    env["WIDGET_DATABASE_URL"] = f"sqlite:///{path}"
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, *argv],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(proc.stdout.splitlines()[-1])
    assert result["code"] == 0, proc.stderr
    return set(result["modules"])


def test_one_commands_parser_lists_the_commands_as_the_whole_parser() -> None:
    whole = build_parser()
    assert build_parser("").format_help() == whole.format_help()
    for name in COMMAND_HELP:
        assert build_parser(name).format_help() == whole.format_help(), name


def leaves(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    found = [parser]
    for sub in subs:
        for child in sub.choices.values():
            found += leaves(child)
    return found


def test_every_command_names_a_function_that_exists() -> None:
    funcs = [p.get_default("func") for p in leaves(build_parser())]
    lazy = [f for f in funcs if isinstance(f, Lazy)]
    assert len(lazy) > 25
    for func in lazy:
        assert callable(func.resolve()), f"{func.module}.{func.name}"


def test_a_command_alone_parses_as_in_the_whole_parser() -> None:
    argv = ["simulate", "t0", "--days", "3", "--event", "1:pause:m1", "--json"]
    alone = build_parser(argv[0]).parse_args(argv)
    whole = build_parser().parse_args(argv)
    assert vars(alone).keys() == vars(whole).keys()
    assert {k: v for k, v in vars(alone).items() if k != "func"} == {
        k: v for k, v in vars(whole).items() if k != "func"
    }
    assert (alone.func.module, alone.func.name) == ("simulate", "cmd_simulate")


def test_a_wrong_command_is_refused_naming_it(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["thme", "list"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "invalid choice: 'thme'" in err and "'theme'" in err


@pytest.fixture
def network(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    cli = CLI(tmp_path / "n.db", capsys)
    cli.ok("init")
    cli.ok("theme", "add", "hochzeit", "--name-de", "Hochzeit")
    for slug in ("blumen", "fotos", "scheune"):
        cli.ok(
            "member",
            "add",
            slug,
            "--name",
            slug.title(),
            "--website",
            f"https://{slug}.example/",
            "--theme",
            "hochzeit",
        )
    return cli.path


@pytest.mark.parametrize(
    ("argv", "templates"),
    [
        (("theme", "list", "--json"), False),
        (("stats", "--member", "blumen", "--json"), False),
        (("stats", "--theme", "hochzeit", "--json"), False),
        (("member", "list", "--json"), False),
        # The replay builds the block as served (serving/blocks.py: its texts).
        (("explain", "blumen", "hochzeit", "--json"), True),
    ],
)
def test_a_data_command_loads_no_web_side(
    network: Path, argv: tuple[str, ...], templates: bool
) -> None:
    modules = loaded(network, *argv)
    assert [m for m in WEB_SIDE if m in modules] == []
    assert ("jinja2" in modules) is templates


def test_listing_themes_loads_neither_services_nor_catalogs(network: Path) -> None:
    modules = loaded(network, "theme", "list")
    unwanted = ("widget_server.network.services", "babel", "widget_server.serving")
    assert [m for m in unwanted if m in modules] == []


def test_help_loads_no_command(network: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WIDGET_")}
    probe = (
        "import sys\nfrom widget_server.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.startswith('widget_server.')), file=sys.stderr)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert "theme list" not in proc.stdout and "COMMAND" in proc.stdout
    modules = proc.stderr
    for heavy in ("widget_server.storage", "widget_server.rotation", "widget_server.cli.server"):
        assert f"'{heavy}'" not in modules
