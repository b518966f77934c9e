"""Admin pages for members and themes: approve, edit, pause, remove, domains, logos, links."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio
from starlette.applications import Starlette

from tests.admin_helpers import assert_invalid, make_account, post, signed_in
from tests.conftest import Clock
from tests.images import pixels, png
from tests.storage_calls import record_calls
from widget_server.core.errors import BadTokenError, NotFoundError
from widget_server.core.signing import Signer
from widget_server.network.portal_links import read_portal_token
from widget_server.network.rules import set_rules
from widget_server.network.services import MemberInput, add_member, add_theme
from widget_server.storage import SQLiteStorage, Storage
from widget_server.web.endpoints.admin import members as members_page
from widget_server.web.endpoints.admin import stats as overview
from widget_server.web.endpoints.admin import themes as themes_page
from widget_server.web.runtime import runtime_of

pytestmark = pytest.mark.asyncio


@pytest_asyncio.fixture
async def admin(
    network: dict[str, int], storage: SQLiteStorage, client: httpx.AsyncClient
) -> AsyncIterator[httpx.AsyncClient]:
    """A signed-in client over the wedding network (plus one pending member)."""
    await add_member(
        storage,
        MemberInput(
            slug="musik",
            name="Musik & Tanz Lorenzen",
            website="https://musik.example/",
            themes=("hochzeit",),
            status="pending",
        ),
    )
    await make_account(storage)
    await signed_in(client)
    yield client


async def test_the_member_list_shows_pending_members_first_with_an_approve_button(
    admin: httpx.AsyncClient,
) -> None:
    page = await admin.get("/admin/members")
    assert page.status_code == 200
    names = re.findall(r'<th scope="row"><a href="[^"]*/admin/members/([a-z-]+)"', page.text)
    assert names[0] == "musik" and len(names) == 6
    assert 'value="approve"' in page.text
    pending = await admin.get("/admin/members?status=pending")
    assert re.findall(r'<th scope="row"><a href="[^"]*/admin/members/([a-z-]+)"', pending.text) == [
        "musik"
    ]


ROW = r'<th scope="row"><a href="[^"]*/admin/members/([a-z-]+)"'


async def test_the_member_list_comes_a_page_at_a_time_in_the_same_order(
    admin: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # At 100,000 members the list was one page of 46 MB, made in 30 s while the widget
    # waited 28 s.  Now a page at a time; the order is the whole list's.
    whole = re.findall(ROW, (await admin.get("/admin/members")).text)
    assert len(whole) == 6 and whole[0] == "musik"
    monkeypatch.setattr(members_page, "PAGE", 4)
    first = (await admin.get("/admin/members")).text
    assert re.findall(ROW, first) == whole[:4]
    assert "Mitglieder 1–4 von 6" in first and "Seite 1 von 2" in first
    assert 'class="count-pill">6</span>' in first  # the counts are the whole network's
    [following] = re.findall(r'<a rel="next" href="([^"]+)"', first)
    assert following.endswith("/admin/members?page=2")
    second = (await admin.get(following)).text
    assert re.findall(ROW, second) == whole[4:]
    assert re.search(r'rel="prev" href="[^"]*/admin/members\?page=1"', second)
    assert 'rel="next"' not in second
    # A page past the last shows the last; a page that is no number, the first.
    assert re.findall(ROW, (await admin.get("/admin/members?page=99")).text) == whole[4:]
    assert re.findall(ROW, (await admin.get("/admin/members?page=x")).text) == whole[:4]


async def test_the_member_list_finds_names_and_slugs_case_and_accents_aside(
    admin: httpx.AsyncClient, storage: Storage, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads: list[str] = []
    original = type(storage).list_members

    async def list_members(self: Storage, **filters: object) -> object:
        reads.append(repr(filters))
        return await original(self, **filters)  # type: ignore[arg-type]

    monkeypatch.setattr(type(storage), "list_members", list_members)
    found = (await admin.get("/admin/members?q=M%C3%9CSIK")).text  # "MÜSIK"
    assert re.findall(ROW, found) == ["musik"]
    assert 'value="MÜSIK"' in found
    by_slug = (await admin.get("/admin/members?status=active&q=blumen")).text
    assert re.findall(ROW, by_slug) == ["blumen"]
    assert '<input type="hidden" name="status" value="active">' in by_slug
    hostile = (await admin.get("/admin/members?q=%3Cscript%3Ex")).text
    assert re.findall(ROW, hostile) == []
    assert "<script>x" not in hostile and "&lt;script&gt;x" in hostile
    assert reads == []  # never every member in full: the database pages, then a page of them


async def test_approving_a_member_activates_it_logs_it_and_shows_it_in_blocks(
    admin: httpx.AsyncClient, storage: SQLiteStorage, app: Starlette
) -> None:
    response = await post(admin, "/admin/members/musik/status", {"action": "approve"})
    assert response.status_code == 303
    assert response.headers["location"] == "/admin/members/musik?done=status_approve"
    assert (await storage.get_member("musik")).status == "active"
    page = await admin.get(response.headers["location"])
    assert "Das Mitglied ist freigeschaltet." in page.text
    entries = await storage.list_audit_entries(subject="member:musik")
    assert [(e.actor, e.action, e.detail) for e in entries] == [
        ("admin:koordination", "member.approve", "pending → active")
    ]
    snapshots = runtime_of_app(app).snapshots
    assert snapshots is not None
    pool = snapshots.current.pools[(await storage.get_theme("hochzeit")).id]
    musik = (await storage.get_member("musik")).id
    assert pool.members[musik].eligible  # the widget sees it at once


def runtime_of_app(app: Starlette):  # type: ignore[no-untyped-def]
    return app.state.runtime


async def test_pause_resume_and_remove_with_confirmation(
    admin: httpx.AsyncClient, storage: SQLiteStorage
) -> None:
    assert (
        await post(admin, "/admin/members/blumen/status", {"action": "pause"})
    ).status_code == 303
    assert (await storage.get_member("blumen")).status == "paused"
    wrong = await post(admin, "/admin/members/blumen/status", {"action": "approve"})
    assert wrong.status_code == 409
    assert (
        await post(admin, "/admin/members/blumen/status", {"action": "resume"})
    ).status_code == 303
    assert (await storage.get_member("blumen")).status == "active"
    unconfirmed = await post(admin, "/admin/members/blumen/status", {"action": "remove"})
    assert unconfirmed.status_code == 422
    assert_invalid(unconfirmed.text, "f-confirm", "Bitte bestätigen Sie das Entfernen.")
    assert (await storage.get_member("blumen")).status == "active"
    removed = await post(
        admin, "/admin/members/blumen/status", {"action": "remove", "confirm": "yes"}
    )
    assert removed.status_code == 303
    assert (await storage.get_member("blumen")).status == "removed"
    actions = [e.action for e in await storage.list_audit_entries(subject="member:blumen")]
    assert actions == ["member.remove", "member.resume", "member.pause"]


async def test_editing_a_member_saves_and_logs_the_changed_fields(
    admin: httpx.AsyncClient, storage: SQLiteStorage
) -> None:
    data = {
        "name": "Blumenhaus am Markt",
        "website": "https://blumen.example/",
        "description": "Sträuße",
        "category": "flowers",
        "town": "Heide",
        "postal_code": "25746",
    }
    response = await post(admin, "/admin/members/blumen", data)
    assert response.status_code == 303
    member = await storage.get_member("blumen")
    assert (member.name, member.postal_code, member.description) == (
        "Blumenhaus am Markt",
        "25746",
        "Sträuße",
    )
    [entry] = await storage.list_audit_entries(subject="member:blumen")
    assert entry.action == "member.edit"
    assert "postal_code: – → „25746“" in entry.detail


async def test_a_bad_profile_field_is_reported_at_the_field_and_nothing_is_stored(
    admin: httpx.AsyncClient, storage: SQLiteStorage
) -> None:
    before = await storage.get_member("blumen")
    data = {"name": "Neu", "website": "ftp://blumen.example", "town": "Heide"}
    response = await post(admin, "/admin/members/blumen", data)
    assert response.status_code == 422
    assert_invalid(response.text, "f-website", "ist keine http(s)-Adresse")
    assert 'value="Neu"' in response.text  # what was typed stays
    assert 'href="#f-website"' in response.text  # the summary links to the field
    assert await storage.get_member("blumen") == before
    assert await storage.list_audit_entries() == []


async def test_domains_are_managed_and_bad_ones_reported(
    admin: httpx.AsyncClient, storage: SQLiteStorage
) -> None:
    ok = await post(admin, "/admin/members/blumen/domains", {"domains": "shop.blumen.de\n"})
    assert ok.status_code == 303
    member = await storage.get_member("blumen")
    assert member.domains == ("blumen.example", "shop.blumen.de", "www.blumen.example")
    [entry] = await storage.list_audit_entries(subject="member:blumen")
    assert entry.detail == "domains +shop.blumen.de"
    bad = await post(admin, "/admin/members/blumen/domains", {"domains": "not a domain!"})
    assert bad.status_code == 422
    assert_invalid(bad.text, "f-domains", "ist kein Domainname")
    assert (await storage.get_member("blumen")).domains == member.domains
    cleared = await post(admin, "/admin/members/blumen/domains", {"domains": ""})
    assert cleared.status_code == 303
    assert (await storage.get_member("blumen")).domains == (
        "blumen.example",
        "www.blumen.example",
    )


async def test_a_logo_upload_is_stored_and_served_by_us(
    admin: httpx.AsyncClient, storage: SQLiteStorage
) -> None:
    csrf = re.search(r'name="csrf" value="([^"]+)"', (await admin.get("/admin/")).text)
    assert csrf
    response = await admin.post(
        "/admin/members/blumen/logo",
        data={"csrf": csrf.group(1)},
        files={"logo": ("logo.png", png(120, 60), "image/png")},
    )
    assert response.status_code == 303
    member = await storage.get_member("blumen")
    assert member.logo is not None and (member.logo.width, member.logo.height) == (120, 60)
    page = await admin.get("/admin/members/blumen")
    src = re.search(r'<img class="logo-preview" src="(/logos/[^"]+)"', page.text)
    assert src
    served = await admin.get(src.group(1))
    # Stored as we encoded it anew: the same picture, not the uploaded bytes.
    assert served.status_code == 200 and pixels(served.content) == pixels(png(120, 60))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"GIF8 not really", "ist kein PNG-, JPEG-, WebP- oder GIF-Bild"),
        (png(4000, 10), "ist 4000×10 Pixel groß"),
        (png(100, 100) + b"\0" * 600_000, "Bytes groß, erlaubt sind höchstens 524288"),
        (b"", "Bitte wählen Sie eine Datei."),
    ],
)
async def test_a_bad_logo_is_reported_at_the_field_and_nothing_stored(
    admin: httpx.AsyncClient, storage: SQLiteStorage, data: bytes, message: str
) -> None:
    csrf = re.search(r'name="csrf" value="([^"]+)"', (await admin.get("/admin/")).text)
    assert csrf
    files = {"logo": ("logo.png" if data else "", data, "image/png")}
    response = await admin.post(
        "/admin/members/blumen/logo", data={"csrf": csrf.group(1)}, files=files
    )
    assert response.status_code == 422
    assert_invalid(response.text, "f-logo", message)
    assert (await storage.get_member("blumen")).logo is None
    with pytest.raises(NotFoundError):
        await storage.get_logo((await storage.get_member("blumen")).id)
    assert await storage.list_audit_entries() == []


async def test_theme_memberships_can_be_paused_and_joined(
    admin: httpx.AsyncClient, storage: SQLiteStorage
) -> None:
    paused = await post(
        admin, "/admin/members/blumen/themes", {"theme": "hochzeit", "status": "paused"}
    )
    assert paused.status_code == 303
    theme = await storage.get_theme("hochzeit")
    member = await storage.get_member("blumen")
    [ms] = await storage.list_memberships(member_id=member.id, theme_id=theme.id)
    assert ms.status == "paused"


async def test_a_portal_link_is_signed_expiring_and_logged(
    admin: httpx.AsyncClient, storage: SQLiteStorage, clock: Clock, app: Starlette
) -> None:
    response = await post(admin, "/admin/members/blumen/portal-link", {"days": "7"})
    assert response.status_code == 200
    found = re.search(r'value="http://testserver/portal/([^"]+)"', response.text)
    assert found, "the link is shown"
    signer: Signer = runtime_of(_request_for(app)).signer  # type: ignore[assignment]
    member = await storage.get_member("blumen")
    assert read_portal_token(signer, found.group(1), clock()) == member.id
    with pytest.raises(BadTokenError):
        read_portal_token(signer, found.group(1), clock() + 7 * 86_400 + 1)
    with pytest.raises(BadTokenError):
        read_portal_token(signer, found.group(1)[:-3] + "abc", clock())
    [entry] = await storage.list_audit_entries(subject="member:blumen")
    assert entry.action == "portal.link" and "valid 7 days" in entry.detail
    assert found.group(1) not in entry.detail  # the link itself is not kept


def _request_for(app: Starlette):  # type: ignore[no-untyped-def]
    from starlette.requests import Request

    return Request({"type": "http", "app": app, "headers": []})


@pytest.mark.parametrize(
    ("days", "message"),
    [
        ("0", "0 liegt nicht zwischen 1 und 30"),
        ("viele", "keine ganze Zahl"),
        ("31", "31 liegt nicht zwischen 1 und 30"),
    ],
)
async def test_a_bad_portal_link_duration_is_reported(
    admin: httpx.AsyncClient, storage: SQLiteStorage, days: str, message: str
) -> None:
    response = await post(admin, "/admin/members/blumen/portal-link", {"days": days})
    assert response.status_code == 422
    assert_invalid(response.text, "f-days", message)
    assert "/portal/" not in response.text
    assert await storage.list_audit_entries() == []


# -- themes ---------------------------------------------------------------------------------


async def test_a_theme_is_created_and_edited(
    admin: httpx.AsyncClient, storage: SQLiteStorage
) -> None:
    data = {
        "slug": "innenstadt",
        "name_de": "Innenstadt",
        "name_en": "Town centre",
        "description_de": "",
        "description_en": "",
        "kind": "local",
    }
    created = await post(admin, "/admin/themes/new", data)
    assert created.status_code == 303
    assert created.headers["location"] == "/admin/themes/innenstadt?done=theme_created"
    theme = await storage.get_theme("innenstadt")
    assert (theme.name_en, theme.kind) == ("Town centre", "local")
    edited = await post(admin, "/admin/themes/innenstadt", {**data, "name_de": "Heider Innenstadt"})
    assert edited.status_code == 303
    assert (await storage.get_theme("innenstadt")).name_de == "Heider Innenstadt"
    actions = [e.action for e in await storage.list_audit_entries(subject="theme:innenstadt")]
    assert actions == ["theme.edit", "theme.create"]
    listing = await admin.get("/admin/themes")
    assert "Heider Innenstadt" in listing.text


CARD = r'<h2 class="card-title"><a href="[^"]*/admin/themes/([a-z-]+)"'


async def test_the_theme_list_comes_a_page_at_a_time_and_finds_names_and_slugs(
    admin: httpx.AsyncClient, storage: Storage, monkeypatch: pytest.MonkeyPatch
) -> None:
    # At 2,000 themes the list was one page of 2,000 cards, made in about a second.
    for slug, name in (
        ("oeko", "Ökomarkt Heide"),
        ("advent", "Adventsmarkt"),
        ("zeltfest", "Zeltfest"),
        ("brunnen", "Brunnenfest <b>Nord</b>"),
    ):
        await add_theme(storage, slug=slug, name_de=name)
    whole = re.findall(CARD, (await admin.get("/admin/themes")).text)
    # German order: "Ökomarkt" sorts as "o" (after "Hochzeit").
    assert whole == ["advent", "brunnen", "hochzeit", "oeko", "zeltfest"]
    monkeypatch.setattr(themes_page, "PAGE", 2)
    first = (await admin.get("/admin/themes")).text
    assert re.findall(CARD, first) == whole[:2]
    assert "5 Themen" in first and "Seite 1 von 3" in first
    [following] = re.findall(r'<a rel="next" href="([^"]+)"', first)
    assert following.endswith("/admin/themes?page=2")
    assert re.findall(CARD, (await admin.get(following)).text) == whole[2:4]
    last = (await admin.get("/admin/themes?page=99")).text  # past the last: the last
    assert re.findall(CARD, last) == whole[4:] and 'rel="next"' not in last
    assert re.findall(CARD, (await admin.get("/admin/themes?page=x")).text) == whole[:2]
    found = (await admin.get("/admin/themes?q=%C3%B6KO")).text  # "öKO": case and accents aside
    assert re.findall(CARD, found) == ["oeko"] and "1 Thema · von 5" in found
    assert re.findall(CARD, (await admin.get("/admin/themes?q=zelt")).text) == ["zeltfest"]
    # A search is paged over what it finds: two themes, one page, the pager's links keep it.
    searched = (await admin.get("/admin/themes?q=fest&page=2")).text
    assert re.findall(CARD, searched) == ["brunnen", "zeltfest"] and "Seite 1" not in searched
    monkeypatch.setattr(themes_page, "PAGE", 1)
    searched = (await admin.get("/admin/themes?q=fest")).text
    assert re.findall(CARD, searched) == ["brunnen"] and "Seite 1 von 2" in searched
    [following] = re.findall(r'<a rel="next" href="([^"]+)"', searched)
    assert following.endswith("/admin/themes?page=2&amp;q=fest")
    assert re.findall(CARD, (await admin.get(following.replace("&amp;", "&"))).text) == ["zeltfest"]
    hostile = (await admin.get("/admin/themes?q=%3Cscript%3Ex")).text
    assert re.findall(CARD, hostile) == []
    assert "<script>x" not in hostile and "„&lt;script&gt;x“" in hostile
    assert (
        "Brunnenfest &lt;b&gt;Nord&lt;/b&gt;" in (await admin.get("/admin/themes?q=brunnen")).text
    )


async def test_the_overview_lists_the_first_few_themes_and_waiting_members_and_links_the_rest(
    admin: httpx.AsyncClient, storage: Storage, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A chamber's network: 2,000 themes, an import of thousands left pending.
    monkeypatch.setattr(overview, "OVERVIEW_SHOWN", 2)
    for n in range(3):
        await add_theme(storage, slug=f"markt-{n}", name_de=f"Markt {n}")
        await add_member(
            storage,
            MemberInput(
                slug=f"neu-{n}",
                name=f"Neu {n}",
                website=f"https://neu{n}.example/",
                status="pending",
            ),
        )
    reads: list[object] = []
    original = type(storage).list_members

    async def list_members(self: Storage, **filters: object) -> object:
        reads.append(filters.get("limit"))
        return await original(self, **filters)  # type: ignore[arg-type]

    monkeypatch.setattr(type(storage), "list_members", list_members)
    page = (await admin.get("/admin/")).text
    waiting = page.split('id="pending-title"', 1)[1].split("</section>", 1)[0]
    assert len(re.findall(r'value="approve"', waiting)) == 2
    assert re.search(
        r'href="[^"]*/admin/members\?status=pending">Alle 4 wartenden Mitglieder<', waiting
    )
    assert reads == [2]  # not every waiting member read
    listed = page.split('id="themes-title"', 1)[1].split("</section>", 1)[0]
    assert re.findall(r'<span><a href="[^"]*/admin/themes/([a-z0-9-]+)">', listed) == [
        "hochzeit",
        "markt-0",
    ]
    assert re.search(r'href="[^"]*/admin/themes">Alle 4 Themen</a>', listed)
    monkeypatch.setattr(overview, "OVERVIEW_SHOWN", 12)  # all of them fit: no links
    page = (await admin.get("/admin/")).text
    assert "wartenden Mitglieder<" not in page and "Alle 4 Themen" not in page
    assert len(re.findall(r'value="approve"', page)) == 4


async def test_the_theme_list_counts_and_versions_in_a_query_each_not_per_theme(
    admin: httpx.AsyncClient, storage: Storage, monkeypatch: pytest.MonkeyPatch
) -> None:
    # At 2,000 themes a query per theme's rules and every membership read whole made
    # the page take 3-5 s and held the widget for 1.5-2.7 s.
    await set_rules(storage, "hochzeit", {"strategy": "weighted"}, "cli")
    await set_rules(storage, "hochzeit", {"strategy": "fair-exchange"}, "cli")
    theme = await storage.get_theme("hochzeit")
    memberships = await storage.list_memberships(theme_id=theme.id)
    [paused] = [ms for ms in memberships if ms.status == "active"][:1]
    await storage.set_membership(paused.member_id, theme.id, "paused")
    active = sum(ms.status == "active" for ms in memberships) - 1
    per_theme = record_calls(
        monkeypatch, storage, ("get_rule_set", "list_memberships", "list_rule_sets")
    )
    listing = (await admin.get("/admin/themes")).text
    card = listing.split("Hochzeit", 1)[1]
    assert f"{active} aktiv, 1 pausiert · Regeln Version 2" in card
    assert per_theme == []


@pytest.mark.parametrize(
    ("slug", "name", "field", "message"),
    [
        ("Hoch Zeit", "X", "f-slug", "ist kein gültiger Kurzname"),
        ("hochzeit", "X", "f-slug", "Diesen Kurznamen gibt es schon."),
        ("neu", "", "f-name-de", "darf nicht leer sein"),
    ],
)
async def test_a_bad_theme_is_reported_at_the_field(
    admin: httpx.AsyncClient,
    storage: SQLiteStorage,
    slug: str,
    name: str,
    field: str,
    message: str,
) -> None:
    response = await post(
        admin, "/admin/themes/new", {"slug": slug, "name_de": name, "kind": "topic"}
    )
    assert response.status_code in (409, 422)
    assert_invalid(response.text, field, message)
    assert [t.slug for t in await storage.list_themes()] == ["hochzeit"]
