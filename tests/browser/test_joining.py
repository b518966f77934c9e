"""Running the network from the browser alone (issue 11), in Chromium against a demo process.

A coordinator invites a business; the business applies from the link and sees its
card; the coordinator approves; the business copies its code onto its own page
(another origin) and the block shows there.  A second coordinator is added,
sets a password with the one-time link, and changes a rule with the form alone.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.conftest import DemoServer, HostSite, running_demo
from tests.browser.test_embed import wait_ready

pytestmark = pytest.mark.browser

THEME = "hochzeit-heide"
BUSINESS = "Konditorei Möller"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    with running_demo(tmp_path_factory.mktemp("joining")) as demo:
        yield demo


def context_for(browser: Browser, server: DemoServer, **options: object) -> BrowserContext:
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="de-DE", **options
    )  # type: ignore[arg-type]
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.base)
    return context


def watch(page: Page) -> list[str]:
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on(
        "response",
        lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None,
    )
    return errors


def sign_in(page: Page, server: DemoServer, user: str, password: str) -> None:
    page.goto(f"{server.base}/admin/login")
    page.get_by_label("Benutzername").fill(user)
    page.get_by_label("Passwort").fill(password)
    page.get_by_role("button", name="Anmelden").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Übersicht")


def test_a_business_is_invited_applies_is_approved_and_shows_the_block_on_its_site(
    server: DemoServer,
    browser: Browser,
    host_site: HostSite,
    screenshot: Callable[[Page, str], None],
) -> None:
    coordinator = context_for(browser, server)
    admin = coordinator.new_page()
    admin_errors = watch(admin)
    sign_in(admin, server, "koordination", server.password)

    # the coordinator makes a single-use invitation link for the wedding theme
    admin.get_by_role("navigation", name="Bereiche der Verwaltung").get_by_role(
        "link", name="Bewerbungen"
    ).click()
    admin.get_by_label("Thema", exact=True).select_option(THEME)
    admin.get_by_label("Für wen (nur für Sie)").fill(BUSINESS)
    admin.get_by_label("Der Link gilt nur für eine Bewerbung").check()
    admin.get_by_role("button", name="Einladungslink erstellen").click()
    link = admin.get_by_label("Link zum Verschicken").input_value()
    assert "/join/i/" in link
    screenshot(admin, "join-admin-invitation")

    # the business opens the link in its own browser and sees its card as it types
    business_context = context_for(browser, server)
    business = business_context.new_page()
    business_errors = watch(business)
    business.goto(link)
    expect(business.get_by_role("heading", level=1)).to_contain_text("Sie sind eingeladen")
    business.get_by_label("Name Ihres Betriebs").fill(BUSINESS)
    business.get_by_label("Ihre Website").fill("https://konditorei-moeller.example/")
    business.get_by_label("Was für ein Betrieb?").select_option(label="Konditorei")
    business.get_by_label("Ort", exact=True).fill("Heide")
    business.get_by_label("Ein Satz über Sie").fill("Hochzeitstorten seit 1952")
    card = business.locator("#join-preview .pk-item").first
    expect(card.locator(".pk-name")).to_have_text(BUSINESS)
    expect(card.locator(".pk-meta")).to_have_text("Konditorei · Heide")
    expect(card.locator(".pk-desc")).to_have_text("Hochzeitstorten seit 1952")
    screenshot(business, "join-form")
    business.get_by_role("button", name="Bewerbung abschicken").click()
    expect(business.get_by_role("heading", name="Wartet auf Freischaltung")).to_be_visible()
    status_url = business.url.split("?")[0]
    assert business.locator("textarea.snippet").count() == 0  # no code before approval

    # the coordinator approves with a note
    admin.reload()
    application = admin.locator("article.application", has_text=BUSINESS)
    application.get_by_label("Notiz an den Betrieb (freiwillig)").fill("Willkommen im Kreis!")
    application.get_by_role("button", name=re.compile("^Freischalten")).click()
    expect(admin.locator(".flash")).to_contain_text("Bewerbung ist angenommen")
    screenshot(admin, "join-admin-approved")

    # the business copies its code and pastes it into a page of its own website
    business.goto(status_url)
    expect(business.get_by_text("Willkommen im Kreis!")).to_be_visible()
    business.get_by_role("button", name="Code kopieren").first.click()
    expect(business.locator(".copy-status").first).to_contain_text("Kopiert")
    snippet = business.evaluate("() => navigator.clipboard.readText()")
    assert snippet.startswith(f'<script async src="{server.base}/embed.js"></script>')
    screenshot(business, "join-status-approved")
    host_site.pages["/konditorei"] = (
        '<!doctype html><html lang="de"><head><meta charset="utf-8"><title>Konditorei</title>'
        f"</head><body><h1>Konditorei Möller</h1>{snippet}<p>Torten</p></body></html>"
    )
    site = business_context.new_page()
    site.goto(f"{host_site.base}/konditorei")
    blocks = wait_ready(site)
    assert len(blocks) == 1
    assert blocks[0]["heading"] == "Unsere Partner zum Thema Hochzeit"
    names = [link["name"] for link in blocks[0]["links"]]
    assert len(names) >= 1 and BUSINESS not in names
    screenshot(site, "join-block-on-own-site")

    # and its member area opens from the status page
    business.goto(status_url)
    business.get_by_role("link", name="Meinen Mitgliederbereich öffnen").click()
    expect(business).to_have_url(re.compile(r"/portal/"))
    assert admin_errors == [] and business_errors == []
    coordinator.close()
    business_context.close()


def test_a_second_coordinator_is_added_and_changes_a_rule_with_the_form_alone(
    server: DemoServer, browser: Browser, screenshot: Callable[[Page, str], None]
) -> None:
    first_context = context_for(browser, server)
    first = first_context.new_page()
    errors = watch(first)
    sign_in(first, server, "koordination", server.password)
    first.get_by_role("navigation", name="Bereiche der Verwaltung").get_by_role(
        "link", name="Koordination"
    ).click()
    first.get_by_label("Benutzername").fill("anna")
    first.get_by_role("button", name="Hinzufügen und Passwort-Link erstellen").click()
    link = first.locator("#reset-url").input_value()
    assert "/admin/reset/" in link
    screenshot(first, "coordinators")

    anna_context = context_for(browser, server)
    anna = anna_context.new_page()
    errors += watch(anna)
    anna.goto(link)
    anna.locator("#f-password").fill("annas-geheimes-passwort")
    anna.locator("#f-again").fill("annas-geheimes-passwort")
    anna.get_by_role("button", name="Passwort festlegen").click()
    expect(anna.locator(".flash")).to_contain_text("Passwort ist festgelegt")
    sign_in(anna, server, "anna", "annas-geheimes-passwort")

    # the rules form: the help follows the strategy, knobs it ignores disappear
    anna.goto(f"{server.base}/admin/themes/{THEME}/rules")
    help_weighted = anna.locator('[data-strategy-help="weighted"]')
    alpha = anna.get_by_label("Wie streng soll Geben und Nehmen ausgeglichen werden?")
    expect(alpha).to_be_visible()
    expect(help_weighted).to_be_hidden()
    anna.get_by_label("Wie werden die Partner ausgewählt?").select_option("weighted")
    expect(help_weighted).to_be_visible()
    expect(help_weighted).to_contain_text("Gewicht 2 doppelt so oft")
    expect(alpha).to_be_hidden()
    anna.get_by_label("Partner je Block (höchstens)").fill("2")
    weight = anna.locator("input[name$='.weight']").first
    weight.fill("3")
    screenshot(anna, "rules-plain")
    anna.locator("form").filter(
        has=anna.get_by_label("Wie werden die Partner ausgewählt?")
    ).get_by_role("button", name="Als neue Version speichern").click()
    expect(anna.locator(".flash")).to_contain_text("neue Version")
    expect(anna.locator(".lead-small").first).to_contain_text("admin:anna")
    expect(anna.get_by_label("Wie werden die Partner ausgewählt?")).to_have_value("weighted")
    expect(anna.locator("input[name$='.weight']").first).to_have_value("3")

    first.goto(f"{server.base}/admin/audit")
    expect(first.locator("table.audit")).to_contain_text("admin:anna")
    expect(first.locator("table.audit")).to_contain_text("Koordinator:in hinzugefügt")
    assert errors == []
    first_context.close()
    anna_context.close()
