"""The CLI does what the admin does (issue 11, point 7): member edit|remove|join|leave,
theme edit|remove, help on every option, --json on every command that prints data."""

from __future__ import annotations

import argparse
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.test_cli import CLI
from widget_server.cli import build_parser

NO_DATA = {("serve",), ("demo",)}  # they run the server and print no data


def commands(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    yield path, parser
    for sub in subs:
        for name, child in sub.choices.items():
            yield from commands(child, (*path, name))


def test_every_option_and_argument_has_help() -> None:
    missing = [
        (" ".join(path), action.option_strings or action.dest)
        for path, parser in commands(build_parser())
        for action in parser._actions
        if not isinstance(
            action, (argparse._HelpAction, argparse._VersionAction, argparse._SubParsersAction)
        )
        and not action.help
    ]
    assert missing == []


def test_every_command_that_prints_data_takes_json() -> None:
    leaves = [
        path
        for path, parser in commands(build_parser())
        if path and not any(isinstance(a, argparse._SubParsersAction) for a in parser._actions)
    ]
    assert ("member", "edit") in leaves and ("theme", "remove") in leaves
    without = [
        path
        for path, parser in commands(build_parser())
        if path in leaves
        and path not in NO_DATA
        and not any("--json" in a.option_strings for a in parser._actions)
    ]
    assert without == []


@pytest.fixture
def cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> CLI:
    cli = CLI(tmp_path / "x.db", capsys)
    cli.ok("init")
    cli.ok("theme", "add", "hochzeit", "--name-de", "Hochzeit")
    cli.ok("theme", "add", "heide", "--name-de", "Heide", "--kind", "local")
    cli.ok(
        "member",
        "add",
        "blumen",
        "--name",
        "Blumenhaus",
        "--website",
        "https://blumen.example/",
        "--theme",
        "hochzeit",
    )
    return cli


def actions(path: Path) -> list[tuple[str, str, str]]:
    with sqlite3.connect(path) as conn:
        return list(conn.execute("SELECT actor, action, subject FROM audit_log ORDER BY id"))


def test_member_edit_join_leave_and_remove(cli: CLI) -> None:
    edited = cli.ok(
        "member",
        "edit",
        "blumen",
        "--name",
        "Blumenhaus am Markt",
        "--town",
        "Heide",
        "--domain",
        "shop.blumen.example",
        "--json",
    ).json()
    assert (edited["name"], edited["town"]) == ("Blumenhaus am Markt", "Heide")
    assert "shop.blumen.example" in edited["domains"]
    nothing = cli("member", "edit", "blumen")
    assert nothing.code == 2 and "nothing to change" in nothing.err
    bad = cli("member", "edit", "blumen", "--website", "ftp://x")
    assert bad.code == 2 and "website" in bad.err
    assert cli.ok("member", "join", "blumen", "heide", "--json").json() == {
        "member": "blumen",
        "theme": "heide",
        "status": "active",
    }
    assert cli.ok("member", "leave", "blumen", "hochzeit", "--json").json()["status"] == "left"
    asked = cli("member", "remove", "blumen")
    assert asked.code == 2 and "--yes" in asked.err and "stay in the statistics" in asked.err
    assert cli.ok("member", "show", "blumen", "--json").json()["status"] == "active"
    removed = cli.ok("member", "remove", "blumen", "--yes", "--author", "anna", "--json").json()
    assert removed["status"] == "removed" and removed["counted"] == 0
    assert [a[:2] for a in actions(cli.path)] == [
        ("cli", "coordinator.add"),
        ("cli", "member.edit"),
        ("cli", "member.theme"),
        ("cli", "member.theme"),
        ("anna", "member.remove"),
    ]


def test_theme_edit_and_remove(cli: CLI) -> None:
    edited = cli.ok("theme", "edit", "hochzeit", "--name-en", "Wedding", "--json").json()
    assert edited["name_en"] == "Wedding"
    asked = cli("theme", "remove", "hochzeit")
    assert asked.code == 2 and "1 members leave it" in asked.err
    assert cli.ok("theme", "list", "--json").json()[0]["slug"] in ("heide", "hochzeit")
    done = cli.ok("theme", "remove", "hochzeit", "--yes", "--json").json()
    assert done == {"theme": "hochzeit", "members": 1, "placements": 0}
    assert [t["slug"] for t in cli.ok("theme", "list", "--json").json()] == ["heide"]
    assert cli("theme", "edit", "hochzeit", "--name-de", "x").code == 1
    assert ("cli", "theme.remove", "theme:hochzeit") in actions(cli.path)
