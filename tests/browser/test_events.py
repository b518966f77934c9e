"""Joint events in a real browser: hostile text in every field stays text.

On the shared demo server a coordinator key publishes a network-wide event
and a member key proposes one, each with markup in every text field and a
registration link that tries to break out of its attribute.  The admin's
list and event page and the member portal's list show it as text: no
element is made from it, no script runs, no dialog opens.  The calendar
feed is served as text/calendar, never as a page.
"""

from __future__ import annotations

import json

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import DemoServer, Watched

pytestmark = pytest.mark.browser

HOSTILE = "<img src=x onerror=window.__pwned=1><script>__pwned=2</script>'\"&amp;"
LINK = "https://festscheune.example/anmeldung?a=\"><img/src=x/onerror=window.__pwned=3>&b='"
MEMBER = "blumenhaus-am-markt"


def api_key(demo: DemoServer, scope: str) -> dict[str, str]:
    key = json.loads(demo.cli("key", "create", "--scope", scope, "--json"))["key"]
    return {"Authorization": f"Bearer {key}"}


def hostile_event(**extra: object) -> dict[str, object]:
    return {
        "title": f"Messe {HOSTILE}",
        "description": f"Zeile {HOSTILE}\nnoch eine",
        "starts_at": "2031-05-10T10:00",
        "ends_at": "2031-05-10T17:00",
        "place_name": f"Ort {HOSTILE}",
        "street": HOSTILE[:100],
        "town": f"Heide {HOSTILE}",
        "registration_url": LINK,
        **extra,
    }


def assert_inert(page: Page) -> None:
    assert page.evaluate("() => window.__pwned") is None
    assert page.locator("img[src='x']").count() == 0
    assert page.locator("main script").count() == 0


def test_hostile_event_text_is_inert_in_admin_and_portal(
    demo_server: DemoServer, watched: Watched
) -> None:
    base = demo_server.base
    coordinator = api_key(demo_server, "coordinator")
    created = httpx.post(
        f"{base}/api/v1/events", headers=coordinator, json=hostile_event(theme=None), timeout=30
    )
    assert created.status_code == 201, created.text
    event = created.json()
    assert event["title"] == f"Messe {HOSTILE}"  # stored as sent: escaping is the output's job
    member = api_key(demo_server, f"member:{MEMBER}")
    proposed = httpx.post(
        f"{base}/api/v1/events",
        headers=member,
        json=hostile_event(theme="hochzeit-heide", title=f"Vorschlag {HOSTILE}"),
        timeout=30,
    )
    assert proposed.status_code == 201, proposed.text
    dialogs: list[str] = []
    page = watched.page
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))

    page.goto(f"{base}/admin/")
    page.get_by_label("Benutzername").fill("koordination")
    page.get_by_label("Passwort").fill(demo_server.password)
    page.get_by_role("button", name="Anmelden").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    page.goto(f"{base}/admin/events")
    expect(page.get_by_role("link", name=f"Messe {HOSTILE}")).to_be_visible()
    expect(page.get_by_role("link", name=f"Vorschlag {HOSTILE}")).to_be_visible()
    assert_inert(page)
    page.get_by_role("link", name=f"Messe {HOSTILE}").click()
    expect(page.get_by_label("Titel")).to_have_value(f"Messe {HOSTILE}")
    expect(page.get_by_label("Link zur Anmeldung (freiwillig)")).to_have_value(LINK)
    expect(page.get_by_label("Beschreibung")).to_have_value(f"Zeile {HOSTILE}\nnoch eine")
    assert_inert(page)

    link = json.loads(
        demo_server.cli("portal-link", MEMBER, "--days", "1", "--base-url", base, "--json")
    )["url"]
    page.goto(link)
    page.goto(f"{base}/portal/events")
    card = page.locator(".card", has_text=f"Messe {HOSTILE}")
    expect(card).to_be_visible()
    expect(card.get_by_role("link", name="Anmeldung")).to_have_attribute("href", LINK)
    expect(page.get_by_role("link", name=f"Vorschlag {HOSTILE}")).to_be_visible()  # its own
    assert_inert(page)

    assert dialogs == []
    assert watched.errors == []
    feed = httpx.get(f"{base}/events.ics", timeout=30)
    assert feed.headers["content-type"] == "text/calendar; charset=utf-8"
    assert feed.headers["x-content-type-options"] == "nosniff"
    # Clean up: the shared demo's other tests see the network as it was.
    httpx.put(
        f"{base}/api/v1/events/{event['slug']}/status",
        headers=coordinator,
        json={"status": "cancelled", "sequence": event["sequence"]},
        timeout=30,
    ).raise_for_status()
    httpx.delete(f"{base}/api/v1/events/{event['slug']}", headers=coordinator, timeout=30)
    httpx.delete(f"{base}/api/v1/events/{proposed.json()['slug']}", headers=member, timeout=30)
