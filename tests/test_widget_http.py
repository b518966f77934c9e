"""The public widget endpoints over HTTP (in-process, lifespan entered)."""

from __future__ import annotations

import asyncio
import gzip
import re
import time
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import pytest_asyncio
from starlette.applications import Starlette

from tests.conftest import Clock, reopened
from tests.test_loader import BUDGET
from widget_server.core.models import Member, MemberRecord
from widget_server.core.settings import Settings
from widget_server.core.signing import Signer
from widget_server.network.services import MemberInput, add_member, set_member_status
from widget_server.storage import SQLiteStorage, Storage
from widget_server.web.app import create_app

pytestmark = pytest.mark.asyncio

PUBLIC_PATHS = ("/embed.js", "/", "/t/hochzeit", "/healthz", "/sitemap.xml", "/robots.txt")


async def block(client: httpx.AsyncClient, token: str, **params: str) -> dict[str, Any]:
    response = await client.get(f"/w/{token}", params=params)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


async def test_block_json_lists_partners_but_never_the_host(
    network: dict[str, int], client: httpx.AsyncClient, signer: Signer
) -> None:
    data = await block(client, signer.embed_token(network["blumen"]))
    names = [p["name"] for p in data["partners"]]
    assert len(names) == 3 == len(set(names))
    assert "Blumenhaus am Markt" not in names
    assert data["heading"] == "Unsere Partner zum Thema Hochzeit"
    assert data["more"]["url"] == "http://testserver/t/hochzeit"
    assert all(p["url"].startswith("http://testserver/c/") for p in data["partners"])
    assert all(p["rel"] == "sponsored nofollow noopener" for p in data["partners"])


async def test_block_speaks_english_when_asked(
    network: dict[str, int], client: httpx.AsyncClient, signer: Signer
) -> None:
    data = await block(client, signer.embed_token(network["blumen"]), lang="en", layout="list")
    assert data["lang"] == "en"
    assert data["layout"] == "list"
    assert data["heading"] == "Our partners for Wedding"
    assert data["more"]["url"].endswith("/t/hochzeit?lang=en")


async def test_unknown_option_values_fall_back_to_defaults(
    network: dict[str, int], client: httpx.AsyncClient, signer: Signer
) -> None:
    data = await block(
        client, signer.embed_token(network["blumen"]), lang="xx", layout="<b>", scheme="neon"
    )
    assert (data["lang"], data["layout"], data["scheme"]) == ("de", "cards", "auto")


@pytest.mark.parametrize(
    "token",
    [
        "nonsense",
        "MQ.AAAAAAAAAAAAAAAAAAAAAAAAAAA",  # right shape, wrong signature
        "OTk5.x",  # "999", unsigned
        "%3Cscript%3E",
        "a" * 500,
    ],
)
async def test_tampered_or_unknown_embed_token_is_404_json(
    network: dict[str, int], client: httpx.AsyncClient, token: str
) -> None:
    for path in (f"/w/{token}", f"/w/{token}.html"):
        response = await client.get(path)
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "unknown-embed"


async def test_validly_signed_token_for_missing_placement_is_404(
    network: dict[str, int], client: httpx.AsyncClient, signer: Signer
) -> None:
    response = await client.get(f"/w/{signer.embed_token(9999)}")
    assert response.status_code == 404
    assert response.json()["code"] == "unknown-embed"


async def test_paused_member_is_not_shown_and_removed_host_serves_nothing(
    network: dict[str, int],
    storage: SQLiteStorage,
    app: Starlette,
    client: httpx.AsyncClient,
    signer: Signer,
) -> None:
    await set_member_status(storage, "catering", "paused")
    await set_member_status(storage, "scheune", "removed")
    await app.state.runtime.snapshots.refresh()
    token = signer.embed_token(network["blumen"])
    names = {p["name"] for p in (await block(client, token))["partners"]}
    assert names == {"Brautmoden Carstens", "Fotografie Brandt"}
    removed = await client.get(f"/w/{signer.embed_token(network['scheune'])}")
    assert removed.status_code == 404


async def test_round_robin_moves_on_with_the_bucket_and_covers_everyone(
    network: dict[str, int],
    storage: SQLiteStorage,
    app: Starlette,
    client: httpx.AsyncClient,
    signer: Signer,
    clock: Clock,
) -> None:
    theme = await storage.get_theme("hochzeit")
    await storage.add_rule_set(theme.id, {"strategy": "round-robin"}, "test")
    await app.state.runtime.snapshots.refresh()
    token = signer.embed_token(network["blumen"])
    firsts = []
    for _ in range(4):  # four partners: one full round-robin cycle
        firsts.append((await block(client, token))["partners"][0]["name"])
        clock.advance(300)
    assert sorted(firsts) == sorted(
        ["Brautmoden Carstens", "Küstenküche Boie", "Festscheune Wulfshof", "Fotografie Brandt"]
    )


async def test_same_bucket_gives_the_same_block(
    network: dict[str, int], client: httpx.AsyncClient, signer: Signer
) -> None:
    token = signer.embed_token(network["fotos"])
    first = await block(client, token)
    second = await block(client, token)
    assert [p["name"] for p in first["partners"]] == [p["name"] for p in second["partners"]]


async def test_public_endpoints_send_cors_and_never_a_cookie(
    network: dict[str, int], client: httpx.AsyncClient, signer: Signer
) -> None:
    token = signer.embed_token(network["blumen"])
    data = await block(client, token)
    paths = [*PUBLIC_PATHS, f"/w/{token}", f"/w/{token}.html", "/w/bad", "/c/bad"]
    paths.append(urlsplit(data["partners"][0]["url"]).path)
    for path in paths:
        response = await client.get(path)
        assert "set-cookie" not in response.headers, path
        if path.startswith(("/w/", "/embed.js")) and not path.endswith(".html"):
            assert response.headers["access-control-allow-origin"] == "*", path


async def test_click_redirects_to_the_partner_website_from_the_database(
    network: dict[str, int], client: httpx.AsyncClient, signer: Signer
) -> None:
    data = await block(client, signer.embed_token(network["blumen"]))
    websites = {f"https://{slug}.example/" for slug in network}
    for partner in data["partners"]:
        # A query string cannot steer the redirect anywhere else.
        response = await client.get(partner["url"] + "?next=https://evil.example/")
        assert response.status_code == 302
        assert response.headers["location"] in websites
        assert response.headers["cache-control"] == "no-store"


async def test_tampered_click_token_is_400(
    network: dict[str, int], client: httpx.AsyncClient, signer: Signer
) -> None:
    data = await block(client, signer.embed_token(network["blumen"]))
    url = data["partners"][0]["url"]
    tampered = url[:-3] + ("AAA" if not url.endswith("AAA") else "BBB")
    response = await client.get(tampered)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    forged = Signer(["another-key"]).click_token(network["blumen"], 1, 0)
    assert (await client.get(f"/c/{forged}")).status_code == 400


async def test_expired_click_still_reaches_the_partner(
    network: dict[str, int],
    client: httpx.AsyncClient,
    signer: Signer,
    clock: Clock,
    settings: Settings,
) -> None:
    data = await block(client, signer.embed_token(network["blumen"]))
    clock.advance(settings.click_token_max_age + 3600)
    response = await client.get(data["partners"][0]["url"])
    assert response.status_code == 302
    assert response.headers["location"].endswith(".example/")


async def test_click_on_removed_partner_goes_to_the_theme_directory(
    network: dict[str, int],
    storage: SQLiteStorage,
    app: Starlette,
    client: httpx.AsyncClient,
    signer: Signer,
) -> None:
    removed = await storage.get_member("catering")
    token = signer.click_token(network["blumen"], removed.id, 0)
    await set_member_status(storage, "catering", "removed")
    await app.state.runtime.snapshots.refresh()
    response = await client.get(f"/c/{token}")
    assert response.status_code == 302
    assert response.headers["location"] == "http://testserver/t/hochzeit"


async def test_frame_page_renders_the_block_with_escaped_member_text(
    storage: SQLiteStorage,
    network: dict[str, int],
    app: Starlette,
    client: httpx.AsyncClient,
    signer: Signer,
) -> None:
    await add_member(
        storage,
        MemberInput(
            slug="evil",
            name='<script>alert("x")</script>',
            website="https://evil.example/",
            description="<img src=x onerror=alert(1)>",
            themes=("hochzeit",),
        ),
    )
    await app.state.runtime.snapshots.refresh()
    token = signer.embed_token(network["blumen"])
    # Find a bucket in which the hostile member is shown.
    clock = app.state.runtime.clock
    for _ in range(6):
        response = await client.get(f"/w/{token}.html")
        if "alert" in response.text:
            break
        clock.advance(300)
    assert response.status_code == 200
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in response.text
    assert "<script>" not in response.text
    assert "<img src=x" not in response.text
    assert "default-src 'none'" in response.headers["content-security-policy"]
    assert 'rel="sponsored nofollow noopener"' in response.text


async def test_embed_js_is_small_cacheable_and_revalidates(client: httpx.AsyncClient) -> None:
    response = await client.get("/embed.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert len(gzip.compress(response.content, 9)) <= BUDGET
    assert "max-age=" in response.headers["cache-control"]
    again = await client.get("/embed.js", headers={"If-None-Match": response.headers["etag"]})
    assert again.status_code == 304
    assert again.content == b""


async def test_embed_js_names_the_stylesheet_it_fetches(client: httpx.AsyncClient) -> None:
    """The loader carries no CSS: it fetches the block stylesheet, whose URL it names
    relative to its own, from another origin (CORS) and from the browser's cache."""
    loader = (await client.get("/embed.js")).text
    paths = re.findall(r'"(static/blocks-[0-9a-f]{16}\.css)"', loader)
    assert len(paths) == 1 and "__PK_CSS__" not in loader
    sheet = await client.get("/" + paths[0], headers={"Origin": "https://member.example"})
    assert sheet.status_code == 200
    assert sheet.headers["content-type"] == "text/css; charset=utf-8"
    assert sheet.headers["access-control-allow-origin"] == "*"
    assert sheet.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert ":host{all:initial;display:block}" in sheet.text
    assert ".pk-link{display:flex" in sheet.text and "set-cookie" not in sheet.headers


async def test_directory_lists_active_members(
    network: dict[str, int], client: httpx.AsyncClient
) -> None:
    response = await client.get("/t/hochzeit")
    assert response.status_code == 200
    for name in ("Brautmoden Carstens", "Fotografie Brandt", "Festscheune Wulfshof"):
        assert name in response.text
    assert (await client.get("/t/nope")).status_code == 404
    english = await client.get("/t/hochzeit?lang=en")
    assert 'lang="en"' in english.text


async def test_the_index_counts_each_themes_listed_members_without_making_its_list(
    network: dict[str, int], client: httpx.AsyncClient, storage: Storage
) -> None:
    """The network's index says how many partners each theme page lists; it counts the
    pool's eligible members rather than make every theme's sorted list (1.2 s of the
    loop at 100,000 members), and says the same where a list is made."""
    import re

    snapshots = client._transport.app.state.runtime.snapshots  # type: ignore[attr-defined]
    # A paused member is not listed: the counts must leave it out too.
    await set_member_status(storage, "blumen", "paused")
    await snapshots.refresh()
    page = (await client.get("/")).text
    snapshot = snapshots.current
    assert snapshot.active_members.built == {}  # no list made for the index
    counted = dict(re.findall(r'href="[^"]*/t/([a-z0-9-]+)[^"]*".*?(\d+) Partner', page, re.S))
    expected = {t.slug: str(len(snapshot.active_members[t.id])) for t in snapshot.themes.values()}
    assert counted == expected and counted["hochzeit"] != "0"
    again = (await client.get("/")).text  # the lists made now: the same counts
    assert (
        dict(re.findall(r'href="[^"]*/t/([a-z0-9-]+)[^"]*".*?(\d+) Partner', again, re.S))
        == expected
    )


async def test_demo_pages_are_absent_on_a_normal_database(client: httpx.AsyncClient) -> None:
    assert (await client.get("/demo/")).status_code == 404


async def test_healthz_reports_the_snapshot(
    network: dict[str, int], client: httpx.AsyncClient
) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["snapshot_version"] == response.json()["data_version"]


# -- the hot path and its snapshot ------------------------------------------------------------


class CountingStorage:
    """A real storage that counts the calls made to it."""

    def __init__(self, inner: Storage) -> None:
        self.inner = inner
        self.calls: list[str] = []

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.inner, name)
        if not name.startswith("_") and callable(attr) and name not in ("open", "close"):
            self.calls.append(name)
        return attr


@pytest_asyncio.fixture
async def counted(
    network: dict[str, int], settings: Settings, storage: SQLiteStorage, clock: Clock
) -> AsyncIterator[tuple[httpx.AsyncClient, CountingStorage]]:
    counting = CountingStorage(reopened(storage))
    # A long poll interval: the only storage calls would come from the requests.
    quiet = settings.with_changes(snapshot_interval=3600, ledger_interval=3600, flush_interval=60)
    app = create_app(quiet, storage=counting, clock=clock)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            yield c, counting


async def test_widget_hot_path_does_not_touch_the_database(
    counted: tuple[httpx.AsyncClient, CountingStorage],
    network: dict[str, int],
    signer: Signer,
    clock: Clock,
) -> None:
    client, counting = counted
    counting.calls.clear()
    for placement_id in network.values():
        token = signer.embed_token(placement_id)
        for lang in ("de", "en"):
            await block(client, token, lang=lang)
            assert (await client.get(f"/w/{token}.html", params={"lang": lang})).status_code == 200
        clock.advance(400)
        data = await block(client, token)
        assert (await client.get(data["partners"][0]["url"])).status_code == 302
    assert counting.calls == []


async def test_a_block_reads_the_members_records_and_makes_no_member(
    network: dict[str, int],
    client: httpx.AsyncClient,
    signer: Signer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The snapshot keeps members as records; a ``Member`` made for each partner shown
    # would be some 2 us of every first sight at 100,000 members.
    made: list[str] = []
    original = MemberRecord.member

    def member(self: MemberRecord) -> Member:
        made.append(self.slug)
        return original(self)

    monkeypatch.setattr(MemberRecord, "member", member)
    shown = 0
    for placement_id in network.values():
        token = signer.embed_token(placement_id)
        shown += len((await block(client, token))["partners"])
        page = await client.get(f"/w/{token}.html")
        assert page.status_code == 200
    assert shown > 0 and made == []


async def test_change_by_another_process_reaches_widgets_without_restart(
    network: dict[str, int], storage: Storage, client: httpx.AsyncClient, signer: Signer
) -> None:
    other = reopened(storage)  # a second connection set, as the CLI in another process
    await other.open()
    try:
        for slug in ("catering", "scheune", "fotos"):
            await set_member_status(other, slug, "paused")
    finally:
        await other.close()
    token = signer.embed_token(network["blumen"])
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        names = {p["name"] for p in (await block(client, token))["partners"]}
        if names == {"Brautmoden Carstens"}:
            break
        await asyncio.sleep(0.05)
    assert names == {"Brautmoden Carstens"}
