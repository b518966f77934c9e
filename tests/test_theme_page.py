"""The theme page /t/{slug} (issue 18, point 4): content and order, JSON-LD, Open Graph,
canonical and hreflang, escaping, the render cache; the introduction's input paths."""

from __future__ import annotations

import html
import json
import re
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio

from tests.admin_helpers import make_account, post, signed_in
from tests.api_auth import make_keys
from tests.conftest import Clock, reopened
from tests.schema_org import problems
from tests.test_widget_http import CountingStorage
from widget_server.core.models import Event, Offer, OfferParticipant
from widget_server.core.settings import Settings
from widget_server.network.prose import check_prose
from widget_server.network.services import MemberInput, add_member, update_theme
from widget_server.storage import Storage
from widget_server.web.app import create_app

pytestmark = pytest.mark.asyncio

PUBLIC = "https://partner.example"
HOSTILE = '</script><script>alert(1)</script><!--\u2028"&'
# The seeded wedding theme's categories, in German order, the uncategorised last.
GROUPS = ["Brautmode", "Catering", "Festlocation", "Floristik", "Fotografie", "Weitere Partner"]
INTRO = "Wir sind sechs Betriebe.\n\nZweiter <b>Absatz</b>\nmit zweiter Zeile."


@pytest.fixture
def public_settings(settings: Settings) -> Settings:
    return settings.with_changes(public_url=PUBLIC)


@pytest_asyncio.fixture
async def page_client(
    network: dict[str, int], public_settings: Settings, storage: Storage, clock: Clock
) -> AsyncIterator[tuple[httpx.AsyncClient, CountingStorage]]:
    """The app with a public URL over a storage that counts the calls made to it."""
    counting = CountingStorage(reopened(storage))
    quiet = public_settings.with_changes(snapshot_interval=3600, ledger_interval=3600)
    app = create_app(quiet, storage=counting, clock=clock)  # type: ignore[arg-type]
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            c.app = app  # type: ignore[attr-defined]
            yield c, counting


async def refreshed(client: httpx.AsyncClient) -> None:
    """Bring the app's snapshot up to date with writes made around it, as a poll would."""
    await client.app.state.runtime.snapshots.refresh()  # type: ignore[attr-defined]


def json_ld(page: str) -> dict[str, Any]:
    found = re.findall(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    assert len(found) == 1
    data: dict[str, Any] = json.loads(found[0])
    return data


def nodes(document: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [n for n in document["@graph"] if n["@type"] == kind]


async def seed(storage: Storage, clock: Clock) -> None:
    """An introduction, two more members (one without a category), three events and
    three offers (one past, one live, one to come)."""
    await update_theme(storage, "hochzeit", {"intro_de": INTRO, "intro_en": "We are six."})
    for slug, name, category in (("aehren", "Ährenhof Jessen", "flowers"), ("zett", "Zett", "")):
        await add_member(
            storage,
            MemberInput(
                slug=slug,
                name=name,
                website=f"https://{slug}.example/",
                category=category,
                town="Heide",
                postal_code="25746",
                themes=("hochzeit",),
            ),
        )
    theme = await storage.get_theme("hochzeit")
    blumen = await storage.get_member("blumen")
    now = datetime.fromtimestamp(clock.now, UTC)
    for slug, start, status in (
        ("messe", now + timedelta(days=10), "published"),
        ("vorbei", now - timedelta(days=2), "published"),
        ("abgesagt", now + timedelta(days=20), "cancelled"),
    ):
        await storage.create_event(
            Event(
                id=0,
                slug=slug,
                theme_id=theme.id,
                title=f"Hochzeitsmesse {slug}",
                description="Alles für den großen Tag",
                starts_at=start,
                ends_at=start + timedelta(hours=7),
                place_name="Festscheune Wulfshof",
                street="Wulfshof 1",
                postal_code="25746",
                town="Heide",
                registration_url="https://scheune.example/anmeldung",
                status=status,  # type: ignore[arg-type]
                participants=(blumen.id,),
            )
        )
    catering = await storage.get_member("catering")
    today = now.date()
    for slug, first, last in (
        ("frueher", today - timedelta(days=30), today - timedelta(days=1)),
        ("paket", today - timedelta(days=5), today + timedelta(days=10)),
        ("spaeter", today + timedelta(days=1), today + timedelta(days=20)),
    ):
        await storage.create_offer(
            Offer(
                id=0,
                slug=slug,
                theme_id=theme.id,
                proposer_id=blumen.id,
                title=f"Hochzeitspaket {slug}",
                text="Blumen und Torte zusammen",
                price_text="10 % günstiger",
                valid_from=first,
                valid_until=last,
                participants=(
                    OfferParticipant(blumen.id, True),
                    OfferParticipant(catering.id, True),
                ),
            )
        )


async def test_the_page_shows_intro_events_and_members_by_category_in_order(
    page_client: tuple[httpx.AsyncClient, CountingStorage], storage: Storage, clock: Clock
) -> None:
    client, _ = page_client
    await seed(storage, clock)
    await refreshed(client)
    response = await client.get("/t/hochzeit")
    assert response.status_code == 200
    page = response.text
    main = page.split("<main", 1)[1]
    # The introduction: paragraphs and line breaks from the text, its markup escaped.
    assert "<p>Wir sind sechs Betriebe.</p>" in main
    assert "<p>Zweiter &lt;b&gt;Absatz&lt;/b&gt;<br>mit zweiter Zeile.</p>" in main
    # Sections in order: introduction, offers, events, partners; headings h1 → h2 → h3 → h4.
    order = [
        main.index(s) for s in ("theme-intro", "offers-title", "events-title", "partner-title")
    ]
    assert order == sorted(order)
    levels = [int(n) for n in re.findall(r"<h([1-6])", main)]
    assert levels[0] == 1 and all(b - a <= 1 for a, b in zip(levels, levels[1:], strict=False))
    # Today's offers only, linking to their own pages; the participants are linked.
    assert "Hochzeitspaket paket" in main
    assert "Hochzeitspaket frueher" not in main and "Hochzeitspaket spaeter" not in main
    assert f'<a href="{PUBLIC}/o/paket">Hochzeitspaket paket</a>' in main
    offer = main.split("Hochzeitspaket paket", 1)[1].split("</li>\n    </ul>", 1)[0]
    assert '<a href="https://catering.example/">Küstenküche Boie</a>' in offer
    # Upcoming events only (the past one is gone); the cancelled one is marked.
    assert "Hochzeitsmesse messe" in main and "Hochzeitsmesse vorbei" not in main
    assert "Abgesagt" in main.split("Hochzeitsmesse abgesagt", 1)[1].split("</li>", 1)[0]
    # Categories in German order of their labels, the uncategorised last; members sorted.
    groups = re.findall(r'<h3 id="cat-\d+" class="group-title">([^<]*)</h3>', main)
    assert groups == GROUPS
    flowers = main.split(">Floristik<", 1)[1].split("</section>", 1)[0]
    assert flowers.index("Ährenhof Jessen") < flowers.index("Blumenhaus am Markt")
    # Editorial links: plain, neither sponsored nor nofollow.
    link = re.search(r'<a class="member-link" href="https://blumen.example/"([^>]*)>', main)
    assert link is not None and "rel=" not in link.group(1)
    assert 'lang="de"' in page


async def test_english_page_uses_the_english_texts(
    page_client: tuple[httpx.AsyncClient, CountingStorage], storage: Storage, clock: Clock
) -> None:
    client, _ = page_client
    await seed(storage, clock)
    await refreshed(client)
    page = (await client.get("/t/hochzeit?lang=en")).text
    assert '<html lang="en">' in page
    assert "<p>We are six.</p>" in page and "<h1>Wedding</h1>" in page
    assert "Other partners" in page and "Upcoming events" in page
    assert '<meta property="og:locale" content="en_GB">' in page


async def test_json_ld_is_valid_schema_org(
    page_client: tuple[httpx.AsyncClient, CountingStorage], storage: Storage, clock: Clock
) -> None:
    client, _ = page_client
    await seed(storage, clock)
    await refreshed(client)
    document = json_ld((await client.get("/t/hochzeit")).text)
    assert problems(document) == []
    (item_list,) = nodes(document, "ItemList")
    businesses = [e["item"] for e in item_list["itemListElement"]]
    assert [e["position"] for e in item_list["itemListElement"]] == list(range(1, 8))
    ahren = next(b for b in businesses if b["name"] == "Ährenhof Jessen")
    assert ahren["address"] == {
        "@type": "PostalAddress",
        "postalCode": "25746",
        "addressLocality": "Heide",
    }
    assert ahren["url"] == "https://aehren.example/"
    (offer,) = nodes(document, "Offer")
    today = datetime.fromtimestamp(clock.now, UTC).date()
    assert offer["url"] == f"{PUBLIC}/o/paket"
    assert offer["validFrom"] == (today - timedelta(days=5)).isoformat()
    assert (
        offer["validThrough"]
        == offer["priceValidUntil"]
        == (today + timedelta(days=10)).isoformat()
    )
    assert [o["name"] for o in offer["offeredBy"]] == ["Blumenhaus am Markt", "Küstenküche Boie"]
    events = nodes(document, "Event")
    assert [e["eventStatus"].rsplit("/", 1)[1] for e in events] == [
        "EventScheduled",
        "EventCancelled",
    ]
    messe = events[0]
    assert messe["location"]["address"]["streetAddress"] == "Wulfshof 1"
    assert messe["organizer"] == [
        {"@type": "Organization", "name": "Blumenhaus am Markt", "url": "https://blumen.example/"}
    ]
    assert datetime.fromisoformat(messe["endDate"]) - datetime.fromisoformat(
        messe["startDate"]
    ) == timedelta(hours=7)


async def test_hostile_text_is_escaped_in_html_and_json_ld(
    page_client: tuple[httpx.AsyncClient, CountingStorage], storage: Storage
) -> None:
    client, _ = page_client
    await add_member(
        storage,
        MemberInput(
            slug="boese",
            name=f"Böse {HOSTILE}",
            website="https://boese.example/",
            description=HOSTILE,
            themes=("hochzeit",),
        ),
    )
    theme = await storage.get_theme("hochzeit")
    await storage.update_theme(replace(theme, intro_de=check_prose("intro_de", HOSTILE)))
    await refreshed(client)
    page = (await client.get("/t/hochzeit")).text
    assert "<script>alert" not in page and "<!--" not in page
    assert page.count("</script>") == 1  # the JSON-LD's own end
    raw = re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    assert raw is not None
    assert not set(raw.group(1)) & {"<", ">", "&", "\u2028", "\u2029"}
    names = [e["item"]["name"] for e in nodes(json_ld(page), "ItemList")[0]["itemListElement"]]
    assert f"Böse {HOSTILE}".replace("\u2028", " ") in names  # same text, once parsed


async def test_canonical_hreflang_and_open_graph_use_the_public_url(
    page_client: tuple[httpx.AsyncClient, CountingStorage],
) -> None:
    client, _ = page_client
    page = (await client.get("/t/hochzeit")).text
    head = page.split("</head>", 1)[0]
    assert f'<link rel="canonical" href="{PUBLIC}/t/hochzeit">' in head
    assert f'<link rel="alternate" hreflang="en" href="{PUBLIC}/t/hochzeit?lang=en">' in head
    assert f'<link rel="alternate" hreflang="x-default" href="{PUBLIC}/t/hochzeit">' in head
    og = dict(re.findall(r'<meta property="(og:[a-z_:]+)" content="([^"]*)">', head))
    assert og["og:url"] == f"{PUBLIC}/t/hochzeit"
    assert (og["og:type"], og["og:title"], og["og:locale"]) == ("website", "Hochzeit", "de_DE")
    assert html.unescape(og["og:description"]) == "5 Betriebe, die sich gegenseitig empfehlen."
    english = (await client.get("/t/hochzeit?lang=en")).text
    assert f'<link rel="canonical" href="{PUBLIC}/t/hochzeit?lang=en">' in english


def partner_names(page: str) -> list[str]:
    return re.findall(r'<h4 class="member-name">([^<]*)</h4>', page)


async def test_a_long_partner_list_is_split_into_linked_pages(
    page_client: tuple[httpx.AsyncClient, CountingStorage],
    storage: Storage,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Three partners a page (a theme of thousands: a hundred): the same partners in
    the same order as one page, groups continued, news on the first page only,
    pages linked both ways and each its own canonical address; no page past the last."""
    from widget_server.serving import theme_page as listing
    from widget_server.web.endpoints import theme_page as endpoint

    client, _ = page_client
    await seed(storage, clock)
    await refreshed(client)
    ordered: list[object] = []
    monkeypatch.setattr(
        endpoint, "by_category", lambda *a: ordered.append(a) or listing.by_category(*a)
    )
    whole = partner_names((await client.get("/t/hochzeit")).text)
    assert len(whole) == 7 and "pager" not in (await client.get("/t/hochzeit")).text
    monkeypatch.setattr(listing, "MEMBERS_PER_PAGE", 3)
    await update_theme(storage, "hochzeit", {"intro_de": "Neu hier."})  # pages made anew
    await refreshed(client)
    pages = [(await client.get(f"/t/hochzeit?page={n}")).text for n in (1, 2, 3)]
    assert len(ordered) == 2  # the order made once for the three pages (and before the change)
    assert [len(partner_names(p)) for p in pages] == [3, 3, 1]
    assert [n for p in pages for n in partner_names(p)] == whole
    first, second, last = pages
    assert (await client.get("/t/hochzeit")).text == first
    assert "<p>Neu hier.</p>" in first and "Hochzeitspaket paket" in first
    assert "theme-intro" not in second and "Hochzeitspaket" not in second + last
    assert "Hochzeitsmesse" not in second + last
    # The groups go on from page to page, in order.
    groups = [re.findall(r'class="group-title">([^<]*)<', p) for p in pages]
    flat = [g for gs in groups for g in gs]
    assert [g for n, g in enumerate(flat) if n == 0 or flat[n - 1] != g] == GROUPS
    # Linked both ways, in the head and in the list's own navigation.
    head = second.split("</head>", 1)[0]
    assert f'<link rel="canonical" href="{PUBLIC}/t/hochzeit?page=2">' in head
    assert f'<link rel="prev" href="{PUBLIC}/t/hochzeit">' in head
    assert f'<link rel="next" href="{PUBLIC}/t/hochzeit?page=3">' in head
    assert f'hreflang="en" href="{PUBLIC}/t/hochzeit?lang=en&amp;page=2"' in head
    assert "<title>Hochzeit – Seite 2 – " in head
    nav = second.split('<nav class="pager"', 1)[1].split("</nav>", 1)[0]
    assert f'rel="prev" href="{PUBLIC}/t/hochzeit">Vorige Seite</a>' in nav
    assert "Seite 2 von 3" in nav and 'rel="next"' in nav
    assert 'rel="prev"' not in first and 'rel="next"' not in last
    assert "Seite 3 von 3" in last
    # Structured data lists the page's partners only.
    assert [len(nodes(json_ld(p), "ItemList")[0]["itemListElement"]) for p in pages] == [3, 3, 1]
    english = (await client.get("/t/hochzeit?lang=en&page=2")).text
    assert "Page 2 of 3" in english and "Previous page" in english
    assert f'<link rel="next" href="{PUBLIC}/t/hochzeit?lang=en&amp;page=3">' in english
    for bad in ("4", "0", "-1", "abc", "2.0", "%C2%B2", "1" * 8, ""):
        response = await client.get(f"/t/hochzeit?page={bad}")
        assert response.status_code == 404, bad
        assert response.json()["title"] == "No such page"


async def test_a_visit_costs_no_storage_call_until_something_changes(
    page_client: tuple[httpx.AsyncClient, CountingStorage], storage: Storage, clock: Clock
) -> None:
    client, counting = page_client
    first = await client.get("/t/hochzeit")
    assert "upcoming_events" in counting.calls  # made once, with the events
    counting.calls.clear()
    again = await client.get("/t/hochzeit")
    assert again.content == first.content and counting.calls == []
    not_modified = await client.get("/t/hochzeit", headers={"If-None-Match": first.headers["etag"]})
    assert not_modified.status_code == 304 and not_modified.content == b""
    # A change of the network (a new data version) makes it anew.
    await update_theme(storage, "hochzeit", {"intro_de": "Neu hier."})
    await refreshed(client)
    counting.calls.clear()
    assert "<p>Neu hier.</p>" in (await client.get("/t/hochzeit")).text
    assert "upcoming_events" in counting.calls
    # Events do not change the data version: the page is made again a minute later.
    counting.calls.clear()
    clock.advance(61)
    await client.get("/t/hochzeit")
    assert "upcoming_events" in counting.calls


async def test_sitemap_lists_theme_and_offer_pages_with_lastmod(
    page_client: tuple[httpx.AsyncClient, CountingStorage], storage: Storage, clock: Clock
) -> None:
    from xml.etree import ElementTree

    client, _ = page_client
    await seed(storage, clock)
    response = await client.get("/sitemap.xml")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/xml")
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9", "x": "http://www.w3.org/1999/xhtml"}
    root = ElementTree.fromstring(response.content)
    urls = {u.findtext("s:loc", namespaces=ns): u for u in root.findall("s:url", ns)}
    assert set(urls) == {f"{PUBLIC}/", f"{PUBLIC}/t/hochzeit", f"{PUBLIC}/o/paket"}
    assert urls[f"{PUBLIC}/o/paket"].findtext("s:lastmod", namespaces=ns)
    theme = urls[f"{PUBLIC}/t/hochzeit"]
    before = datetime.fromisoformat(theme.findtext("s:lastmod", namespaces=ns) or "")
    links = {x.get("hreflang"): x.get("href") for x in theme.findall("x:link", ns)}
    assert links == {"de": f"{PUBLIC}/t/hochzeit", "en": f"{PUBLIC}/t/hochzeit?lang=en"}
    # lastmod follows what the page shows: a member's change moves it.
    await storage.set_membership(
        (await storage.get_member("blumen")).id, (await storage.get_theme("hochzeit")).id, "paused"
    )
    await refreshed(client)
    root = ElementTree.fromstring((await client.get("/sitemap.xml")).content)
    after = next(
        u.findtext("s:lastmod", namespaces=ns)
        for u in root.findall("s:url", ns)
        if u.findtext("s:loc", namespaces=ns) == f"{PUBLIC}/t/hochzeit"
    )
    assert datetime.fromisoformat(after or "") >= before


async def test_robots_allows_public_pages_and_keeps_crawlers_out_of_the_rest(
    page_client: tuple[httpx.AsyncClient, CountingStorage],
) -> None:
    client, _ = page_client
    response = await client.get("/robots.txt")
    assert response.headers["content-type"].startswith("text/plain")
    lines = response.text.splitlines()
    assert lines[:2] == ["User-agent: *", "Allow: /"]
    disallowed = {line.split(": ", 1)[1] for line in lines if line.startswith("Disallow: ")}
    assert {"/admin", "/portal", "/api/", "/w/", "/v/", "/c/"} <= disallowed
    assert not any("/t/".startswith(p) or "/sitemap.xml".startswith(p) for p in disallowed)
    assert f"Sitemap: {PUBLIC}/sitemap.xml" in lines


# -- the introduction's input paths ------------------------------------------------------------


async def test_api_sets_the_intro_and_refuses_bad_values(
    network: dict[str, int], storage: Storage, client: httpx.AsyncClient
) -> None:
    keys = await make_keys(storage)
    response = await client.patch(
        "/api/v1/themes/hochzeit", json={"intro_en": "One.\n\nTwo."}, headers=keys.coordinator
    )
    assert response.status_code == 200 and response.json()["intro_en"] == "One.\n\nTwo."
    for body, field in (
        ({"intro_de": "a\x00b"}, "intro_de"),
        ({"intro_en": "x" * 3001}, "intro_en"),
    ):
        response = await client.patch(
            "/api/v1/themes/hochzeit", json=body, headers=keys.coordinator
        )
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        assert field in response.text
    assert (await storage.get_theme("hochzeit")).intro_en == "One.\n\nTwo."
    denied = await client.patch(
        "/api/v1/themes/hochzeit", json={"intro_de": "x"}, headers=keys.blumen
    )
    assert denied.status_code == 403


async def test_admin_form_saves_the_intro_and_shows_the_error_at_its_field(
    network: dict[str, int], storage: Storage, client: httpx.AsyncClient
) -> None:
    await make_account(storage)
    await signed_in(client)
    form = (await client.get("/admin/themes/hochzeit")).text
    assert 'name="intro_de"' in form and 'name="intro_en"' in form
    theme = await storage.get_theme("hochzeit")
    data = {"name_de": theme.name_de, "name_en": theme.name_en, "kind": theme.kind}
    saved = await post(client, "/admin/themes/hochzeit", {**data, "intro_de": "Eins.\r\n\r\nZwei."})
    assert saved.status_code == 303
    assert (await storage.get_theme("hochzeit")).intro_de == "Eins.\n\nZwei."
    refused = await post(client, "/admin/themes/hochzeit", {**data, "intro_en": "a\x07b"})
    assert refused.status_code == 422 and 'id="f-intro-en"' in refused.text
    assert 'aria-invalid="true"' in refused.text.split('id="f-intro-en"', 1)[1].split(">", 1)[0]
    assert (await storage.get_theme("hochzeit")).intro_de == "Eins.\n\nZwei."
