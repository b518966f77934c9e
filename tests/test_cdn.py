"""Blocks a shared cache may serve (issue 19, point 2), over HTTP, in-process.

The block body is the same for every visitor of its bucket; the one-time view
token comes from the exchange of the body's view link.  Whatever a cache or an
attacker does with one body, the counts stay within the rules.
"""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from starlette.applications import Starlette

from tests.conftest import BROWSER, Clock
from tests.counting_helpers import HOST_PAGE, beacon, exchanged, rejected, stored
from widget_server.core.errors import BadTokenError
from widget_server.core.signing import Signer
from widget_server.counting.events import BLOCK
from widget_server.counting.intake import VIEWS_PER_ADDRESS_AND_HOST
from widget_server.counting.served import SERVED_TOKEN_MAX_AGE
from widget_server.storage import SQLiteStorage
from widget_server.web.endpoints.widget import BLOCK_MAX_AGE

pytestmark = pytest.mark.asyncio


@asynccontextmanager
async def browser_at(app: Starlette, address: str) -> AsyncIterator[httpx.AsyncClient]:
    """A visitor's browser at its own network address."""
    transport = httpx.ASGITransport(app=app, client=(address, 50000))
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver", headers={"User-Agent": BROWSER}
    ) as c:
        yield c


def served_total(rows: list) -> int:  # type: ignore[type-arg]
    return sum(r.count for r in rows if r.partner_id == BLOCK)


async def test_a_block_is_public_until_its_bucket_ends_with_a_strong_etag(
    network: dict[str, int], client: httpx.AsyncClient, signer: Signer, clock: Clock
) -> None:
    clock.advance(100 - clock.now % 300)  # 200 s before a bucket (of 300 s) ends
    path = f"/w/{signer.embed_token(network['blumen'])}"
    first = await client.get(path)
    clock.advance(50)
    second = await client.get(path)
    assert first.content == second.content  # nothing per visitor in it
    assert first.json()["view"].startswith("http://testserver/v/")
    assert first.headers["cache-control"] == "public, max-age=200"
    assert second.headers["cache-control"] == "public, max-age=150"  # counts down
    etag = first.headers["etag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    assert second.headers["etag"] == etag
    assert "vary" not in first.headers  # the body depends on the URL (and Host) only
    assert "set-cookie" not in first.headers
    again = await client.get(path, headers={"If-None-Match": f'"other", {etag}'})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    assert again.headers["cache-control"] == "public, max-age=150"
    assert (await client.get(path, headers={"If-None-Match": '"other"'})).status_code == 200


async def test_a_long_bucket_is_cached_for_at_most_the_block_max_age(
    network: dict[str, int], client: httpx.AsyncClient, signer: Signer, clock: Clock
) -> None:
    clock.advance(300 - clock.now % 300)  # a bucket's first second
    response = await client.get(f"/w/{signer.embed_token(network['blumen'])}")
    assert response.headers["cache-control"] == f"public, max-age={min(300, BLOCK_MAX_AGE)}"


async def test_the_iframe_page_has_a_strong_etag_too(
    network: dict[str, int], client: httpx.AsyncClient, signer: Signer
) -> None:
    path = f"/w/{signer.embed_token(network['blumen'])}.html"
    first = await client.get(path)
    assert first.headers["cache-control"].startswith("public, max-age=")
    again = await client.get(path, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert again.content == b""
    assert "content-length" not in again.headers or again.headers["content-length"] == str(
        len(first.content)
    )
    assert again.headers["content-security-policy"] == first.headers["content-security-policy"]


async def test_the_iframe_page_is_counted_served_by_its_exchange_not_its_fetch(
    network: dict[str, int], storage: SQLiteStorage, app: Starlette, signer: Signer
) -> None:
    async with browser_at(app, "198.51.100.7") as browser:
        page = await browser.get(f"/w/{signer.embed_token(network['blumen'])}.html")
        assert served_total(await stored(app, storage, "served")) == 0
        found = re.search(r'<body class="pk-root" data-view="([^"]+)">', page.text)
        assert found, page.text
        assert "connect-src http://testserver/v/;" in page.headers["content-security-policy"]
        assert (await browser.post(html.unescape(found.group(1)))).status_code == 200
    assert served_total(await stored(app, storage, "served")) == 1


async def test_fetching_a_block_counts_nothing_its_exchange_counts_it_served(
    network: dict[str, int], storage: SQLiteStorage, app: Starlette, signer: Signer
) -> None:
    async with browser_at(app, "198.51.100.7") as browser:
        block = (await browser.get(f"/w/{signer.embed_token(network['blumen'])}")).json()
        assert served_total(await stored(app, storage, "served")) == 0
        answer = await browser.post(block["view"])
        assert answer.status_code == 200
        assert answer.headers["access-control-allow-origin"] == "*"
        assert answer.headers["cache-control"] == "no-store"
        assert "set-cookie" not in answer.headers
        assert answer.json()["view"].startswith("http://testserver/v/")
    assert served_total(await stored(app, storage, "served")) == 1


async def test_one_cached_body_replayed_everywhere_counts_only_what_the_rules_allow(
    network: dict[str, int], storage: SQLiteStorage, app: Starlette, signer: Signer
) -> None:
    """One body, fetched once; its view link exchanged and its beacons sent again and
    again from many addresses: once per visitor and day, within the caps, and a used
    beacon never again."""
    async with browser_at(app, "198.51.100.7") as first:
        link = (await first.get(f"/w/{signer.embed_token(network['blumen'])}")).json()["view"]
    used: list[str] = []
    for n in range(12):  # twelve visitors, each reloading three times
        async with browser_at(app, f"203.0.113.{n + 1}") as browser:
            for _ in range(3):
                view = await exchanged(browser, link)
                await beacon(browser, view)
                await beacon(browser, view)  # the browser sends it again
                used.append(view)
    for i, view in enumerate(used):  # every used beacon from an address of its own
        async with browser_at(app, f"192.0.2.{i + 1}") as stranger:
            await beacon(stranger, view)
    async with browser_at(app, "198.18.0.1") as farm:  # one address, many user agents
        for n in range(VIEWS_PER_ADDRESS_AND_HOST + 10):
            view = await exchanged(farm, link, **{"User-Agent": f"{BROWSER} #{n}"})
            await beacon(farm, view, **{"User-Agent": f"{BROWSER} #{n}"})
    viewed = served_total(await stored(app, storage, "viewed"))
    assert viewed == 12 + VIEWS_PER_ADDRESS_AND_HOST
    assert await rejected(app) == {
        "replayed": 12 * 3 + len(used),
        "already-counted": 12 * 2,
        "capped": 10,
    }
    # Served: one per exchange, as many as the blocks the loader showed.
    assert served_total(await stored(app, storage, "served")) == 12 * 3 + 30


async def test_a_view_link_is_no_beacon_and_a_forged_one_is_refused(
    network: dict[str, int], storage: SQLiteStorage, app: Starlette, signer: Signer
) -> None:
    async with browser_at(app, "198.51.100.7") as browser:
        link = (await browser.get(f"/w/{signer.embed_token(network['blumen'])}")).json()["view"]
        # Posted as the view beacon (as an old loader would): exchanged, never a view.
        assert (await browser.post(link, headers={"Origin": HOST_PAGE})).status_code == 200
        forged = await browser.post(link[:-3] + "abc")
        assert forged.status_code == 400
        assert forged.headers["content-type"] == "application/problem+json"
        assert forged.json()["code"] == "bad-token"
        assert forged.headers["access-control-allow-origin"] == "*"
    assert served_total(await stored(app, storage, "viewed")) == 0
    assert served_total(await stored(app, storage, "served")) == 1


async def test_an_old_view_link_expires(
    network: dict[str, int], app: Starlette, signer: Signer, clock: Clock
) -> None:
    async with browser_at(app, "198.51.100.7") as browser:
        link = (await browser.get(f"/w/{signer.embed_token(network['blumen'])}")).json()["view"]
        clock.advance(SERVED_TOKEN_MAX_AGE + 300)
        answer = await browser.post(link)
        assert answer.status_code == 400
        assert answer.json()["code"] == "expired"


async def test_served_and_view_tokens_are_never_taken_for_each_other(
    signer: Signer, clock: Clock
) -> None:
    prefix = Signer.view_prefix(7, 3, [(2, 1, True), (4, 2, False)])
    served = signer.served_token(prefix, int(clock.now))
    view = signer.view_token(prefix, "n1")
    assert signer.is_served_token(served) and not signer.is_served_token(view)
    claim = signer.read_served_token(served, 60)
    assert (claim.placement_id, claim.bucket, claim.slots) == (7, 3, ((2, 1, True), (4, 2, False)))
    with pytest.raises(BadTokenError):
        signer.read_view_token(served, 60)
    with pytest.raises(BadTokenError):
        signer.read_served_token(view, 60)
    with pytest.raises(BadTokenError):  # another network's key
        Signer(["another key"], clock=clock).read_served_token(served, 60)
