"""The rules editor in plain language (issue 11, point 4): help that follows the strategy,
knobs a strategy ignores hidden, weights and fixed places in the form, the served
reference, versions numbered right, and the simulator's figures in words."""

from __future__ import annotations

import dataclasses
import html
import re
from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio

from tests.admin_helpers import make_account, post, signed_in
from tests.test_admin_rules import URL, knob_form
from widget_server.network.rules import set_rules
from widget_server.storage import SQLiteStorage

pytestmark = pytest.mark.asyncio

MEMBERS = "blumen,brautmoden,catering,fotos,scheune"


@pytest_asyncio.fixture
async def admin(
    network: dict[str, int], storage: SQLiteStorage, client: httpx.AsyncClient
) -> AsyncIterator[httpx.AsyncClient]:
    await make_account(storage)
    await signed_in(client)
    yield client


def shown(page: str, marker: str) -> bool:
    """Is the element carrying ``marker`` rendered without ``hidden``?"""
    found = re.search(rf"<[^>]*{re.escape(marker)}[^>]*>", page)
    assert found, marker
    return " hidden" not in found.group(0)


async def test_the_editor_speaks_plainly_and_keeps_terms_for_the_advanced(
    admin: httpx.AsyncClient,
) -> None:
    page = html.unescape((await admin.get(URL)).text)
    assert "Wie streng soll Geben und Nehmen ausgeglichen werden?" in page
    main, advanced = page.split("Für Fortgeschrittene", 1)
    assert "α" not in main.split("<main", 1)[1] and "Gini" not in main
    assert "Gegenseitigkeit α" in advanced and "Ausgleichsstärke β" in advanced
    assert "docs/rotation.md" not in page
    assert "Was jede Regel bedeutet" in page


async def test_the_help_and_the_knobs_follow_the_chosen_strategy(admin: httpx.AsyncClient) -> None:
    page = (await admin.get(URL)).text
    assert shown(page, 'data-strategy-help="fair-exchange"')
    assert not shown(page, 'data-strategy-help="weighted"')
    assert shown(page, 'data-strategies="fair-exchange"')
    weighted = await post(admin, URL, {**knob_form(strategy="weighted"), "action": "preview"})
    assert weighted.status_code == 200
    text = weighted.text
    assert shown(text, 'data-strategy-help="weighted"')
    assert not shown(text, 'data-strategy-help="fair-exchange"')
    assert not shown(text, 'data-strategies="fair-exchange"')  # α, β, half-life hidden
    assert shown(text, 'data-strategies="weighted fair-exchange"')  # weights and the cap


async def test_weights_fixed_places_and_the_order_are_set_in_the_form(
    admin: httpx.AsyncClient, storage: SQLiteStorage
) -> None:
    form = {
        **knob_form(strategy="weighted"),
        "members": MEMBERS,
        "member.blumen.weight": "2,5",
        "member.fotos.pin": "1",
        "member.scheune.order": "1",
        "action": "save",
    }
    saved = await post(admin, URL, form)
    assert saved.status_code == 303, saved.text
    theme = await storage.get_theme("hochzeit")
    rule_set = await storage.get_rule_set(theme.id)
    assert rule_set is not None
    assert rule_set.rules["weights"] == {"blumen": 2.5}
    assert rule_set.rules["pins"] == [{"member": "fotos", "position": 1}]
    assert rule_set.rules["order"] == ["scheune"]
    assert rule_set.author == "admin:koordination"
    page = (await admin.get(URL)).text
    assert re.search(r'name="member\.blumen\.weight" value="2\.5"', page)
    bad = await post(admin, URL, {**form, "member.blumen.weight": "viel", "version": "1"})
    assert bad.status_code == 422
    assert 'id="f-member-blumen-weight-error"' in bad.text


def table_slugs(page: str) -> list[str]:
    return re.findall(r'name="member\.([^."]+)\.weight"', page)


async def test_a_large_themes_member_table_lists_those_with_settings_and_those_searched(
    admin: httpx.AsyncClient, storage: SQLiteStorage, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past ``MEMBER_TABLE_ALL`` members (a theme of thousands: a page of 10 MB) the table
    lists the members with a setting of their own and those found by name; a save
    changes only the members the table showed."""
    from widget_server.web.endpoints.admin import rules as admin_rules

    everyone = table_slugs((await admin.get(URL)).text)
    assert len(everyone) >= 5 and "member-find" not in (await admin.get(URL)).text
    monkeypatch.setattr(admin_rules, "MEMBER_TABLE_ALL", 2)
    await set_rules(storage, "hochzeit", {"strategy": "weighted", "weights": {"blumen": 3}}, "cli")
    page = (await admin.get(URL)).text
    assert table_slugs(page) == ["blumen"]
    assert re.search(r'name="members" value="blumen"', page)
    assert f"Dieses Thema hat {len(everyone)} Mitglieder" in page
    assert '<form id="member-find" method="get"' in page and 'form="member-find"' in page
    found = (await admin.get(URL + "?find=festSCHEUNE")).text  # any case, part of the name
    assert table_slugs(found) == ["blumen", "scheune"]  # in German order of their names
    assert "Kein Mitglied" in (await admin.get(URL + "?find=zzz")).text
    form = {
        **knob_form(strategy="weighted"),
        "version": "1",
        "base": '{"strategy": "weighted", "weights": {"blumen": 3}}',
        "members": "scheune,blumen",
        "member.scheune.weight": "2",
        "member.blumen.weight": "3",
        "action": "save",
    }
    saved = await post(admin, URL, form)
    assert saved.status_code == 303, saved.text
    rule_set = await storage.get_rule_set((await storage.get_theme("hochzeit")).id)
    assert rule_set is not None and rule_set.rules["weights"] == {"blumen": 3, "scheune": 2}
    page = (await admin.get(URL)).text
    assert table_slugs(page) == ["blumen", "scheune"]  # both have a weight now
    bad = await post(admin, URL, {**form, "member.scheune.weight": "viel", "version": "2"})
    assert bad.status_code == 422 and table_slugs(bad.text) == ["blumen", "scheune"]


async def test_the_versions_are_numbered_once_and_right(
    admin: httpx.AsyncClient, storage: SQLiteStorage
) -> None:
    for n in (2, 3):
        await set_rules(storage, "hochzeit", {"partners": {"max": n}}, "cli")
    page = (await admin.get(URL)).text
    versions = re.search(r'<ul class="versions">(.*?)</ul>', page, re.S)
    assert versions and "<ol" not in page.split("Frühere Versionen")[-1]
    found = re.findall(r"<strong>Version (\d+)</strong>", versions.group(1))
    assert found == ["2", "1"]


@pytest.mark.parametrize(
    ("lang", "text"),
    [("de", "Wie streng soll Geben und Nehmen"), ("en", "How strictly should giving and taking")],
)
async def test_the_rules_reference_is_served_in_german_and_english(
    admin: httpx.AsyncClient, lang: str, text: str
) -> None:
    page = await admin.get(f"/admin/rules-reference?lang={lang}")
    assert page.status_code == 200
    assert text in page.text and "fairness.alpha" in page.text


async def test_the_simulator_says_in_words_what_the_figures_mean(admin: httpx.AsyncClient) -> None:
    page = await admin.get("/admin/themes/hochzeit/simulate?run=1&days=14&views=500&zipf=1.5")
    assert page.status_code == 200
    text = html.unescape(page.text)
    words = re.search(r'<ul class="words">(.*?)</ul>', text, re.S)
    assert words
    sentences = re.findall(r"<li>(.*?)</li>", words.group(1), re.S)
    assert sentences
    assert any(
        ("gibt mehr als es zurückbekommt" in s and "weil" in s)
        or "bekommen etwa so viel zurück" in s
        or "bekommt etwa so viel zurück" in s
        for s in sentences
    )
    assert "Zipf-Exponent" in text.split("Fachbegriff")[1]  # named, explained, not the label


async def test_hostile_member_names_in_the_member_table_are_inert(
    admin: httpx.AsyncClient, storage: SQLiteStorage
) -> None:
    member = await storage.get_member("blumen")
    hostile = '<img src=x onerror=alert(1)> "x"'
    await storage.update_member(dataclasses.replace(member, name=hostile))
    page = await admin.get(URL)
    assert page.status_code == 200
    assert "<img src=x" not in page.text and "&lt;img src=x" in page.text
