"""The demo as a newcomer walks through it: the tour, a partner click, the figures.

Real Chromium (headless, which the demo counts as a visitor) against a real
`widget-server demo` process with its 60 days of history.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import DemoServer, Watched
from tests.browser.test_embed import wait_ready
from widget_server.demo import data as demo_data
from widget_server.demo.seed import PORTAL_MEMBER

pytestmark = pytest.mark.browser

NAMES = {m["name"]: m["slug"] for m in demo_data.MEMBERS}
TOWN = "heide-innenstadt"


def bars(page: Page) -> int:
    """Bars with a width drawn in the page's charts: a chart with data has some."""
    widths = page.eval_on_selector_all(
        "svg.chart rect.bar", "rs => rs.map(r => parseFloat(r.getAttribute('width')))"
    )
    return sum(1 for w in widths if w > 0)


def test_the_tour_leads_from_a_member_site_over_a_partner_click_to_the_partners_site(
    demo_server: DemoServer, watched: Watched, screenshot: Callable[[Page, str], None]
) -> None:
    page = watched.page
    page.goto(f"{demo_server.base}/demo/")
    steps = page.locator(".tour-step")
    expect(steps).to_have_count(5)
    for i in range(5):
        assert len(steps.nth(i).locator("p").inner_text().split(". ")) >= 2  # a few sentences
    screenshot(page, "demo-tour")
    # The tour speaks the visitor's language (German by default, English on request).
    page.goto(f"{demo_server.base}/demo/?lang=en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#tour-title")).to_have_text("A tour in five steps")
    expect(page.locator("#tour-3")).to_contain_text("60 days of history")
    page.goto(f"{demo_server.base}/demo/?lang=de")
    expect(page.locator("#tour-title")).to_have_text("Rundgang in fünf Schritten")
    expect(page.locator("#tour-3")).to_contain_text("60 Tage Geschichte")

    steps.nth(0).locator("a").first.click()
    expect(page).to_have_url(re.compile(r"/demo/site/[a-z-]+$"))
    host = page.url.rsplit("/", 1)[1]
    blocks = wait_ready(page)
    link = blocks[0]["links"][0]
    partner = NAMES[link["name"]]
    assert partner != host

    page.locator("[data-partnerkreis]").first.locator("a.pk-link").first.click()
    # Through /c/ and its redirect, onto the partner's demo site on this server.
    expect(page).to_have_url(f"{demo_server.base}/demo/site/{partner}")
    expect(page).to_have_title(re.compile(re.escape(link["name"])))
    assert wait_ready(page)[0]["state"] == "ready"  # the partner's own block is there too
    assert watched.errors == []


def test_the_coordinator_sees_sixty_days_of_exchange_and_the_rules_preview(
    demo_server: DemoServer, watched: Watched, screenshot: Callable[[Page, str], None]
) -> None:
    page = watched.page
    page.goto(f"{demo_server.base}/demo/")
    page.locator("#tour-3 a").first.click()
    expect(page).to_have_url(re.compile(r"/admin/login"))
    page.locator("input[name=username]").fill("koordination")
    page.locator("input[name=password]").fill(demo_server.password)
    page.locator("form button[type=submit]").first.click()
    expect(page).not_to_have_url(re.compile(r"/admin/login"))

    page.goto(f"{demo_server.base}/demo/?lang=de")
    page.locator("#tour-3 a", has_text=re.compile("Statistik")).click()
    expect(page.locator("svg.chart").first).to_be_visible()
    assert bars(page) >= 10  # the exchange of every member, not an empty chart
    screenshot(page, "demo-admin-stats")

    page.goto(f"{demo_server.base}/demo/")
    page.locator("#tour-4 a").first.click()
    expect(page).to_have_url(f"{demo_server.base}/admin/themes/{TOWN}/rules")
    expect(page.locator(".preview-host").first).to_be_visible()
    assert watched.errors == []


def test_the_members_figures_show_what_it_gave_and_received(
    demo_server: DemoServer, watched: Watched, screenshot: Callable[[Page, str], None]
) -> None:
    page = watched.page
    page.goto(f"{demo_server.base}/demo/")
    page.locator("#tour-5 a").first.click()
    expect(page).to_have_url(re.compile(r"/portal/"))
    page.goto(f"{demo_server.base}/portal/figures")
    expect(page.locator("svg.chart").first).to_be_visible()
    assert bars(page) > 0
    screenshot(page, "demo-portal-figures")
    # The member the tour names gives more than it gets: its balance is below 1.
    report = json.loads(demo_server.cli("stats", "--member", PORTAL_MEMBER, "--json"))
    (theme,) = [t for t in report["themes"] if t["theme"] == TOWN]
    assert theme["views_given"] > theme["views_received"] > 0
    assert theme["balance"] < 1
    assert watched.errors == []


def test_a_headless_visitor_of_the_demo_is_counted(
    demo_server: DemoServer, watched: Watched
) -> None:
    def today_views() -> int:
        report = json.loads(demo_server.cli("stats", "--member", "optik-ehlers", "--json"))
        return sum(t["views_given"] for t in report["themes"])

    before = today_views()
    page = watched.page
    page.goto(f"{demo_server.base}/demo/site/optik-ehlers")
    wait_ready(page)
    page.locator("[data-partnerkreis]").first.scroll_into_view_if_needed()
    # The view beacon goes after a second of visibility; the flush writes it soon after.
    waited = 0
    while today_views() <= before:
        assert waited < 120_000, "the headless visitor's view was never counted (hang guard)"
        page.wait_for_timeout(250)
        waited += 250
