"""Categories the network defines (issue 11, point 5): listed everywhere, added with German
and English labels, the nearest one suggested, the slug rule said."""

from __future__ import annotations

import html
import json
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from starlette.applications import Starlette

from tests.admin_helpers import make_account, post, signed_in
from tests.conftest import caught_up
from widget_server.cli import main
from widget_server.core.models import Category
from widget_server.network import categories
from widget_server.network.categories import CATEGORY_LABELS
from widget_server.storage import SQLiteStorage

HOSTILE = '<script>alert("x")</script>'


@pytest.fixture(autouse=True)
def forget_network_categories() -> None:
    categories.install(())  # each test starts from the built-in list


@pytest_asyncio.fixture
async def admin(
    network: dict[str, int], storage: SQLiteStorage, client: httpx.AsyncClient
) -> AsyncIterator[httpx.AsyncClient]:
    await make_account(storage)
    await signed_in(client)
    yield client


@pytest.mark.asyncio
async def test_the_admin_lists_checks_and_adds_a_category(
    admin: httpx.AsyncClient, storage: SQLiteStorage, network: dict[str, int]
) -> None:
    page = html.unescape((await admin.get("/admin/categories")).text)
    for de, _en in CATEGORY_LABELS.values():
        assert de in page
    check = await post(
        admin,
        "/admin/categories",
        {"label_de": "Floristin", "label_en": "", "slug": "", "action": "check"},
    )
    text = html.unescape(check.text)
    assert "Der Kurzname wird: floristin" in text
    assert "Floristik" in text.split("Schon vorhanden und ähnlich:")[1]
    added = await post(
        admin,
        "/admin/categories",
        {"label_de": "Fahrradwerkstatt", "label_en": "Bike repair", "slug": "", "action": "add"},
    )
    assert added.status_code == 303
    assert [c.slug for c in await storage.list_categories()] == ["fahrradwerkstatt"]
    entries = await storage.list_audit_entries(subject="category:fahrradwerkstatt")
    assert [(e.actor, e.action) for e in entries] == [("admin:koordination", "category.add")]
    form = (await admin.get("/admin/members/new")).text
    assert '<option value="fahrradwerkstatt">Fahrradwerkstatt</option>' in form
    # the directory shows the label, not the slug
    await post(
        admin,
        "/admin/members/blumen",
        {
            "name": "Blumenhaus am Markt",
            "website": "https://blumen.example/",
            "category": "fahrradwerkstatt",
        },
    )
    directory = html.unescape((await admin.get("/t/hochzeit")).text)
    assert "Fahrradwerkstatt" in directory and "fahrradwerkstatt" not in directory


@pytest.mark.asyncio
async def test_a_category_added_by_another_process_is_labelled_when_a_member_names_it(
    app: Starlette, client: httpx.AsyncClient, storage: SQLiteStorage, network: dict[str, int]
) -> None:
    """Adding a category changes no served data (no data version, no full reload); the
    process that serves learns its labels with the first member that names it."""
    before = await storage.data_version()
    await storage.add_category(Category("radwerk", "Radwerkstatt", "Bike workshop", "cli"))
    assert await storage.data_version() == before
    member = await storage.get_member("blumen")
    await storage.update_member(replace(member, category="radwerk"))
    assert (await storage.changes_since(before)).complete  # served without a full reload
    await caught_up(app, storage)
    directory = html.unescape((await client.get("/t/hochzeit?lang=en")).text)
    assert "Bike workshop" in directory and "radwerk" not in directory


@pytest.mark.asyncio
async def test_a_bad_or_hostile_category_is_named_with_the_rule_and_stored_nowhere(
    admin: httpx.AsyncClient, storage: SQLiteStorage
) -> None:
    bad = await post(
        admin,
        "/admin/categories",
        {"label_de": "Rad", "label_en": "", "slug": "Fahrrad Werkstatt", "action": "add"},
    )
    assert bad.status_code == 422
    assert "Kleinbuchstaben a–z" in html.unescape(bad.text)
    hostile = await post(
        admin,
        "/admin/categories",
        {"label_de": HOSTILE, "label_en": HOSTILE, "slug": "boese", "action": "add"},
    )
    assert hostile.status_code == 422 and HOSTILE not in hostile.text
    checked = await post(
        admin,
        "/admin/categories",
        {"label_de": HOSTILE, "label_en": HOSTILE, "slug": "", "action": "check"},
    )
    assert checked.status_code == 200 and HOSTILE not in checked.text
    assert await storage.list_categories() == []


def test_the_cli_lists_adds_and_suggests_categories(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env = {"WIDGET_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}
    assert main(["init"], environ=env) == 0
    assert (
        main(
            [
                "categories",
                "add",
                "fahrradwerkstatt",
                "--label-de",
                "Fahrradwerkstatt",
                "--label-en",
                "Bike repair",
            ],
            environ=env,
        )
        == 0
    )
    capsys.readouterr()
    assert main(["categories", "--json"], environ=env) == 0
    rows = {r["slug"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["fahrradwerkstatt"] == {
        "slug": "fahrradwerkstatt",
        "label_de": "Fahrradwerkstatt",
        "label_en": "Bike repair",
        "builtin": False,
    }
    assert rows["bakery"]["builtin"] is True and len(rows) == len(CATEGORY_LABELS) + 1
    labels = [r["label_de"] for r in rows.values()]
    assert labels.index("Bäckerei") < labels.index("Buchhandlung")  # German order
    assert main(["categories", "suggest", "Florist", "--json"], environ=env) == 0
    assert json.loads(capsys.readouterr().out)["nearest"][0]["slug"] == "flowers"
    assert (
        main(
            [
                "member",
                "add",
                "rad",
                "--name",
                "Rad",
                "--website",
                "https://rad.example/",
                "--category",
                "Fahrradwerkstatt",
            ],
            environ=env,
        )
        == 2
    )
    err = capsys.readouterr().err
    assert "lower-case letters a-z" in err and "nearest: fahrradwerkstatt" in err
    assert (
        main(["categories", "add", "fahrradwerkstatt", "--label-de", "Doppelt"], environ=env) == 1
    )
