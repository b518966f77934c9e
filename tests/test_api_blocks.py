"""Server-side blocks: JSON and HTML, ETag and 304, caching to the end of the bucket."""

from __future__ import annotations

import html
import re
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from tests.api_auth import make_keys
from tests.conftest import Clock
from widget_server.storage import SQLiteStorage

pytestmark = pytest.mark.asyncio

URL = "/api/v1/blocks/hochzeit/blumen"
HOSTILE = '<script>alert("x")</script> & Söhne'


async def served(app: Starlette, storage: SQLiteStorage) -> int:
    """Blocks served for blumen's pages, as counted (the row with partner id 0)."""
    runtime = app.state.runtime
    await runtime.counting.flush(runtime.storage)
    blumen = await storage.get_member("blumen")
    return sum(
        r.count
        for r in await storage.list_counts()
        if r.kind == "served" and r.host_id == blumen.id and r.partner_id == 0
    )


async def test_json_block_is_the_widget_block_with_its_html(
    network: dict[str, int], storage: SQLiteStorage, client: httpx.AsyncClient
) -> None:
    keys = await make_keys(storage)
    response = await client.get(URL, headers=keys.blumen)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    data: dict[str, Any] = response.json()
    assert (data["theme"], data["member"]) == ("hochzeit", "blumen")
    assert data["bucket"] == 1_800_000_000 // 300
    assert data["expires_at"] == "2027-01-15T08:05:00+00:00"
    block = data["block"]
    assert block["view"] is None  # no view beacon for server-side blocks
    assert len(block["partners"]) == 3
    assert "Blumenhaus am Markt" not in [p["name"] for p in block["partners"]]
    assert all(p["url"].startswith("http://testserver/c/") for p in block["partners"])
    assert data["html"].startswith('<div class="pk-root"><nav class="pk pk-cards pk-scheme-auto"')
    for partner in block["partners"]:
        assert f'href="{partner["url"]}" rel="sponsored nofollow noopener"' in data["html"]
    # The stylesheet that makes it look like the loader's block: its URL names its content.
    assert re.fullmatch(r"http://testserver/static/blocks-[0-9a-f]{16}\.css", data["stylesheet"])
    css = await client.get(data["stylesheet"])
    assert css.headers["content-type"] == "text/css; charset=utf-8"
    assert css.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert ".pk-mono[data-initial]::before{content:attr(data-initial)}" in css.text
    assert ".pk-link{display:flex" in css.text  # all of widget.css
    old = await client.get("/static/blocks-0123456789abcdef.css")
    assert old.text == css.text and old.headers["cache-control"] == "public, max-age=300"


async def test_html_block_reads_right_as_plain_text(
    network: dict[str, int], storage: SQLiteStorage, client: httpx.AsyncClient
) -> None:
    """Without CSS (reader modes, search engines) a card reads "Name Category · Town ...":
    the monogram's letter comes from CSS, and the parts are separated by spaces."""
    keys = await make_keys(storage)
    data = (await client.get(URL, headers=keys.blumen)).json()
    text = html.unescape(re.sub(r"<[^>]+>", "", data["html"]))
    for partner in data["block"]["partners"]:
        meta = " · ".join(filter(None, [partner["category"], partner["town"]]))
        card = " ".join(filter(None, [partner["name"], meta, partner["description"]]))
        assert card in text
        initial = partner["name"][0].upper()
        if not partner["logo"]:
            assert f'data-initial="{initial}"></span>' in data["html"]
            assert initial + partner["name"] not in text


async def test_html_fragment_by_query_or_accept_header(
    network: dict[str, int], storage: SQLiteStorage, client: httpx.AsyncClient
) -> None:
    keys = await make_keys(storage)
    by_query = await client.get(URL, params={"format": "html", "lang": "en"}, headers=keys.blumen)
    assert by_query.headers["content-type"] == "text/html; charset=utf-8"
    assert by_query.text.startswith('<div class="pk-root"><nav class="pk pk-cards pk-scheme-auto"')
    assert by_query.text.endswith("</nav></div>")
    assert "Our partners for Wedding" in by_query.text
    by_accept = await client.get(URL, headers={**keys.blumen, "Accept": "text/html"})
    assert by_accept.text.startswith('<div class="pk-root"><nav')
    json_first = await client.get(
        URL, headers={**keys.blumen, "Accept": "application/json, text/html"}
    )
    assert json_first.headers["content-type"] == "application/json"
    compact = await client.get(
        URL, params={"format": "html", "layout": "compact"}, headers=keys.blumen
    )
    assert (
        "pk-compact" in compact.text
        and "pk-logo" not in compact.text
        and "pk-mono" not in compact.text
    )


async def test_html_block_equals_the_iframe_pages_nav(
    network: dict[str, int], storage: SQLiteStorage, client: httpx.AsyncClient
) -> None:
    keys = await make_keys(storage)
    fragment = (await client.get(URL, params={"format": "html"}, headers=keys.blumen)).text
    placement = (
        await client.post(
            "/api/v1/members/blumen/placements", headers=keys.blumen, json={"theme": "hochzeit"}
        )
    ).json()
    page = (await client.get(f"/w/{placement['token']}.html")).text
    nav = re.search(r"<nav .*</nav>", page, re.S)
    assert nav is not None
    # Same markup; only the signed click links differ (they carry a timestamp).
    tokens = re.compile(r"/c/[^\"]+")
    assert (
        fragment == f'<div class="pk-root">{re.search(r"<nav .*</nav>", fragment, re.S)[0]}</div>'
    )
    assert tokens.sub("/c/T", nav.group(0)) == tokens.sub("/c/T", fragment[21:-6])


async def test_etag_304_and_max_age_to_the_end_of_the_bucket(
    network: dict[str, int],
    storage: SQLiteStorage,
    app: Starlette,
    client: httpx.AsyncClient,
    clock: Clock,
) -> None:
    keys = await make_keys(storage)
    first = await client.get(URL, headers=keys.blumen)
    etag = first.headers["etag"]
    assert re.fullmatch(r'"[0-9a-f]{32}"', etag)  # strong
    assert first.headers["cache-control"] == "private, max-age=300"
    clock.advance(100)
    second = await client.get(URL, headers=keys.blumen)
    assert second.content == first.content  # the same block for the whole bucket
    assert second.headers["etag"] == etag
    assert second.headers["cache-control"] == "private, max-age=200"
    not_modified = await client.get(URL, headers={**keys.blumen, "If-None-Match": etag})
    assert not_modified.status_code == 304
    assert not_modified.content == b""
    assert not_modified.headers["etag"] == etag
    assert not_modified.headers["cache-control"] == "private, max-age=200"
    listed = await client.get(URL, headers={**keys.blumen, "If-None-Match": f'"x", W/{etag}'})
    assert listed.status_code == 304
    other_format = await client.get(
        URL, params={"format": "html"}, headers={**keys.blumen, "If-None-Match": etag}
    )
    assert other_format.status_code == 200
    assert other_format.headers["etag"] != etag
    assert await served(app, storage) == 3  # each 200 counts, a 304 does not
    clock.advance(200)
    next_bucket = await client.get(URL, headers={**keys.blumen, "If-None-Match": etag})
    assert next_bucket.status_code == 200
    assert next_bucket.headers["etag"] != etag
    assert next_bucket.headers["cache-control"] == "private, max-age=300"


async def test_hostile_member_text_is_escaped_in_the_html(
    network: dict[str, int], storage: SQLiteStorage, client: httpx.AsyncClient
) -> None:
    keys = await make_keys(storage)
    body = {
        "slug": "boese",
        "name": HOSTILE,
        "website": "https://boese.example/",
        "description": '"><img src=x onerror=alert(1)>',
        "town": "<b>Heide</b>",
        "themes": ["hochzeit"],
    }
    assert (
        await client.post("/api/v1/members", headers=keys.coordinator, json=body)
    ).status_code == 201
    await client.post("/api/v1/members/boese/activate", headers=keys.coordinator)
    pinned = {"pins": [{"member": "boese", "position": 1}]}
    assert (
        await client.put("/api/v1/themes/hochzeit/rules", headers=keys.coordinator, json=pinned)
    ).status_code == 200
    html = (await client.get(URL, params={"format": "html"}, headers=keys.blumen)).text
    assert "<script" not in html and "<img src=x" not in html and "<b>" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; Söhne" in html
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in html
    data = (await client.get(URL, headers=keys.blumen)).json()
    assert data["block"]["partners"][0]["name"] == HOSTILE  # raw in JSON, escaped in HTML
    assert "<script" not in data["html"]


async def test_blocks_for_others_unknown_or_removed_members(
    network: dict[str, int], storage: SQLiteStorage, client: httpx.AsyncClient
) -> None:
    keys = await make_keys(storage)
    assert (await client.get(URL, headers=keys.fotos)).status_code == 403
    assert (await client.get(URL)).status_code == 401
    assert (await client.get(URL, headers=keys.coordinator)).status_code == 200
    unknown_theme = await client.get("/api/v1/blocks/nope/blumen", headers=keys.blumen)
    assert unknown_theme.status_code == 404
    unknown_member = await client.get("/api/v1/blocks/hochzeit/nope", headers=keys.coordinator)
    assert unknown_member.status_code == 404
    for name, value in (("lang", "fr"), ("layout", "grid"), ("format", "xml")):
        bad = await client.get(URL, params={name: value}, headers=keys.blumen)
        assert (bad.status_code, bad.json()["field"]) == (422, name)
    await client.delete("/api/v1/members/blumen", headers=keys.coordinator)
    assert (await client.get(URL, headers=keys.coordinator)).status_code == 404
    assert (await client.get(URL, headers=keys.blumen)).status_code == 401  # its key is revoked


async def test_a_block_for_a_new_member_works_at_once(
    network: dict[str, int], storage: SQLiteStorage, client: httpx.AsyncClient
) -> None:
    keys = await make_keys(storage)
    body = {"slug": "neu", "name": "Neu", "website": "https://neu.example", "themes": ["hochzeit"]}
    await client.post("/api/v1/members", headers=keys.coordinator, json=body)
    response = await client.get("/api/v1/blocks/hochzeit/neu", headers=keys.coordinator)
    assert response.status_code == 200
    assert len(response.json()["block"]["partners"]) == 3


async def test_blocks_drawn_per_request_may_not_be_reused(
    network: dict[str, int], storage: SQLiteStorage, client: httpx.AsyncClient
) -> None:
    keys = await make_keys(storage)
    rules = {"rotation": {"granularity": "request"}}
    await client.put("/api/v1/themes/hochzeit/rules", headers=keys.coordinator, json=rules)
    response = await client.get(URL, headers=keys.blumen)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "private, max-age=0"
    assert response.json()["expires_at"] == "2027-01-15T08:00:00+00:00"  # now
