"""Counting served, viewed and clicked blocks: every rule, over HTTP, in-process."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from tests.conftest import BROWSER, Clock, reopened
from tests.counting_helpers import (
    beacon,
    rejected,
    served_block,
    stored,
)
from widget_server.core.errors import StorageError
from widget_server.core.signing import Signer
from widget_server.counting.events import BLOCK
from widget_server.counting.intake import (
    CLICKS_PER_MINUTE,
    VIEW_TOKEN_MAX_AGE,
    VIEWS_PER_ADDRESS_AND_HOST,
    VIEWS_PER_MINUTE,
)
from widget_server.rotation.fairness import exposure
from widget_server.storage import SQLiteStorage
from widget_server.web.app import create_app

pytestmark = pytest.mark.asyncio


async def test_a_view_credits_every_partner_with_its_position_exposure(
    network: dict[str, int],
    storage: SQLiteStorage,
    app: Starlette,
    visitor: httpx.AsyncClient,
    signer: Signer,
) -> None:
    block = await served_block(visitor, signer.embed_token(network["blumen"]))
    assert block["view"].startswith("http://testserver/v/")
    await beacon(visitor, block["view"])
    viewed = await stored(app, storage, "viewed")
    host = (await storage.get_member("blumen")).id
    by_partner = {r.partner_id: r for r in viewed}
    names = {m.id: m.name for m in await storage.list_members()}
    for position, partner in enumerate(block["partners"], start=1):
        row = next(r for pid, r in by_partner.items() if names.get(pid) == partner["name"])
        assert (row.host_id, row.count) == (host, 1)
        assert row.exposure == pytest.approx(exposure(position))
    assert by_partner[BLOCK].count == 1  # the block view itself
    assert len(viewed) == len(block["partners"]) + 1


async def test_served_blocks_are_counted_per_partner(
    network: dict[str, int],
    storage: SQLiteStorage,
    app: Starlette,
    visitor: httpx.AsyncClient,
    signer: Signer,
) -> None:
    token = signer.embed_token(network["fotos"])
    for _ in range(3):
        await served_block(visitor, token)
    served = await stored(app, storage, "served")
    assert {r.count for r in served} == {3}
    assert len(served) == 4  # three partners and the block


async def test_a_view_token_counts_only_once(
    network: dict[str, int],
    storage: SQLiteStorage,
    app: Starlette,
    visitor: httpx.AsyncClient,
    signer: Signer,
) -> None:
    block = await served_block(visitor, signer.embed_token(network["blumen"]))
    await beacon(visitor, block["view"])
    await beacon(visitor, block["view"])
    assert await rejected(app) == {"replayed": 1}
    assert {r.count for r in await stored(app, storage, "viewed")} == {1}


async def test_a_visitor_earns_the_host_one_view_per_theme_per_day(
    network: dict[str, int],
    storage: SQLiteStorage,
    app: Starlette,
    visitor: httpx.AsyncClient,
    signer: Signer,
    clock: Clock,
) -> None:
    token = signer.embed_token(network["blumen"])
    # Two blocks of the same theme on one page, then a reload: one credit.
    for _ in range(3):
        await beacon(visitor, (await served_block(visitor, token))["view"])
    assert await rejected(app) == {"already-counted": 2}
    # Another person (another browser) counts again.
    await beacon(visitor, (await served_block(visitor, token))["view"], **{"User-Agent": "Firefox"})
    clock.advance(86_400)  # and the same person tomorrow
    await beacon(visitor, (await served_block(visitor, token))["view"])
    blocks = [r for r in await stored(app, storage, "viewed") if r.partner_id == BLOCK]
    assert sum(r.count for r in blocks) == 3


@pytest.mark.parametrize(
    ("origin", "credited"),
    [
        ("https://blumen.example", True),
        ("https://www.blumen.example", True),
        ("https://blumen.example:8443", True),
        ("https://fotos.example", False),  # another member's site
        ("https://blumen.example.evil.example", False),
        ("null", False),
        ("", False),
    ],
)
async def test_a_view_counts_only_from_the_host_members_own_domains(
    network: dict[str, int],
    storage: SQLiteStorage,
    app: Starlette,
    visitor: httpx.AsyncClient,
    signer: Signer,
    origin: str,
    credited: bool,
) -> None:
    block = await served_block(visitor, signer.embed_token(network["blumen"]))
    await beacon(visitor, block["view"], origin=origin)
    assert bool(await stored(app, storage, "viewed")) is credited
    assert await rejected(app) == ({} if credited else {"foreign-origin": 1})


async def test_the_referer_serves_when_there_is_no_origin(
    network: dict[str, int],
    storage: SQLiteStorage,
    app: Starlette,
    visitor: httpx.AsyncClient,
    signer: Signer,
) -> None:
    block = await served_block(visitor, signer.embed_token(network["blumen"]))
    response = await visitor.post(block["view"], headers={"Referer": "https://blumen.example/x"})
    assert response.status_code == 204
    assert await stored(app, storage, "viewed")


@pytest.mark.parametrize(
    "agent",
    [
        "Googlebot/2.1 (+http://www.google.com/bot.html)",
        "Mozilla/5.0 (compatible; bingbot/2.0)",
        "Mozilla/5.0 AppleWebKit/537.36 HeadlessChrome/130.0",
        "facebookexternalhit/1.1",
        "curl/8.5.0",
        "python-requests/2.32",
        "",
    ],
)
async def test_bots_are_not_counted(
    network: dict[str, int],
    storage: SQLiteStorage,
    app: Starlette,
    visitor: httpx.AsyncClient,
    signer: Signer,
    agent: str,
) -> None:
    block = await served_block(visitor, signer.embed_token(network["blumen"]))
    await beacon(visitor, block["view"], **{"User-Agent": agent})
    click = await visitor.get(block["partners"][0]["url"], headers={"User-Agent": agent})
    assert click.status_code == 302  # still redirected
    assert await stored(app, storage, "viewed") == []
    assert await stored(app, storage, "clicked") == []
    assert await rejected(app) == {"bot": 2}


async def test_views_per_address_are_rate_limited(
    network: dict[str, int],
    storage: SQLiteStorage,
    app: Starlette,
    visitor: httpx.AsyncClient,
    signer: Signer,
) -> None:
    token = signer.embed_token(network["blumen"])
    for n in range(VIEWS_PER_MINUTE + 5):
        block = await served_block(visitor, token)
        await beacon(visitor, block["view"], **{"User-Agent": f"{BROWSER} #{n}"})
    # Past the minute's limit nothing is even looked at; of the rest, the daily cap of
    # one address on one host lets VIEWS_PER_ADDRESS_AND_HOST through.
    assert await rejected(app) == {
        "rate-limited": 5,
        "capped": VIEWS_PER_MINUTE - VIEWS_PER_ADDRESS_AND_HOST,
    }


async def test_an_expired_view_token_is_not_counted(
    network: dict[str, int],
    storage: SQLiteStorage,
    app: Starlette,
    visitor: httpx.AsyncClient,
    signer: Signer,
    clock: Clock,
) -> None:
    block = await served_block(visitor, signer.embed_token(network["blumen"]))
    clock.advance(VIEW_TOKEN_MAX_AGE + 1)
    await beacon(visitor, block["view"])
    await beacon(visitor, "http://testserver/v/forged.token")
    assert await rejected(app) == {"expired": 1, "bad-token": 1}
    assert await stored(app, storage, "viewed") == []


async def test_a_click_counts_once_and_only_after_a_view_of_that_block(
    network: dict[str, int],
    storage: SQLiteStorage,
    app: Starlette,
    visitor: httpx.AsyncClient,
    signer: Signer,
) -> None:
    block = await served_block(visitor, signer.embed_token(network["blumen"]))
    link = block["partners"][0]["url"]
    assert (await visitor.get(link)).status_code == 302
    assert await rejected(app) == {"no-view": 1}
    await beacon(visitor, block["view"])
    for _ in range(2):
        assert (await visitor.get(link)).status_code == 302
    assert await rejected(app) == {"no-view": 1, "already-counted": 1}
    clicked = await stored(app, storage, "clicked")
    assert [(r.count, r.host_id) for r in clicked] == [(1, (await storage.get_member("blumen")).id)]


async def test_a_click_after_the_link_expired_redirects_but_does_not_count(
    network: dict[str, int],
    storage: SQLiteStorage,
    app: Starlette,
    visitor: httpx.AsyncClient,
    signer: Signer,
    clock: Clock,
) -> None:
    block = await served_block(visitor, signer.embed_token(network["blumen"]))
    await beacon(visitor, block["view"])
    clock.advance(app.state.runtime.settings.click_token_max_age + 1)
    assert (await visitor.get(block["partners"][0]["url"])).status_code == 302
    assert await rejected(app) == {"expired": 1}


async def test_clicks_per_address_are_rate_limited(
    network: dict[str, int],
    app: Starlette,
    visitor: httpx.AsyncClient,
    signer: Signer,
) -> None:
    block = await served_block(visitor, signer.embed_token(network["blumen"]))
    await beacon(visitor, block["view"])
    for _ in range(CLICKS_PER_MINUTE + 3):
        await visitor.get(block["partners"][0]["url"])
    assert (await rejected(app))["rate-limited"] == 3


async def test_pinned_exposure_that_does_not_count_is_kept_out_of_the_ledger(
    network: dict[str, int],
    storage: SQLiteStorage,
    app: Starlette,
    visitor: httpx.AsyncClient,
    signer: Signer,
) -> None:
    theme = await storage.get_theme("hochzeit")
    pin = {"member": "scheune", "position": 1, "counts_in_ledger": False}
    await storage.add_rule_set(theme.id, {"pins": [pin]}, "test")
    await app.state.runtime.snapshots.refresh()
    block = await served_block(visitor, signer.embed_token(network["blumen"]))
    assert block["partners"][0]["name"] == "Festscheune Wulfshof"
    await beacon(visitor, block["view"])
    scheune = (await storage.get_member("scheune")).id
    rows = {r.partner_id: r for r in await stored(app, storage, "viewed")}
    assert (rows[scheune].count, rows[scheune].exposure) == (1, 0.0)
    others = [r for pid, r in rows.items() if pid not in (scheune, BLOCK)]
    assert sorted(r.exposure for r in others) == pytest.approx([exposure(3), exposure(2)])


async def test_counts_reach_the_fairness_ledger_without_a_restart(
    network: dict[str, int],
    storage: SQLiteStorage,
    app: Starlette,
    visitor: httpx.AsyncClient,
    signer: Signer,
) -> None:
    runtime = app.state.runtime
    host = (await storage.get_member("blumen")).id
    theme = (await storage.get_theme("hochzeit")).id
    before = runtime.snapshots.current.pools[theme].balances[host]
    block = await served_block(visitor, signer.embed_token(network["blumen"]))
    await beacon(visitor, block["view"])
    await runtime.counting.flush(runtime.storage)
    await runtime.snapshots.refresh_ledger()
    after = runtime.snapshots.current.pools[theme].balances[host]
    assert before.given == 0
    assert after.given == pytest.approx(sum(exposure(r) for r in (1, 2, 3)))
    assert after.multiplier > before.multiplier  # it gave, so the network owes it
    shown = {m.id for m in await storage.list_members() if m.name == block["partners"][0]["name"]}
    partner = runtime.snapshots.current.pools[theme].balances[shown.pop()]
    assert partner.received > 0
    assert partner.multiplier < 1  # it received without giving


async def test_a_failed_flush_keeps_the_counts_for_the_next_one(
    network: dict[str, int],
    storage: SQLiteStorage,
    app: Starlette,
    visitor: httpx.AsyncClient,
    signer: Signer,
) -> None:

    runtime = app.state.runtime
    await served_block(visitor, signer.embed_token(network["blumen"]))
    broken = reopened(storage)  # never opened: every write fails
    with pytest.raises(StorageError):
        await runtime.counting.flush(broken)
    assert await runtime.counting.flush(runtime.storage) == 4
    assert len(await storage.list_counts()) == 4


# -- reports --------------------------------------------------------------------------------


async def test_members_see_what_they_gave_and_received(
    network: dict[str, int],
    storage: SQLiteStorage,
    app: Starlette,
    visitor: httpx.AsyncClient,
    signer: Signer,
) -> None:
    from widget_server.network.keys import create_key

    block = await served_block(visitor, signer.embed_token(network["blumen"]))
    await beacon(visitor, block["view"])
    assert (await visitor.get(block["partners"][0]["url"])).status_code == 302
    await app.state.runtime.counting.flush(app.state.runtime.storage)
    _, own = await create_key(storage, "member:blumen")
    _, other = await create_key(storage, "member:fotos")
    _, coordinator = await create_key(storage, "coordinator")

    response = await visitor.get(
        "/api/v1/stats/members/blumen", headers={"Authorization": f"Bearer {own}"}
    )
    assert response.status_code == 200
    theme = response.json()["themes"][0]
    assert (theme["theme"], theme["views_given"], theme["views_received"]) == ("hochzeit", 3, 0)
    assert (theme["clicks_given"], theme["clicks_received"], theme["balance"]) == (1, 0, 0.0)
    assert theme["days"][0]["views_given"] == 3

    clicked = next(
        m for m in await storage.list_members() if m.name == block["partners"][0]["name"]
    )
    partner = await visitor.get(
        f"/api/v1/stats/members/{clicked.slug}",
        headers={"Authorization": f"Bearer {coordinator}"},
    )
    received = partner.json()["themes"][0]
    assert (received["views_received"], received["clicks_received"]) == (1, 1)

    denied = await visitor.get(
        "/api/v1/stats/members/blumen", headers={"Authorization": f"Bearer {other}"}
    )
    assert denied.status_code == 403
    csv_export = await visitor.get(
        "/api/v1/stats/members/blumen?format=csv", headers={"Authorization": f"Bearer {own}"}
    )
    assert csv_export.headers["content-type"].startswith("text/csv")
    lines = csv_export.text.strip().splitlines()
    assert (
        lines[0]
        == "day,theme,member,views_given,views_received,clicks_given,clicks_received,balance"
    )
    assert lines[1].split(",")[1:7] == ["hochzeit", "blumen", "3", "0", "1", "0"]

    theme_report = await visitor.get(
        "/api/v1/stats/themes/hochzeit", headers={"Authorization": f"Bearer {coordinator}"}
    )
    report = theme_report.json()
    assert report["totals"] == {
        "blocks_served": 1,
        "blocks_viewed": 1,
        "views": 3,
        "clicks": 1,
    }
    assert report["balances"]["members"] == 1  # only blumen gave anything
    forbidden = await visitor.get(
        "/api/v1/stats/themes/hochzeit", headers={"Authorization": f"Bearer {own}"}
    )
    assert forbidden.status_code == 403


async def test_with_counting_switched_off_blocks_carry_no_view_token_and_nothing_is_counted(
    network: dict[str, int],
    settings: Any,
    storage: SQLiteStorage,
    clock: Clock,
    signer: Signer,
) -> None:

    app = create_app(settings.with_changes(counting=False), storage=reopened(storage), clock=clock)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://testserver", headers={"User-Agent": BROWSER}
        ) as client:
            block = await served_block(client, signer.embed_token(network["blumen"]))
            assert block["view"] is None
            assert len(block["partners"]) == 3
            assert (await client.get(block["partners"][0]["url"])).status_code == 302
        await app.state.runtime.counting.flush(app.state.runtime.storage)
    assert await storage.list_counts() == []
