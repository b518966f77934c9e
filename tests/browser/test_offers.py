"""A joint offer with hostile text in every field, through a real browser, end to end.

A member proposes it in its portal (the form filled and sent by Chromium), a
second member confirms it in its own portal, the public page ``/o/{slug}``
shows it, and a coordinator removes it in the admin.  Every text stays text on
every page: no element, script or dialog comes out of it.  Runs on the demo
server the browser tests share, and removes its offer at the end.
"""

from __future__ import annotations

import json

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import DemoServer

pytestmark = pytest.mark.browser

PROPOSER = "brautmoden-carstens"
PARTNER = "festscheune-wulfshof"
PARTNER_NAME = "Festscheune Wulfshof"
MARK = "__pwned=1"  # finds this test's offer among the demo's
TITLE = '<img src=x onerror="window.__pwned=1">Paket "&" </h1><script>window.__pwned=2</script>'
PRICE = "'\"><svg onload=window.__pwned=3>10 % {{ 7*7 }}"
TEXT_LINES = ("Zeile <b>eins</b> ${7*7}", "<iframe src=javascript:window.__pwned=4></iframe>")
DIALOG = "a dialog opened"


def hostile_page(browser: Browser) -> tuple[Page, list[str]]:
    """A page in its own context that fails on dialogs and records script errors."""
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("dialog", lambda dialog: (errors.append(DIALOG), dialog.dismiss()))
    return page, errors


def open_portal(page: Page, server: DemoServer, member: str) -> None:
    out = server.cli("portal-link", member, "--days", "1", "--base-url", server.base, "--json")
    page.goto(json.loads(out)["url"])
    page.goto(f"{server.base}/portal/offers")


def admin_offers(browser: Browser, server: DemoServer) -> tuple[Page, list[str]]:
    """A coordinator signed in on the admin's offers, in a page of its own."""
    admin, errors = hostile_page(browser)
    admin.goto(f"{server.base}/admin/")
    admin.get_by_label("Benutzername").fill("koordination")
    admin.get_by_label("Passwort").fill(server.password)
    admin.get_by_role("button", name="Anmelden").click()
    admin.goto(f"{server.base}/admin/offers")
    return admin, errors


def assert_inert(page: Page) -> None:
    """Nothing of the hostile text became markup or ran."""
    assert page.evaluate("() => window.__pwned") is None
    assert page.locator('img[src="x"], svg[onload], iframe, b').count() == 0
    scripts = page.evaluate("() => [...document.scripts].map(s => s.src)")
    assert all(src.startswith("http://127.0.0.1") for src in scripts)  # only our own files


def test_hostile_offer_text_is_inert_on_every_page(
    demo_server: DemoServer, browser: Browser
) -> None:
    proposer, errors = hostile_page(browser)
    open_portal(proposer, demo_server, PROPOSER)
    proposer.get_by_label("Titel").fill(TITLE)
    proposer.get_by_label("Preis oder Rabatt").fill(PRICE)
    proposer.get_by_label("Beschreibung").fill("\n".join(TEXT_LINES))
    proposer.get_by_label(PARTNER_NAME).check()
    proposer.get_by_role("button", name="Angebot vorschlagen").click()
    expect(proposer.locator(".notice, [role=status]").first).to_be_visible()
    item = proposer.locator("article.offer-item").filter(has_text=MARK)
    expect(item.locator("h3")).to_contain_text(TITLE)
    expect(item.locator(".offer-price")).to_have_text(PRICE)
    assert_inert(proposer)

    partner, partner_errors = hostile_page(browser)
    open_portal(partner, demo_server, PARTNER)
    theirs = partner.locator("article.offer-item").filter(has_text=MARK)
    theirs.get_by_role("button", name="Bestätigen: Wir machen mit").click()
    theirs = partner.locator("article.offer-item").filter(has_text=MARK)
    expect(theirs.locator(".badge")).to_have_text("Sichtbar")
    assert_inert(partner)
    link = theirs.get_by_role("link", name="Seite des Angebots")
    page_path = link.get_attribute("href")
    assert page_path and page_path.startswith("/o/")

    visitor, visitor_errors = hostile_page(browser)
    visitor.goto(f"{demo_server.base}{page_path}")
    expect(visitor.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(visitor.locator(".offer-price")).to_have_text(PRICE)
    text = visitor.locator(".offer-text").inner_text()
    assert text.splitlines() == list(TEXT_LINES)
    assert TITLE in visitor.title()
    members = visitor.locator(".member-card .member-name").all_inner_texts()
    assert members == ["Brautmoden Carstens", PARTNER_NAME]
    assert_inert(visitor)

    admin, admin_errors = admin_offers(browser, demo_server)
    panel = admin.locator("section.offer-item").filter(has_text=MARK)
    expect(panel.locator("h2")).to_contain_text(TITLE)
    assert_inert(admin)
    panel.get_by_role("button", name="Entfernen").click()
    expect(
        admin.locator("section.offer-item").filter(has_text=MARK).locator(".badge")
    ).to_have_text("Entfernt")
    assert httpx.get(f"{demo_server.base}{page_path}", timeout=10).status_code == 404
    assert errors == partner_errors == visitor_errors == admin_errors == []
    for page in (proposer, partner, visitor, admin):
        page.context.close()


# An offer whose texts become hostile only when it is changed: the edit form, the
# changed offer in both portals, its page and the admin's edit form keep them text.
EDIT_MARK = "__edited=1"
EDITED_TITLE = (
    '<img src=x onerror="window.__edited=1">Neu "&" </h3><script>window.__edited=2</script>'
)
EDITED_PRICE = "'\"><svg onload=window.__edited=3>15 % {{ 7*7 }}"
EDITED_LINES = ("Zeile <i>zwei</i> ${7*7}", "<iframe src=javascript:window.__edited=4></iframe>")


def assert_edit_inert(page: Page) -> None:
    assert page.evaluate("() => window.__edited") is None
    assert page.locator('img[src="x"], svg[onload], iframe, i').count() == 0


def test_an_offer_changed_to_hostile_text_stays_inert(
    demo_server: DemoServer, browser: Browser
) -> None:
    proposer, errors = hostile_page(browser)
    open_portal(proposer, demo_server, PROPOSER)
    proposer.get_by_label("Titel").fill("Paket zum Ändern")
    proposer.get_by_label("Preis oder Rabatt").fill("10 %")
    proposer.get_by_label(PARTNER_NAME).check()
    proposer.get_by_role("button", name="Angebot vorschlagen").click()
    expect(proposer.locator(".notice, [role=status]").first).to_be_visible()
    partner, partner_errors = hostile_page(browser)
    open_portal(partner, demo_server, PARTNER)
    mine = partner.locator("article.offer-item").filter(has_text="Paket zum Ändern")
    mine.get_by_role("button", name="Bestätigen: Wir machen mit").click()

    proposer.goto(f"{demo_server.base}/portal/offers")
    item = proposer.locator("article.offer-item").filter(has_text="Paket zum Ändern")
    item.get_by_role("link", name="Angebot ändern").click()
    proposer.get_by_label("Titel").fill(EDITED_TITLE)
    proposer.get_by_label("Preis oder Rabatt").fill(EDITED_PRICE)
    proposer.get_by_label("Beschreibung").fill("\n".join(EDITED_LINES))
    proposer.get_by_role("button", name="Änderungen speichern").click()
    expect(proposer.get_by_text("Alle Beteiligten werden gebeten")).to_be_visible()
    changed = proposer.locator("article.offer-item").filter(has_text=EDIT_MARK)
    expect(changed.locator("h3")).to_contain_text(EDITED_TITLE)
    expect(changed.locator(".offer-price")).to_have_text(EDITED_PRICE)
    assert_edit_inert(proposer)
    changed.get_by_role("link", name="Angebot ändern").click()  # the form shows them as values
    expect(proposer.get_by_label("Titel")).to_have_value(EDITED_TITLE)
    assert_edit_inert(proposer)

    partner.goto(f"{demo_server.base}/portal/offers")
    theirs = partner.locator("article.offer-item").filter(has_text=EDIT_MARK)
    theirs.get_by_role("button", name="Bestätigen: Wir machen mit").click()  # asked again
    theirs = partner.locator("article.offer-item").filter(has_text=EDIT_MARK)
    expect(theirs.locator(".badge")).to_have_text("Sichtbar")
    assert_edit_inert(partner)
    page_path = theirs.get_by_role("link", name="Seite des Angebots").get_attribute("href")
    assert page_path and page_path.startswith("/o/")

    visitor, visitor_errors = hostile_page(browser)
    visitor.goto(f"{demo_server.base}{page_path}")
    expect(visitor.get_by_role("heading", level=1)).to_have_text(EDITED_TITLE)
    assert visitor.locator(".offer-text").inner_text().splitlines() == list(EDITED_LINES)
    assert_edit_inert(visitor)

    admin, admin_errors = admin_offers(browser, demo_server)
    panel = admin.locator("section.offer-item").filter(has_text=EDIT_MARK)
    panel.get_by_role("link", name="Angebot ändern").click()
    expect(admin.get_by_label("Preis oder Rabatt")).to_have_value(EDITED_PRICE)
    assert_edit_inert(admin)
    admin.goto(f"{demo_server.base}/admin/offers")
    panel = admin.locator("section.offer-item").filter(has_text=EDIT_MARK)
    panel.get_by_role("button", name="Entfernen").click()
    assert httpx.get(f"{demo_server.base}{page_path}", timeout=10).status_code == 404
    assert errors == partner_errors == visitor_errors == admin_errors == []
    for page in (proposer, partner, visitor, admin):
        page.context.close()
