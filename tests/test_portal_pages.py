"""Portal pages: the overview, the code with guides and live preview, the figures."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
import pytest_asyncio
from starlette.applications import Starlette

from tests.conftest import Clock
from tests.portal_helpers import open_portal
from widget_server.core.models import CounterRow
from widget_server.core.signing import Signer
from widget_server.counting.events import day_of
from widget_server.network.services import add_theme, placement_for, set_membership_status
from widget_server.serving.snippets import iframe_snippet, placement_snippet
from widget_server.storage import SQLiteStorage

pytestmark = pytest.mark.asyncio


@pytest_asyncio.fixture
async def portal(
    network: dict[str, int],
    storage: SQLiteStorage,
    client: httpx.AsyncClient,
    signer: Signer,
    clock: Clock,
) -> AsyncIterator[httpx.AsyncClient]:
    """Blumenhaus am Markt's portal, opened by its link."""
    await open_portal(client, storage, signer, clock, "blumen")
    yield client


async def seed_counts(storage: SQLiteStorage, clock: Clock, ids: dict[str, int]) -> None:
    """Blumen showed partners 40 times on two days and was shown 25 times; 3 clicks to it."""
    theme = (await storage.get_theme("hochzeit")).id
    today = day_of(clock())
    blumen, catering = ids["blumen"], ids["catering"]
    await storage.add_counts(
        [
            CounterRow(today, theme, blumen, catering, "viewed", 30, 30.0),
            CounterRow(today - timedelta(days=3), theme, blumen, catering, "viewed", 10, 10.0),
            CounterRow(today, theme, catering, blumen, "viewed", 25, 25.0),
            CounterRow(today, theme, catering, blumen, "clicked", 3),
            CounterRow(today - timedelta(days=40), theme, catering, blumen, "viewed", 1000, 1.0),
        ]
    )


async def member_ids(storage: SQLiteStorage) -> dict[str, int]:
    return {m.slug: m.id for m in await storage.list_members()}


async def test_the_overview_greets_the_member_with_its_last_30_days(
    portal: httpx.AsyncClient, storage: SQLiteStorage, clock: Clock
) -> None:
    await seed_counts(storage, clock, await member_ids(storage))
    page = await portal.get("/portal/")
    assert page.status_code == 200
    numbers = re.findall(r'<span class="tile-number">([^<]+)</span>', page.text)
    assert numbers == ["40", "25", "3"]  # the day 40 days ago is outside the window
    assert "Mal haben Sie Partner gezeigt" in page.text
    for route in ("/portal/code", "/portal/figures", "/portal/profile", "/portal/themes"):
        assert f'href="http://testserver{route}"' in page.text
    assert "Hochzeit" in page.text and "badge-active" in page.text
    assert "Ihr persönlicher Link gilt bis 22.01.2027, 08:00 UTC" in page.text


async def test_the_code_page_gives_the_clis_code_for_every_theme_the_member_is_in(
    portal: httpx.AsyncClient, storage: SQLiteStorage, signer: Signer
) -> None:
    await add_theme(storage, slug="innenstadt", name_de="Innenstadt", name_en="Town", kind="local")
    await set_membership_status(storage, "blumen", "innenstadt", "paused")
    page = await portal.get("/portal/code")
    assert page.status_code == 200
    for slug in ("hochzeit", "innenstadt"):
        _, theme, placement = await placement_for(storage, "blumen", slug)
        token = signer.embed_token(placement.id)
        snippet = placement_snippet("http://testserver", token, theme)
        field = rf'<textarea id="code-{slug}" class="copy-field code snippet" readonly[^>]*>'
        found = re.search(field + r"(.*?)</textarea>", page.text, re.S)
        assert found, slug
        assert html.unescape(found.group(1)) == snippet
        iframe = iframe_snippet("http://testserver", token, title=theme.name("de"))
        found = re.search(rf'<textarea id="iframe-{slug}"[^>]*>(.*?)</textarea>', page.text, re.S)
        assert found and html.unescape(found.group(1)) == iframe
        joint = placement_snippet("http://testserver", token, theme, show="partners,offer,event")
        found = re.search(rf'<textarea id="joint-{slug}"[^>]*>(.*?)</textarea>', page.text, re.S)
        assert found and html.unescape(found.group(1)) == joint
        assert 'data-show="partners,offer,event"></div>' in joint
        assert f'value="http://testserver/w/{token}.html"' in page.text
        assert f'src="/portal/preview/{slug}"' in page.text
    # without JavaScript the copy buttons stay hidden; the field is there to select
    buttons = re.findall(r"<button[^>]*data-copy=[^>]*>", page.text)
    assert len(buttons) == 8 and all(" hidden" in b for b in buttons)
    assert "Ihr Block zeigt weiter Partner" in page.text  # the paused theme says so
    for guide in ("WordPress", "Jimdo", "Wix", "IONOS MyWebsite", "Eigene HTML-Seite"):
        assert f'<span class="guide-name">{guide}</span>' in page.text
    assert "Individuelles HTML" in page.text and "Widget/HTML" in page.text
    # The WordPress guide starts with the plugin the server offers.
    assert re.search(r'<a href="[^"]*/downloads/partnerkreis-wordpress\.zip" download>', page.text)


async def test_a_theme_the_member_left_has_no_code_and_the_guides_come_in_english(
    portal: httpx.AsyncClient, storage: SQLiteStorage
) -> None:
    await set_membership_status(storage, "blumen", "hochzeit", "left")
    page = await portal.get("/portal/code?lang=en")
    assert "code-hochzeit" not in page.text
    assert "You are not taking part in any theme at the moment" in page.text
    assert "Custom HTML" in page.text and "Your own HTML page" in page.text
    assert (await portal.get("/portal/preview/hochzeit")).status_code == 404


def partner_names(block_html: str) -> list[str]:
    return [
        html.unescape(n) for n in re.findall(r'<span class="pk-name">([^<]+)</span>', block_html)
    ]


async def test_the_preview_is_the_block_visitors_see_now_and_counts_nothing(
    portal: httpx.AsyncClient, network: dict[str, int], signer: Signer, app: Starlette
) -> None:
    counting = app.state.runtime.counting
    token = signer.embed_token(network["blumen"])
    seen = (await portal.get(f"/w/{token}")).json()
    counting.buffer.drain()
    preview = await portal.get("/portal/preview/hochzeit")
    assert preview.status_code == 200
    assert len(counting.buffer) == 0  # the preview is not a visitor
    assert partner_names(preview.text) == [p["name"] for p in seen["partners"]]
    assert len(seen["partners"]) == 3
    assert re.search(
        r'<link rel="stylesheet" href="http://testserver/static/blocks-[0-9a-f]{16}\.css">',
        preview.text,
    )
    assert "<script" not in preview.text


async def test_the_figures_page_draws_given_and_received_per_theme_with_a_table(
    portal: httpx.AsyncClient, storage: SQLiteStorage, clock: Clock
) -> None:
    await seed_counts(storage, clock, await member_ids(storage))
    page = await portal.get("/portal/figures")
    assert page.status_code == 200
    assert page.text.count('<svg xmlns="http://www.w3.org/2000/svg" class="chart') == 2
    assert 'aria-labelledby="portal-themes-title portal-themes-desc"' in page.text
    row = re.search(r'<th scope="row">Hochzeit</th>(.*?)</tr>', page.text, re.S)
    assert row
    cells = re.findall(r'<td class="num">([^<]+)</td>', row.group(1))
    assert cells == ["40", "25", "0", "3", "0,62"]
    assert '<option value="30" selected>' in page.text
    week = await portal.get("/portal/figures?days=7")
    assert '<option value="7" selected>' in week.text
    bad = await portal.get("/portal/figures?days=12345")
    assert '<option value="30" selected>' in bad.text


async def test_without_figures_the_page_says_what_will_appear(portal: httpx.AsyncClient) -> None:
    page = await portal.get("/portal/figures")
    assert "Für diesen Zeitraum gibt es noch keine Zahlen" in page.text
    english = await portal.get("/portal/figures?lang=en")
    assert "There are no figures for this period yet" in english.text
