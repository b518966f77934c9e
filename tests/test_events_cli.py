"""``widget-server event``: what the admin's "Veranstaltungen" does, from the command line."""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path

import pytest

from tests.test_cli import CLI
from widget_server.cli import build_parser
from widget_server.network.events import EventInput, create_event
from widget_server.storage import SQLiteStorage

FAIR = (
    "--title",
    "Hochzeitsmesse <b>2031</b>",
    "--starts-at",
    "2031-03-14T10:00",
    "--ends-at",
    "2031-03-14T18:00",
    "--place-name",
    "Festscheune Wulfshof",
    "--town",
    "Heide",
)


@pytest.fixture
def cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> CLI:
    cli = CLI(tmp_path / "x.db", capsys)
    cli.environ["WIDGET_LANGUAGE"] = "de"
    cli.ok("init")
    cli.ok("theme", "add", "hochzeit", "--name-de", "Hochzeit")
    for slug, name in (("blumen", "Blumenhaus"), ("scheune", "Festscheune")):
        website = f"https://{slug}.example/"
        cli.ok("member", "add", slug, "--name", name, "--website", website, "--theme", "hochzeit")
    return cli


def audit_of(cli: CLI, slug: str) -> list[tuple[str, str]]:
    rows = cli.query(
        "SELECT actor, action FROM audit_log WHERE subject = ? ORDER BY id", (f"event:{slug}",)
    )
    return [(r[0], r[1]) for r in rows]


def test_add_show_edit_cancel_restore_and_remove(cli: CLI) -> None:
    added = json.loads(
        cli.ok(
            "event", "add", *FAIR, "--theme", "hochzeit", "--participant", "scheune", "--json"
        ).out
    )
    slug = added["slug"]
    assert slug == "hochzeitsmesse-b-2031-b-2031-03-14"
    assert (added["status"], added["sequence"], added["participants"]) == (
        "published",
        0,
        ["scheune"],
    )
    assert added["starts_at"] == "2031-03-14T09:00:00+00:00"  # 10:00 in Berlin, winter time
    # One day: its date once, then the hours (core/dates.py), in the operator's language.
    assert added["when"] == "Fr., 14. März 2031, 10:00–18:00 Uhr"
    shown = cli.ok("event", "show", slug).out
    assert shown.splitlines()[0] == "Hochzeitsmesse <b>2031</b>"
    assert "Fr., 14. März 2031, 10:00–18:00 Uhr" in shown and "scheune" in shown

    moved = json.loads(cli.ok("event", "edit", slug, "--ends-at", "2031-03-15T17:00", "--json").out)
    assert moved["sequence"] == 1
    assert moved["when"] == "Fr., 14. März 2031, 10:00 Uhr – Sa., 15. März 2031, 17:00 Uhr"
    stale = cli("event", "edit", slug, "--town", "Meldorf", "--sequence", "0")
    assert stale.code == 1 and "stale_event" in stale.err
    refused = cli("event", "remove", slug)
    assert refused.code == 1 and "cancel it instead" in refused.err
    cli.ok("event", "cancel", slug, "--author", "admin:anna")
    cli.ok("event", "restore", slug)
    cli.ok("event", "cancel", slug)
    cli.ok("event", "remove", slug)
    assert cli("event", "show", slug).code == 2
    assert audit_of(cli, slug) == [
        ("cli", "event.create"),
        ("cli", "event.edit"),
        ("admin:anna", "event.cancel"),
        ("cli", "event.restore"),
        ("cli", "event.cancel"),
        ("cli", "event.delete"),
    ]


async def _propose(path: Path) -> str:
    storage = SQLiteStorage(path)
    await storage.open()
    try:
        from datetime import UTC, datetime

        member = await storage.get_member("blumen")
        data = EventInput(
            "Vortragsabend",
            "2031-05-20T19:00",
            "2031-05-20T21:30",
            "Rathaus",
            "Heide",
            theme="hochzeit",
        )
        event = await create_event(
            storage, data, "Europe/Berlin", now=datetime.now(UTC), member=member
        )
        return event.slug
    finally:
        await storage.close()


def test_approve_and_decline_members_proposals(cli: CLI) -> None:
    first = asyncio.run(_propose(cli.path))
    (row,) = json.loads(cli.ok("event", "list", "--status", "proposed", "--json").out)
    assert (row["slug"], row["proposed_by"]) == (first, "blumen")
    cli.ok("event", "approve", first)
    assert json.loads(cli.ok("event", "show", first, "--json").out)["status"] == "published"
    again = cli("event", "decline", first)
    assert again.code == 1 and "published" in again.err
    second = asyncio.run(_propose(cli.path))
    cli.ok("event", "decline", second, "--sequence", "0")
    assert audit_of(cli, first) == [("cli", "event.publish")]
    assert audit_of(cli, second) == [("cli", "event.decline")]


def test_list_is_by_time_or_in_german_order(cli: CLI) -> None:
    for title, day in (("Zunftabend", "01"), ("Ährenfest", "02"), ("Apfelmarkt", "03")):
        cli.ok(
            "event",
            "add",
            *FAIR[2:],
            "--title",
            title,
            "--starts-at",
            f"2031-06-{day}T10:00",
            "--ends-at",
            f"2031-06-{day}T12:00",
        )
    by_time = [r["title"] for r in json.loads(cli.ok("event", "list", "--json").out)]
    assert by_time == ["Zunftabend", "Ährenfest", "Apfelmarkt"]
    by_title = json.loads(cli.ok("event", "list", "--order", "title", "--json").out)
    assert [r["title"] for r in by_title] == ["Ährenfest", "Apfelmarkt", "Zunftabend"]
    lines = cli.ok("event", "list").out.splitlines()
    assert len(lines) == 3 and "Di., 3. Juni 2031, 10:00–12:00 Uhr" in lines[2]
    assert cli.ok("event", "list", "--theme", "hochzeit").out.strip() == "no events"


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (("event", "add", *FAIR[:2], "--starts-at", "morgen", *FAIR[4:]), "'morgen'"),
        (("event", "add", *FAIR, "--participant", "niemand"), "'niemand'"),
        (("event", "add", *FAIR, "--theme", "nirgends"), "'nirgends'"),
        (("event", "add", *FAIR, "--postal-code", "<b>"), "'<b>'"),
        (("event", "add", *FAIR[:6], "--ends-at", "2031-03-14T09:00", *FAIR[6:]), "ends_at"),
        (("event", "add", *FAIR, "--registration-url", "javascript:alert(1)"), "registration_url"),
        (("event", "show", "nichts"), "'nichts'"),
        (("event", "edit", "nichts", "--town", "Heide"), "'nichts'"),
        (("event", "list", "--theme", "nirgends"), "'nirgends'"),
        (("event", "approve", "nichts", "--sequence", "x"), "'x'"),
        (("event", "list", "--status", "gone"), "'gone'"),
    ],
)
def test_bad_input_names_the_value_and_exits_2(
    cli: CLI, capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], named: str
) -> None:
    try:
        result = cli(*argv)
        code, err = result.code, result.err
    except SystemExit as exc:  # refused by argparse itself (its usage message)
        code, err = int(str(exc.code)), capsys.readouterr().err
    assert code == 2, err
    assert named in err
    assert cli.query("SELECT count(*) FROM events") == [(0,)]


def test_edit_without_a_change_says_so(cli: CLI) -> None:
    slug = json.loads(cli.ok("event", "add", *FAIR, "--json").out)["slug"]
    nothing = cli("event", "edit", slug)
    assert nothing.code == 2 and "nothing to change" in nothing.err


def _options(parser: argparse.ArgumentParser) -> list[tuple[str, str | None]]:
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found += [(f"{name} {o}", h) for o, h in _options(sub)]
        elif action.option_strings or action.dest != "help":
            found.append(("/".join(action.option_strings) or action.dest, action.help))
    return found


def test_every_event_and_offer_option_has_help() -> None:
    parser = build_parser()
    (commands,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    for command in ("event", "offer"):
        missing = [name for name, text in _options(commands.choices[command]) if not text]
        assert missing == [], f"{command}: options without help: {missing}"
