"""The member portal in a real browser, against its own ``widget-server demo`` process.

A member opens the link a coordinator made with ``widget-server portal-link``,
copies its code with the copy button, checks the live preview, and edits its
description: applied at once, then (after the theme asks for approval) waiting
until a coordinator approves it in the admin, after which the member sees it
applied.  Without JavaScript the pages work too.  Screenshots of the main pages
go to artifacts/screenshots/ (not committed).
"""

from __future__ import annotations

import json
import math
import re
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.conftest import running_demo

pytestmark = pytest.mark.browser

MEMBER = "blumenhaus-am-markt"  # in both demo themes
NAME = "Blumenhaus am Markt"
WEDDING = "hochzeit-heide"


@dataclass
class PortalServer:
    base: str
    env: dict[str, str]
    password: str  # the demo coordinator's
    db: Path

    def cli(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "widget_server", *args],
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    def portal_link(self, member: str = MEMBER) -> str:
        """A fresh link, made by the command a coordinator would run."""
        out = self.cli("portal-link", member, "--days", "3", "--base-url", self.base, "--json")
        url: str = json.loads(out)["url"]
        return url


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PortalServer]:
    """A demo network of its own: the portal's edits leave the shared one alone."""
    with running_demo(tmp_path_factory.mktemp("portal")) as demo:
        db = demo.log.parent / "demo.db"
        seed_traffic(db)
        yield PortalServer(demo.base, demo.env, demo.password, db)


def seed_traffic(db: Path, days: int = 21) -> None:
    """Three weeks of daily counts, as the server would have written them."""
    conn = sqlite3.connect(db)
    try:
        themes = [r[0] for r in conn.execute("SELECT id FROM themes ORDER BY id")]
        rows = []
        today = date.today()
        for theme in themes:
            members = [
                r[0]
                for r in conn.execute(
                    "SELECT member_id FROM memberships WHERE theme_id = ? ORDER BY member_id",
                    (theme,),
                )
            ]
            for back in range(days):
                day = (today - timedelta(days=back)).isoformat()
                for rank, host in enumerate(members, start=1):
                    views = int((180 + 40 * (back % 7 in (5, 6))) / rank)
                    rows.append((day, theme, host, 0, "viewed", views, 0.0))
                    others = [m for m in members if m != host]
                    k = (back * 3 + rank) % len(others)
                    for place, partner in enumerate((others[k:] + others[:k])[:3], start=1):
                        weight = views / math.log2(1 + place)
                        rows.append((day, theme, host, partner, "viewed", views, weight))
                        rows.append((day, theme, host, partner, "clicked", views // 40, 0.0))
        conn.executemany(
            "INSERT OR REPLACE INTO daily_counters (day, theme_id, host_id, partner_id, kind,"
            " count, exposure) VALUES (?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        conn.commit()
    finally:
        conn.close()


@pytest.fixture
def context(browser: Browser, server: PortalServer) -> Iterator[BrowserContext]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="de-DE")
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.base)
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext) -> Iterator[Page]:
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    yield page
    assert errors == []  # no script errors, no CSP violations, no missing resources


def test_a_member_opens_its_link_copies_its_code_and_edits_its_description(
    server: PortalServer, page: Page, screenshot: Callable[[Page, str], None]
) -> None:
    page.goto(server.portal_link())
    expect(page).to_have_url(f"{server.base}/portal/")  # the token left the address bar
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Willkommen, {NAME}")
    expect(page.locator(".tile-number").first).not_to_have_text("0")
    screenshot(page, "portal-overview")

    # the code: copied by the button, exactly what the field holds
    nav = page.get_by_role("navigation", name="Bereiche des Mitgliederbereichs")
    nav.get_by_role("link", name="Block einbinden").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Block einbinden")
    panels = page.locator("section.code-panel")
    expect(panels).to_have_count(2)
    field = page.locator(f"#code-{WEDDING}")
    expect(field).to_have_attribute("readonly", "")
    wedding = page.locator("section.code-panel", has=page.locator(f"#code-{WEDDING}"))
    button = wedding.get_by_role("button", name="Code kopieren", exact=True)
    button.click()
    expect(button).to_have_attribute("data-copied", "true")
    expect(page.locator(f"#code-{WEDDING}-status")).to_have_text(
        "Kopiert! Fügen Sie den Code jetzt auf Ihrer Website ein."
    )
    copied = page.evaluate("() => navigator.clipboard.readText()")
    assert copied == field.input_value()
    assert copied.startswith(f'<script async src="{server.base}/embed.js"></script>')
    assert "data-partnerkreis=" in copied and copied.endswith("</noscript>")

    # the live preview: the real block, fitted to its frame
    frame = page.frame_locator(f"#frame-{WEDDING}")
    expect(frame.locator(".pk-name")).to_have_count(3)
    names = frame.locator(".pk-name").all_inner_texts()
    assert NAME not in names
    page.wait_for_function(
        f"() => document.getElementById('frame-{WEDDING}').hasAttribute('data-loaded')"
    )
    height = int(page.locator(f"#frame-{WEDDING}").get_attribute("height") or 0)
    assert 150 < height < 900, height
    page.get_by_text("WordPress", exact=True).click()
    expect(page.get_by_text("Individuelles HTML").first).to_be_visible()
    screenshot(page, "portal-code")

    # the figures: a chart per theme and one across them, with a table
    nav.get_by_role("link", name="Ihre Zahlen").click()
    expect(page.locator("svg.chart")).to_have_count(3)
    expect(page.locator("table.figures-table tbody tr")).to_have_count(2)
    screenshot(page, "portal-figures")

    # the profile: without approval the description shows at once
    nav.get_by_role("link", name="Ihre Angaben").click()
    expect(page.get_by_text("innerhalb weniger Minuten überall zu sehen")).to_be_visible()
    page.get_by_label("Kurzbeschreibung").fill(
        "Brautsträuße, Tischschmuck und Blumen für jeden Tag."
    )
    page.get_by_role("button", name="Angaben speichern", exact=True).click()
    expect(page.locator(".flash")).to_contain_text("Ihre Angaben wurden gespeichert")
    directory = page.context.new_page()
    directory.goto(f"{server.base}/t/{WEDDING}")
    expect(
        directory.get_by_text("Brautsträuße, Tischschmuck und Blumen für jeden Tag.")
    ).to_be_visible()
    directory.close()
    screenshot(page, "portal-profile")

    # once the theme asks for approval, the next change waits for a coordinator
    rules = server.db.parent / "rules.yaml"
    rules.write_text("portal:\n  approve_profile_changes: true\n")
    server.cli("rules", "set", WEDDING, str(rules), "--author", "koordination")
    page.reload()
    expect(page.get_by_role("button", name="Zur Freigabe einreichen", exact=True)).to_be_visible()
    page.get_by_label("Kurzbeschreibung").fill(
        "Blumen mit Liebe gebunden – seit drei Generationen."
    )
    page.get_by_role("button", name="Zur Freigabe einreichen", exact=True).click()
    expect(page.locator(".flash")).to_contain_text("warten auf die Freigabe")
    pending = page.locator("section.panel-pending")
    expect(pending.get_by_role("heading", name=re.compile("Wartet auf Freigabe"))).to_be_visible()
    expect(pending.locator(".new-value")).to_have_text(
        "Blumen mit Liebe gebunden – seit drei Generationen."
    )
    screenshot(page, "portal-profile-pending")

    # participation: pause and leave, each explained
    nav.get_by_role("link", name="Teilnahme").click()
    expect(page.get_by_role("button", name=re.compile("^Pausieren"))).to_have_count(2)
    screenshot(page, "portal-themes")

    # a coordinator approves it in the admin; then the member sees it applied
    approve_in_admin(server, page.context.browser, screenshot)
    nav.get_by_role("link", name="Ihre Angaben").click()
    expect(page.locator("section.panel-pending")).to_have_count(0)
    expect(page.get_by_label("Kurzbeschreibung")).to_have_value(
        "Blumen mit Liebe gebunden – seit drei Generationen."
    )


def approve_in_admin(
    server: PortalServer, browser: Browser | None, screenshot: Callable[[Page, str], None]
) -> None:
    assert browser is not None
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="de-DE")
    admin = context.new_page()
    try:
        admin.goto(f"{server.base}/admin/login")
        admin.get_by_label("Benutzername").fill("koordination")
        admin.get_by_label("Passwort").fill(server.password)
        admin.get_by_role("button", name="Anmelden").click()
        review = admin.locator("section.panel-attention")
        expect(review.get_by_role("heading", name="Geänderte Angaben prüfen")).to_be_visible()
        expect(review.locator(".new-value")).to_have_text(
            "Blumen mit Liebe gebunden – seit drei Generationen."
        )
        screenshot(admin, "admin-profile-changes")
        review.get_by_role("button", name=re.compile(rf"^Übernehmen\W+{NAME}$")).click()
        expect(admin.locator(".flash")).to_have_text("Die geänderten Angaben wurden übernommen.")
    finally:
        context.close()


def test_the_portal_works_without_javascript(
    server: PortalServer, browser: Browser, screenshot: Callable[[Page, str], None]
) -> None:
    context = browser.new_context(
        java_script_enabled=False, viewport={"width": 1280, "height": 900}, locale="de-DE"
    )
    page = context.new_page()
    try:
        page.goto(server.portal_link())
        expect(page.get_by_role("heading", level=1)).to_have_text(f"Willkommen, {NAME}")
        page.goto(f"{server.base}/portal/code")
        expect(page.get_by_role("button", name="Code kopieren")).to_have_count(0)  # hidden
        field = page.get_by_label("Ihr Code zum Einfügen").first
        expect(field).to_be_visible()
        assert field.input_value().startswith("<script async src=")
        frame = page.frame_locator(f"#frame-{WEDDING}")
        expect(frame.locator(".pk-name")).to_have_count(3)  # the preview needs no script
        page.goto(f"{server.base}/portal/themes")
        page.get_by_role("button", name=re.compile(r"^Austreten\W+Heide Innenstadt")).click()
        expect(page.locator(".error-summary")).to_contain_text("Bitte bestätigen Sie")
        expect(
            page.get_by_label("Ja, ich möchte aus „Heide Innenstadt“ austreten")
        ).to_have_attribute("aria-invalid", "true")
    finally:
        context.close()


def test_a_broken_link_explains_what_to_do(
    server: PortalServer, context: BrowserContext, screenshot: Callable[[Page, str], None]
) -> None:
    page = context.new_page()  # the page answers 400, which the console reports
    link = server.portal_link()
    page.goto(link[:-4] + "abcd")
    expect(page.get_by_role("heading", level=1)).to_have_text("Dieser Link funktioniert nicht")
    expect(page.get_by_text("fragen Sie dort nach einem neuen Link")).to_be_visible()
    screenshot(page, "portal-link-broken")


def test_keyboard_users_reach_the_copy_button_and_see_focus(
    server: PortalServer, page: Page
) -> None:
    page.goto(server.portal_link())
    page.goto(f"{server.base}/portal/code")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Zum Inhalt springen")).to_be_focused()
    page.locator(f"#code-{WEDDING}").focus()
    page.keyboard.press("Tab")
    button = page.locator(f"button[data-copy='code-{WEDDING}']")
    expect(button).to_be_focused()
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"
    page.keyboard.press("Enter")
    expect(button).to_have_attribute("data-copied", "true")


def test_the_portal_reads_well_in_english_and_on_a_phone(
    server: PortalServer, browser: Browser, screenshot: Callable[[Page, str], None]
) -> None:
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, device_scale_factor=2, locale="de-DE"
    )
    page = context.new_page()
    try:
        page.goto(server.portal_link())
        page.goto(f"{server.base}/portal/code")
        frame = page.frame_locator(f"#frame-{WEDDING}")
        expect(frame.locator(".pk-name")).to_have_count(3)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, width  # nothing wider than the phone
        screenshot(page, "portal-code-phone")
        page.goto(f"{server.base}/portal/?lang=en")
        expect(page.get_by_role("heading", level=1)).to_have_text(f"Welcome, {NAME}")
        screenshot(page, "portal-overview-en-phone")
    finally:
        context.close()
