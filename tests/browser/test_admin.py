"""The coordinators' admin in a real browser, against its own ``widget-server demo`` process.

A coordinator signs in, approves a member, changes a rule and sees the
preview change (with and without JavaScript); screenshots of the main pages
go to artifacts/screenshots/ (not committed).
"""

from __future__ import annotations

import json
import math
import re
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, Route, expect

from tests.browser.conftest import HANG_GUARD_MS, running_demo

pytestmark = pytest.mark.browser

THEME = "hochzeit-heide"


@dataclass
class AdminServer:
    base: str
    env: dict[str, str]
    password: str

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


@pytest.fixture(scope="module")
def admin_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AdminServer]:
    """A demo network of its own (the shared one stays untouched by rule changes)."""
    with running_demo(tmp_path_factory.mktemp("admin")) as demo:
        yield AdminServer(demo.base, demo.env, demo.password)


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="de-DE")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    yield page
    context.close()
    assert errors == []  # no script errors, no CSP violations, no missing resources


def sign_in(page: Page, server: AdminServer) -> None:
    page.goto(f"{server.base}/admin/")
    expect(page).to_have_url(re.compile(r"/admin/login\?next="))
    page.get_by_label("Benutzername").fill("koordination")
    page.get_by_label("Passwort").fill(server.password)
    page.get_by_role("button", name="Anmelden").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Übersicht")


def preview_draft(page: Page, host: str) -> list[str]:
    item = page.locator(
        ".preview-host", has=page.get_by_role("heading", name=f"Auf der Website von {host}")
    )
    return item.locator(".preview-new li").all_inner_texts()


def test_a_coordinator_approves_a_member_and_previews_a_rule_change(
    admin_server: AdminServer, page: Page, screenshot: Callable[[Page, str], None]
) -> None:
    admin_server.cli(
        "member", "add", "trauringe-jansen", "--name", "Trauringe Jansen",
        "--website", "https://trauringe-jansen.example/", "--category", "jeweller",
        "--town", "Heide", "--theme", THEME, "--status", "pending",
    )  # fmt: skip
    page.goto(f"{admin_server.base}/admin/login")
    screenshot(page, "admin-login")
    sign_in(page, admin_server)
    screenshot(page, "admin-overview")

    # approve the new member from the member list
    page.get_by_role("navigation", name="Bereiche der Verwaltung").get_by_role(
        "link", name="Mitglieder"
    ).click()
    screenshot(page, "admin-members")
    page.get_by_role("button", name=re.compile(r"^Freischalten\W+Trauringe Jansen$")).click()
    expect(page.locator(".flash")).to_have_text("Das Mitglied ist freigeschaltet.")
    expect(page.locator(".badge-active").first).to_be_visible()
    screenshot(page, "admin-member")

    # the rules editor: a rule change shows in the preview before it is saved
    page.goto(f"{admin_server.base}/admin/themes/{THEME}/rules")
    hosts = page.locator(".preview-host h3").all_inner_texts()
    assert len(hosts) == 3
    host = hosts[0].removeprefix("Auf der Website von ")
    page.get_by_label("Partner je Block (höchstens)").fill("1")
    page.get_by_label("Wie streng soll Geben und Nehmen ausgeglichen werden?").fill("1")
    page.locator("form").filter(has=page.get_by_label("Partner je Block (höchstens)")).get_by_role(
        "button", name="Vorschau"
    ).click()
    expect(page.locator(".preview-note").first).to_contain_text("Entwurf, nicht gespeichert")
    assert len(preview_draft(page, host)) == 1
    expect(page.get_by_label("Regeln (YAML oder JSON)")).to_have_value(re.compile(r"max: 1"))
    screenshot(page, "admin-rules")

    # with JavaScript the preview follows the document as it is typed
    page.get_by_label("Regeln (YAML oder JSON)").fill("partners:\n  max: 2\n")
    expect(page.locator(".preview-host").first.locator(".preview-new li")).to_have_count(2)

    # saving makes a new version, visible in the history and the audit log
    page.locator("form").filter(has=page.get_by_label("Regeln (YAML oder JSON)")).get_by_role(
        "button", name="Als neue Version speichern"
    ).click()
    expect(page.locator(".flash")).to_contain_text("neue Version")
    expect(page.locator(".lead-small").first).to_contain_text("Version 1")
    page.goto(f"{admin_server.base}/admin/audit")
    expect(page.locator("table.audit")).to_contain_text("Regeln geändert")
    expect(page.locator("table.audit")).to_contain_text("Mitglied freigeschaltet")
    screenshot(page, "admin-audit")


def test_the_admin_works_without_javascript(admin_server: AdminServer, browser: Browser) -> None:
    context = browser.new_context(
        java_script_enabled=False, viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    try:
        sign_in(page, admin_server)
        page.goto(f"{admin_server.base}/admin/themes/{THEME}/rules")
        page.get_by_label("Wie werden die Partner ausgewählt?").select_option("fixed")
        page.locator("form").filter(
            has=page.get_by_label("Wie werden die Partner ausgewählt?")
        ).get_by_role("button", name="Vorschau").click()
        expect(page.locator(".preview-note").first).to_contain_text("Entwurf, nicht gespeichert")
        page.get_by_label("Partner je Block (höchstens)").fill("99")
        page.locator("form").filter(
            has=page.get_by_label("Wie werden die Partner ausgewählt?")
        ).get_by_role("button", name="Vorschau").click()
        field = page.get_by_label("Partner je Block (höchstens)")
        expect(field).to_have_attribute("aria-invalid", "true")
        expect(page.locator("#f-partners-max-error")).to_contain_text(
            "99 liegt nicht zwischen 1 und 12"
        )
    finally:
        context.close()


def seed_traffic(server: AdminServer, days: int = 21) -> None:
    """Daily counts as the server would have written them: a few weeks of a busy network."""
    db = server.env["WIDGET_DATABASE_URL"].removeprefix("sqlite:///")
    conn = sqlite3.connect(db)
    try:
        theme = conn.execute("SELECT id FROM themes WHERE slug = ?", (THEME,)).fetchone()[0]
        members = [
            r[0]
            for r in conn.execute(
                "SELECT m.id FROM members m JOIN memberships s ON s.member_id = m.id"
                " WHERE s.theme_id = ? AND m.status = 'active' ORDER BY m.id",
                (theme,),
            )
        ]
        today = date.today()
        rows = []
        for back in range(days):
            day = (today - timedelta(days=back)).isoformat()
            wave = 1.0 + 0.25 * ((back % 7) in (5, 6))  # busier weekends
            for rank, host in enumerate(members, start=1):
                views = int(240 * wave / rank)
                rows.append((day, theme, host, 0, "viewed", views, 0.0))
                others = [m for m in members if m != host]
                k = (back * 3 + rank) % len(others)
                for place, partner in enumerate((others[k:] + others[:k])[:3], start=1):
                    rows.append(
                        (day, theme, host, partner, "viewed", views, views / math.log2(1 + place))
                    )
                    rows.append((day, theme, host, partner, "clicked", views // 40, 0.0))
        conn.executemany(
            "INSERT OR REPLACE INTO daily_counters (day, theme_id, host_id, partner_id, kind,"
            " count, exposure) VALUES (?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        conn.commit()
    finally:
        conn.close()


def test_the_simulator_says_it_is_working_while_its_answer_loads(
    admin_server: AdminServer, page: Page
) -> None:
    # At 100,000 members a theme's 60 days take 6-17 s: the page must not look dead.
    # The answer is held until the page has shown that it is working (Playwright's
    # own locators wait while a navigation is under way, so the page reports it).
    sign_in(page, admin_server)
    page.goto(f"{admin_server.base}/admin/themes/{THEME}/simulate")
    note = page.get_by_role("status").filter(has_text="Simulation läuft")
    button = page.get_by_role("button", name="Simulieren")
    expect(note).to_be_hidden()
    page.evaluate(
        """() => {
            const form = document.querySelector("form[data-busy]");
            const note = form.querySelector("[data-busy-note]");
            const button = form.querySelector("button[type=submit]");
            new MutationObserver(() => console.log(
                `busy ${note.hidden} ${button.disabled} ${form.getAttribute("aria-busy")}`
            )).observe(form, {attributes: true, subtree: true});
        }"""
    )
    held: list[Route] = []
    shown: list[str] = []

    def release() -> None:
        if held and shown:
            held.pop().continue_()

    page.route(re.compile(r"/simulate\?run=1"), lambda route: (held.append(route), release()))
    page.on(
        "console",
        lambda m: (shown.append(m.text), release()) if m.text.startswith("busy") else None,
    )
    page.get_by_label("Tage").fill("7")
    button.click(no_wait_after=True)  # its answer waits for the page's report
    expect(page.locator("#sim-compare")).to_be_visible()
    assert shown[0] == "busy false true true"  # note shown, button off, form busy
    assert "days=7" in page.url  # the values went out with the button off
    expect(note).to_be_hidden()
    page.go_back()  # from the back/forward cache or anew: ready for the next run
    expect(button).to_be_enabled()
    expect(note).to_be_hidden()


def test_screenshots_of_the_figures_pages(
    admin_server: AdminServer, page: Page, screenshot: Callable[[Page, str], None]
) -> None:
    seed_traffic(admin_server)
    sign_in(page, admin_server)
    page.goto(f"{admin_server.base}/admin/stats?theme={THEME}")
    expect(page.locator("svg.chart")).to_have_count(3)
    screenshot(page, "admin-stats")
    page.goto(f"{admin_server.base}/admin/themes/{THEME}/simulate?run=1&days=30&views=1500")
    expect(page.locator("svg.chart")).to_have_count(2)
    screenshot(page, "admin-simulator")
    page.goto(f"{admin_server.base}/admin/themes")
    screenshot(page, "admin-themes")
    page.goto(f"{admin_server.base}/admin/members/blumenhaus-am-markt?lang=en")
    expect(page.get_by_role("heading", name="Allowed domains")).to_be_visible()
    page.get_by_role("button", name="Create link").click()
    expect(page.locator("#portal-url")).to_have_value(re.compile(r"/portal/"))
    screenshot(page, "admin-member-en")


def test_keyboard_users_reach_the_content_and_see_focus(
    admin_server: AdminServer, page: Page
) -> None:
    page.goto(f"{admin_server.base}/admin/login")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Zum Inhalt springen")
    expect(skip).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Benutzername")).to_be_focused()
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"


def test_a_large_themes_event_participants_are_found_by_name(
    admin_server: AdminServer, page: Page, tmp_path: Path
) -> None:
    """Past 200 members a theme's participants are not listed to tick; the form's
    search finds them by name (static/participants.js), a hostile name stays text,
    and the member added is saved with the event.  (This module's last test: the
    theme it adds is its own.)"""
    rows: list[dict[str, object]] = [
        {
            "slug": f"haendler-{n:03d}",
            "name": f"Händler {n:03d}",
            "website": f"https://haendler-{n:03d}.example/",
            "town": "Heide",
            "themes": ["grossmarkt"],
        }
        for n in range(205)
    ]
    rows.append(
        {
            "slug": "baeckerei-boese",
            "name": "<img src=x onerror=window.__pwned=1> Bäckerei Böse",
            "website": "https://boese.example/",
            "town": "Heide",
            "themes": ["grossmarkt"],
        }
    )
    admin_server.cli("theme", "add", "grossmarkt", "--name-de", "Großmarkt")
    (members := tmp_path / "members.json").write_text(json.dumps(rows))
    admin_server.cli("member", "import", str(members))

    # The server takes the import at its next poll of the change log: until its theme
    # page lists every member (206: three pages).
    def listed() -> str:
        pages = [f"{admin_server.base}/t/grossmarkt?page={n}" for n in (1, 2, 3)]
        return "".join(httpx.get(url, timeout=30).text for url in pages)

    deadline = time.monotonic() + HANG_GUARD_MS / 1000
    while not all(name in listed() for name in ("Händler 000", "Händler 204", "Böse")):
        assert time.monotonic() < deadline, "the server never took the import"
        time.sleep(0.2)
    sign_in(page, admin_server)
    page.goto(f"{admin_server.base}/admin/events/new")
    group = page.locator("details.participant-group", has_text="Großmarkt")
    group.locator("summary").click()
    assert group.locator('input[type="checkbox"]').count() == 0  # none listed to tick
    search = group.get_by_label("Mitglied nach Namen suchen")
    search.fill("bäckerei")
    found = group.locator(".found-list li")
    expect(found).to_have_count(1)  # the server's snapshot takes the import at its poll
    expect(found).to_contain_text("<img src=x onerror=window.__pwned=1> Bäckerei Böse")
    found.get_by_role("button").click()
    added = group.locator('input[name="participants"][value="baeckerei-boese"]')
    expect(added).to_be_checked()
    search.fill("händler 1")  # 100 of them: the first 20, and a note
    expect(found).to_have_count(20)
    expect(group.get_by_role("status")).to_have_text(
        "Es passen noch mehr Mitglieder: Geben Sie mehr vom Namen ein."
    )
    search.press("Enter")  # searching, not sending the form
    expect(page).to_have_url(re.compile(r"/admin/events/new$"))
    search.fill("zzz-niemand")
    expect(group.get_by_role("status")).to_have_text(
        "Kein Mitglied dieses Themas hat das im Namen."
    )
    page.fill("#f-title", "Markttag")
    page.select_option("#f-theme", "grossmarkt")
    page.fill("#f-starts-at", "2031-06-01T10:00")
    page.fill("#f-ends-at", "2031-06-01T16:00")
    page.fill("#f-place-name", "Marktplatz")
    page.fill("#f-town", "Heide")
    page.get_by_role("button", name="Veranstaltung veröffentlichen").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Markttag")
    saved = page.locator('input[name="participants"][value="baeckerei-boese"]')
    expect(saved).to_be_checked()  # taking part: listed to untick
    assert page.evaluate("() => window.__pwned") is None
    assert page.locator("img[src='x']").count() == 0
