"""``widget-server offer``: what the admin's "Angebote" does, from the command line."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.images import png
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


def test_show_and_edit(cli: CLI, tmp_path: Path) -> None:
    slug = asyncio.run(propose(cli.path))
    cli.environ["WIDGET_LANGUAGE"] = "de"
    shown = cli.ok("offer", "show", slug).out
    assert shown.splitlines()[0] == "Hochzeitspaket"
    assert "Gültig" not in shown and "revision:" in shown  # labels in English, days in German
    edited = json.loads(
        cli.ok(
            "offer", "edit", slug, "--title", "Das Paket <b>", "--author", "admin:anna", "--json"
        ).out
    )
    assert (edited["title"], edited["revision"]) == ("Das Paket <b>", 1)
    assert edited["participants"][0]["confirmed"]  # a new title keeps the confirmations
    priced = json.loads(cli.ok("offer", "edit", slug, "--price-text", "15 %", "--json").out)
    assert [p["confirmed"] for p in priced["participants"]] == [False, False]
    stale = cli("offer", "edit", slug, "--text", "x", "--revision", "0")
    assert stale.code == 1 and "stale_offer" in stale.err
    bad = cli("offer", "edit", slug, "--valid-until", "gestern")
    assert bad.code == 2 and "'gestern'" in bad.err
    picture = tmp_path / "bild.png"
    picture.write_bytes(png(40, 40))
    with_image = json.loads(cli.ok("offer", "edit", slug, "--image", str(picture), "--json").out)
    assert with_image["image_url"].startswith("/offer-images/")
    not_an_image = tmp_path / "bild.svg"
    not_an_image.write_text("<svg onload=alert(1)/>")
    refused = cli("offer", "edit", slug, "--image", str(not_an_image))
    assert refused.code == 2 and "image" in refused.err
    missing = cli("offer", "edit", slug, "--image", str(tmp_path / "fehlt.png"))
    assert missing.code == 2 and "fehlt.png" in missing.err
    assert cli("offer", "edit", slug).code == 2  # nothing to change
    actions = cli.query(
        "SELECT actor, action FROM audit_log WHERE subject = ? ORDER BY id", (f"offer:{slug}",)
    )
    assert actions == [("admin:anna", "offer.edit"), ("cli", "offer.edit"), ("cli", "offer.edit")]
