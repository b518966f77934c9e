"""The theme page in Chromium: hostile member and coordinator text stays text (no script
runs, no markup appears, the JSON-LD parses back to the same text), and the page is
accessible: landmarks, heading order, language, contrast in both colour schemes."""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import Page

from tests.browser.conftest import DemoServer, Watched
from widget_server.core.models import Event, Offer, OfferParticipant
from widget_server.storage import storage_from_url

pytestmark = pytest.mark.browser

THEME = "feindlich"
NAME = '<img src=x onerror="window.__pwned=1">Böse & Co</script><script>alert(2)'
DESCRIPTION = "<!-- </script><b>fett</b>\u2028<svg onload=window.__pwned=3>"
INTRO = "Erster <i>Absatz</i> </script><script>window.__pwned=4</script>\n\n<b>Zweiter</b>"
EVENT = '</script><script>window.__pwned=5</script><a href="javascript:alert(1)">Messe</a>'

INSPECT = """() => {
  const ld = [...document.querySelectorAll('script[type="application/ld+json"]')];
  const graph = JSON.parse(ld[0].textContent)['@graph'];
  return {
    pwned: window.__pwned === undefined ? null : window.__pwned,
    scripts: document.querySelectorAll('script').length,
    injected: document.querySelectorAll('main img, main b, main i, main svg, main script').length,
    names: [...document.querySelectorAll('h4.member-name')].map(e => e.textContent),
    descs: [...document.querySelectorAll('.member-desc')].map(e => e.textContent),
    intro: [...document.querySelectorAll('.theme-intro p')].map(e => e.textContent),
    joint: [...document.querySelectorAll('.joint-title')].map(e => e.textContent),
    prices: [...document.querySelectorAll('.joint-price')].map(e => e.textContent),
    ldNames: graph[0].itemListElement.map(e => e.item.name),
    ldEvents: graph.filter(n => n['@type'] === 'Event').map(n => n.name),
    ldOffers: graph.filter(n => n['@type'] === 'Offer').map(n => n.description),
    hrefs: [...document.querySelectorAll('main a')].map(a => a.getAttribute('href')),
  };
}"""

ACCESSIBILITY = """() => {
  const rgb = (c) => { const x = document.createElement('canvas').getContext('2d');
    x.fillStyle = c; x.fillRect(0, 0, 1, 1); return [...x.getImageData(0, 0, 1, 1).data]; };
  const lum = (c) => { const v = rgb(c).slice(0, 3).map(v => { v /= 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2]; };
  const background = (e) => { for (; e; e = e.parentElement) {
      const c = getComputedStyle(e).backgroundColor;
      if (rgb(c)[3] === 255) return c; }
    return 'white'; };
  const ratio = (e) => { const a = lum(getComputedStyle(e).color), b = lum(background(e));
    return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05); };
  const texts = 'main h1, main h2, main h3, main h4, main p, main a, main li, main time';
  return {
    lang: document.documentElement.lang,
    landmarks: ['header', 'nav', 'main', 'footer'].map(s => document.querySelectorAll(s).length),
    headings: [...document.querySelectorAll('main h1, main h2, main h3, main h4')]
      .map(h => Number(h.tagName[1])),
    lowest: Math.min(...[...document.querySelectorAll(texts)]
      .filter(e => e.textContent.trim() && !e.closest('.visually-hidden'))
      .map(ratio)),
  };
}"""


async def _event(database_url: str, theme_id: int) -> None:
    storage = storage_from_url(database_url)
    await storage.open()
    try:
        start = datetime.now(UTC) + timedelta(days=30)
        await storage.create_event(
            Event(
                id=0,
                slug="feindliche-messe",
                theme_id=theme_id,
                title=EVENT,
                description=DESCRIPTION,
                starts_at=start,
                ends_at=start + timedelta(hours=5),
                place_name=NAME,
                town="Heide",
                registration_url="javascript:alert(1)",
            )
        )
        member = await storage.get_member("boese-co")
        today = start.date() - timedelta(days=30)
        await storage.create_offer(
            Offer(
                id=0,
                slug="feindliches-paket",
                theme_id=theme_id,
                proposer_id=member.id,
                title=EVENT,
                text=DESCRIPTION,
                price_text=NAME,
                valid_from=today - timedelta(days=1),
                valid_until=today + timedelta(days=1),
                participants=(OfferParticipant(member.id, True),),
            )
        )
    finally:
        await storage.close()


def _theme_id(demo_server: DemoServer) -> int:
    import json

    themes = json.loads(demo_server.cli("theme", "list", "--json"))
    return int(next(t["id"] for t in themes if t["slug"] == THEME))


def test_hostile_text_on_the_theme_page_is_inert(demo_server: DemoServer, watched: Watched) -> None:
    demo_server.cli("theme", "add", THEME, "--name-de", "Feindlich </title><script>x()</script>")
    demo_server.cli("theme", "edit", THEME, "--intro", INTRO)
    demo_server.cli(
        "member", "add", "boese-co", "--name", NAME, "--website", "https://boese.example/",
        "--description", DESCRIPTION, "--town", "Heide", "--theme", THEME,
    )  # fmt: skip
    # In a thread of its own: Playwright's sync API keeps an event loop in this one.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(
            asyncio.run, _event(demo_server.env["WIDGET_DATABASE_URL"], _theme_id(demo_server))
        ).result()
    page: Page = watched.page
    page.on("dialog", lambda d: (_ for _ in ()).throw(AssertionError("dialog opened")))
    found: dict[str, Any] = {}
    deadline = time.monotonic() + 120  # a hang guard: the server sees the member at a poll
    while time.monotonic() < deadline:
        response = page.goto(f"{demo_server.base}/t/{THEME}")
        if response is not None and response.status == 200:
            found = page.evaluate(INSPECT)
            if found["names"]:
                break
        time.sleep(0.3)
    assert found["pwned"] is None and watched.errors == []
    assert found["scripts"] == 1 and found["injected"] == 0  # only the JSON-LD
    assert found["names"] == [NAME]
    assert found["descs"] == [DESCRIPTION.replace("\u2028", " ")]
    assert found["intro"] == [
        "Erster <i>Absatz</i> </script><script>window.__pwned=4</script>",
        "<b>Zweiter</b>",
    ]
    assert found["joint"] == [EVENT, EVENT]  # the offer's title, the event's
    assert found["prices"] == [NAME]
    assert found["ldNames"] == [NAME] and found["ldEvents"] == [EVENT]
    assert found["ldOffers"] == [DESCRIPTION]  # U+2028 itself, stored as is
    assert not any(h and h.startswith("javascript:") for h in found["hrefs"])
    assert page.title().startswith("Feindlich </title><script>x()</script>")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_theme_page_is_accessible(
    demo_server: DemoServer, watched: Watched, scheme: str
) -> None:
    page = watched.page
    page.emulate_media(color_scheme=scheme)  # type: ignore[arg-type]
    page.goto(f"{demo_server.base}/t/hochzeit-heide?lang=en")
    found = page.evaluate(ACCESSIBILITY)
    assert found["lang"] == "en"
    assert all(n >= 1 for n in found["landmarks"]), found["landmarks"]
    headings = found["headings"]
    assert headings[0] == 1 and headings.count(1) == 1
    assert all(b - a <= 1 for a, b in zip(headings, headings[1:], strict=False)), headings
    assert found["lowest"] >= 4.5  # WCAG AA for body text
    assert watched.errors == []
