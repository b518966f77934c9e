"""The SDK against the real app in-process (``AsyncClient`` over ``httpx.ASGITransport``)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from partnerkreis import (
    AsyncClient,
    AuthenticationError,
    BulkCreateError,
    ConfigurationError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    PreconditionFailedError,
    ValidationError,
)

from ..conftest import Clock
from .conftest import THEME, Keys, RecordingTransport, client_for

pytestmark = [pytest.mark.asyncio, pytest.mark.app]


async def test_themes(coordinator: AsyncClient) -> None:
    created = await coordinator.themes.create(
        "innenstadt-heide",
        name_de="Innenstadt Heide",
        kind="local",
        description_de="Die Läden am Markt",
    )
    assert (created.slug, created.kind, created.members) == ("innenstadt-heide", "local", 0)
    changed = await coordinator.themes.update("innenstadt-heide", name_en="Heide town centre")
    assert changed.name_en == "Heide town centre"
    assert changed.description_de == "Die Läden am Markt"
    slugs = [t.slug async for t in coordinator.themes.list(limit=1)]
    assert slugs == sorted(slugs) == ["hochzeit-heide", "innenstadt-heide"]
    assert (await coordinator.themes.get(THEME)).members == 4


async def test_registration_and_the_member_lifecycle(coordinator: AsyncClient) -> None:
    member = await coordinator.members.create(
        "torten",
        name="Tortenatelier Heide",
        website="https://torten.example/",
        category="confectionery",
        town="Heide",
        themes=[THEME],
    )
    assert member.status == "active"  # WIDGET_NEW_MEMBERS=active in this network
    assert [(m.theme, m.status) for m in member.themes] == [(THEME, "active")]
    assert "torten.example" in member.domains
    updated = await coordinator.members.update("torten", postal_code="25746")
    assert (updated.postal_code, updated.town) == ("25746", "Heide")
    assert (await coordinator.members.pause("torten")).status == "paused"
    assert (await coordinator.members.activate("torten")).status == "active"
    left = await coordinator.members.set_membership("torten", THEME, status="left")
    assert (left.theme, left.status) == (THEME, "left")
    assert [m.status for m in await coordinator.members.memberships("torten")] == ["left"]
    assert (await coordinator.members.remove("torten")).status == "removed"


async def test_lists_follow_the_cursor_across_pages(coordinator: AsyncClient) -> None:
    listing = coordinator.members.list(limit=3)
    first = await listing.page()
    assert len(first) == 3 and first.next_cursor is not None
    slugs = [m.slug async for m in coordinator.members.list(limit=3)]
    assert slugs == ["blumenhaus", "catering", "fotos", "scheune"]
    active = [m.slug async for m in coordinator.members.list(theme=THEME, status="active")]
    assert active == slugs


async def test_a_repeated_create_with_one_idempotency_key_creates_once(
    coordinator: AsyncClient,
) -> None:
    key = f"signup-{uuid.uuid4()}"
    first = await coordinator.members.create(
        "brautmoden",
        name="Brautmoden Carstens",
        website="https://brautmoden.example/",
        idempotency_key=key,
    )
    again = await coordinator.members.create(
        "brautmoden",
        name="Brautmoden Carstens",
        website="https://brautmoden.example/",
        idempotency_key=key,
    )
    assert again == first
    with pytest.raises(ConflictError) as conflict:  # a new key: the slug exists
        await coordinator.members.create("brautmoden", name="B", website="https://b.example/")
    assert conflict.value.code == "conflict"
    with pytest.raises(ValidationError) as reused:
        await coordinator.members.create(
            "brautmoden", name="Other", website="https://other.example/", idempotency_key=key
        )
    assert reused.value.code == "idempotency-key-reused"


async def test_errors_carry_status_code_field_and_request_id(
    app: Starlette, coordinator: AsyncClient, member: AsyncClient
) -> None:
    with pytest.raises(NotFoundError) as missing:
        await coordinator.members.get("nobody")
    assert (missing.value.status, missing.value.code) == (404, "not-found")
    assert missing.value.request_id
    with pytest.raises(ValidationError) as invalid:
        await coordinator.members.create("x-shop", name="X", website="not a url")
    assert (invalid.value.code, invalid.value.field) == ("invalid", "website")
    with pytest.raises(PermissionDeniedError):
        await member.rules.get(THEME)
    with pytest.raises(PermissionDeniedError):
        await member.members.get("catering")
    async with client_for(app, "pkr_00000000." + "A" * 43) as stranger:
        with pytest.raises(AuthenticationError) as unknown:
            await stranger.themes.list().page()
    assert unknown.value.code == "unauthenticated"


async def test_a_member_key_sees_only_its_own_member(member: AsyncClient) -> None:
    assert [m.slug async for m in member.members.list()] == ["blumenhaus"]
    changed = await member.members.update("blumenhaus", description="Sträuße für Hochzeiten")
    assert changed.description == "Sträuße für Hochzeiten"
    stats = await member.stats.member("blumenhaus")
    assert stats.member == "blumenhaus"
    assert [t.theme for t in stats.themes] == [THEME]


async def test_placements_and_their_paste_code(coordinator: AsyncClient) -> None:
    placement = await coordinator.placements.create("blumenhaus", theme=THEME, layout="list")
    assert placement.layout == "list"
    assert placement.token in placement.snippet_html
    assert "<script" in placement.snippet_html
    assert placement.token in placement.snippet_iframe
    same = await coordinator.placements.create("blumenhaus", theme=THEME, layout="list")
    assert same.id == placement.id  # equal options: the existing placement
    ids = [p.id async for p in coordinator.placements.list("blumenhaus")]
    assert placement.id in ids


async def test_rules_update_with_if_match(coordinator: AsyncClient) -> None:
    current = await coordinator.rules.get(THEME)
    assert (current.version, current.etag) == (0, '"rules-0"')
    changed = await coordinator.rules.update(
        THEME, rules={"strategy": "round-robin"}, if_match=current
    )
    assert (changed.version, changed.previous_version, changed.etag) == (1, 0, '"rules-1"')
    assert changed.diff and '"strategy": "round-robin"' in changed.diff
    with pytest.raises(PreconditionFailedError) as stale:
        await coordinator.rules.update(THEME, rules={"strategy": "fixed"}, if_match=current)
    assert stale.value.code == "precondition-failed"
    with pytest.raises(ValidationError) as invalid:
        await coordinator.rules.update(THEME, rules={"partners": {"max": 0}}, if_match=changed)
    assert invalid.value.field == "partners.max"
    assert (await coordinator.rules.get(THEME)).rules == {"strategy": "round-robin"}


async def test_explain(coordinator: AsyncClient) -> None:
    explanation = await coordinator.rules.explain(THEME, member="blumenhaus")
    assert (explanation.member, explanation.theme) == ("blumenhaus", THEME)
    assert {c["member"] for c in explanation.candidates} >= {"catering", "scheune", "fotos"}
    assert len(explanation.shown) >= 1


async def test_stats_as_json_and_csv(coordinator: AsyncClient) -> None:
    await coordinator.blocks.get(THEME, member="blumenhaus")  # one served block
    report = await coordinator.stats.theme(THEME, since="2020-01-01")
    assert report.theme == THEME
    assert report.since == "2020-01-01"
    assert {m.member for m in report.members} == {"blumenhaus", "catering", "scheune", "fotos"}
    assert "gini_received" in report.balances
    csv = await coordinator.stats.theme_csv(THEME)
    assert csv.splitlines()[0].startswith("theme,member,views_given")
    member_csv = await coordinator.stats.member_csv("blumenhaus", theme=THEME)
    assert member_csv.splitlines()[0].startswith("day,theme,member")


async def test_api_keys(app: Starlette, coordinator: AsyncClient, keys: Keys) -> None:
    created = await coordinator.keys.create(scope="member:catering", name="catering cms")
    assert created.key and created.key.startswith(created.key_id + ".")
    assert created.scope.startswith("member:")
    listed = [k async for k in coordinator.keys.list()]
    assert created.key_id in {k.key_id for k in listed}
    assert all(k.key is None for k in listed)  # shown once
    async with client_for(app, created.key) as catering:
        assert (await catering.members.get("catering")).slug == "catering"
        revoked = await coordinator.keys.revoke(created.key_id)
        assert revoked.revoked_at
        with pytest.raises(AuthenticationError):
            await catering.members.get("catering")


async def test_blocks_from_the_real_app(app: Starlette, keys: Keys) -> None:
    clock = Clock()
    transport = RecordingTransport(app)
    options: dict[str, Any] = {"clock": clock, "block_max_stale": 7 * 86400}
    options["block_timeout"] = 60.0  # a hang guard: the app's answers, not its speed, are tested
    async with client_for(app, keys.member, transport, **options) as client:
        block = await client.blocks.get(THEME, member="blumenhaus", lang="en")
        assert block.source == "network"
        assert block.html.startswith('<div class="pk-root"><nav')
        # Rendered, the block links the server's block stylesheet first.
        assert block.stylesheet and "/static/blocks-" in block.stylesheet
        assert str(block) == f'<link rel="stylesheet" href="{block.stylesheet}">{block.html}'
        assert block.etag and block.lang == "en"
        assert 1 <= len(block.partners) <= 3
        assert "blumenhaus" not in {p.url for p in block.partners}
        for partner in block.partners:
            assert partner.url.startswith("http://testserver/c/")
        if any("Boie" in p.name for p in block.partners):
            assert "Küstenküche &lt;Boie&gt; &amp; Söhne" in block.html  # escaped by the server
        assert (await client.blocks.get(THEME, member="blumenhaus", lang="en")).source == "cache"
        clock.advance(86400)  # past the bucket, within max_stale: revalidated in the background
        stale = await client.blocks.get(THEME, member="blumenhaus", lang="en")
        assert stale.source == "stale"
        await client.blocks.wait()
        again = await client.blocks.get(THEME, member="blumenhaus", lang="en")
        assert again.source == "cache"
        if again.bucket == block.bucket:  # else the bucket ended in between: a new block
            assert transport.statuses == [200, 304]
            assert again.html == block.html
        denied = await client.blocks.get(THEME, member="catering")
        assert (denied.source, denied.html) == ("fallback", "")
        assert isinstance(denied.error, PermissionDeniedError)
        unknown = await client.blocks.get("no-such-theme", member="blumenhaus")
        assert isinstance(unknown.error, NotFoundError)


async def test_bulk_create_in_chunks(coordinator: AsyncClient) -> None:
    members = [
        {"slug": f"laden-{i}", "name": f"Laden {i}", "website": f"https://laden-{i}.example/"}
        for i in range(5)
    ]
    members[3] = {**members[3], "themes": ["nirgends"]}
    result = await coordinator.members.bulk_create(members, chunk_size=2, skip_invalid=True)
    assert result.requests == 3
    assert result.slugs == ("laden-0", "laden-1", "laden-2", "laden-4")
    assert [(e.index, e.slug, e.field) for e in result.errors] == [(3, "laden-3", "themes")]
    assert "no theme" in result.errors[0].message
    member = await coordinator.members.get("laden-4")
    assert member.status == "active"  # WIDGET_NEW_MEMBERS=active in this network
    with pytest.raises(BulkCreateError) as info:
        await coordinator.members.bulk_create(
            [{"slug": "neu", "name": "Neu", "website": "https://neu.example/"}, members[0]]
        )
    assert [(e.index, e.field) for e in info.value.errors] == [(1, "slug")]
    assert info.value.result.created == ()
    with pytest.raises(NotFoundError):
        await coordinator.members.get("neu")  # its chunk wrote nothing


async def test_verify_fails_loudly_while_blocks_fail_softly(app: Starlette, keys: Keys) -> None:
    async with client_for(app, keys.member) as client:
        await client.verify()  # right URL, right key: nothing to say
        # (and the block stylesheet's CSS, for a page that inlines it)
        block = await client.blocks.get(THEME, member="blumenhaus")
        assert block.stylesheet
        css = await client.blocks.stylesheet_css(block.stylesheet)
        assert ".pk-mono[data-initial]::before" in css and ".pk-link{" in css
        assert await client.blocks.stylesheet_css(block.stylesheet) is css  # fetched once
    async with client_for(app, keys.member[:-4] + "xxxx") as wrong_key:
        with pytest.raises(AuthenticationError):
            await wrong_key.verify()
        # In a page the same mistake renders nothing, and says why.
        block = await wrong_key.blocks.get(THEME, member="blumenhaus")
        assert (block.source, str(block)) == ("fallback", "")
        assert isinstance(block.error, AuthenticationError)
    wrong_url = AsyncClient(
        keys.member,
        base_url="http://testserver/wrong-path",
        transport=httpx.ASGITransport(app=app),
    )
    async with wrong_url:
        with pytest.raises(ConfigurationError, match="not a Partnerkreis API"):
            await wrong_url.verify()
