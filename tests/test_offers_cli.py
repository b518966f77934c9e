"""``widget-server offer``: what the admin's "Angebote" does, from the command line."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.test_cli import CLI
from widget_server.network import offers
from widget_server.storage import SQLiteStorage


async def propose(path: Path) -> str:
    storage = SQLiteStorage(path)
    await storage.open()
    try:
        today = datetime.now(UTC).date()
        proposal = offers.Proposal(
            "hochzeit", "Hochzeitspaket", "", "10 %", today, today + timedelta(days=9), ["torten"]
        )
        offer = await offers.propose(storage, await storage.get_member("blumen"), proposal, today)
        return offer.slug
    finally:
        await storage.close()


@pytest.fixture
def cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> CLI:
    cli = CLI(tmp_path / "x.db", capsys)
    cli.ok("init")
    cli.ok("theme", "add", "hochzeit", "--name-de", "Hochzeit")
    for slug in ("blumen", "torten"):
        website = f"https://{slug}.example/"
        cli.ok("member", "add", slug, "--name", slug.title(), "--website", website)
        cli.ok("member", "join", slug, "hochzeit")
        cli.ok("member", "activate", slug)
    return cli


def test_list_approve_and_remove(cli: CLI) -> None:
    slug = asyncio.run(propose(cli.path))
    (row,) = json.loads(cli.ok("offer", "--json").out)
    assert (row["slug"], row["state"]) == (slug, "waiting")
    assert row["participants"] == [
        {"member": "blumen", "confirmed": True},
        {"member": "torten", "confirmed": False},
    ]
    assert "torten (unconfirmed)" in cli.ok("offer", "list", "--theme", "hochzeit").out
    assert json.loads(cli.ok("offer", "list", "--status", "removed", "--json").out) == []
    cli.ok("offer", "approve", slug, "--author", "admin:anna")
    removed = json.loads(cli.ok("offer", "remove", slug, "--json").out)
    assert removed["state"] == "removed"
    closed = cli("offer", "decline", slug)
    assert closed.code == 1 and "removed" in closed.err
    unknown = cli("offer", "approve", "nichts")
    assert unknown.code == 2 and "'nichts'" in unknown.err
    actions = cli.query("SELECT actor, action FROM audit_log WHERE subject = ?", (f"offer:{slug}",))
    assert actions == [("admin:anna", "offer.approve"), ("cli", "offer.remove")]
