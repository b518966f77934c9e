"""The monthly report's HTML part in a real browser: it renders with nothing loaded.

The mail is made the way a deployment makes it (the CLI over a database, sent
through a real SMTP server process) and the HTML part that arrived is opened
in Chromium, where every request the page would make is recorded and refused.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from tests.mail_helpers import PUBLIC_URL, ROOT, SENDER, SmtpSink

pytestmark = pytest.mark.browser

SECRET = "browser-mail-secret-0123456789"


@pytest.fixture
def arrived_report(tmp_path: Path) -> Iterator[str]:
    """The HTML part of a member's report for November 2026, as the SMTP server got it."""
    directory = tmp_path / "arrived"
    directory.mkdir()
    sink = SmtpSink(directory)
    sink.start()
    db = tmp_path / "net.db"
    env = {
        "WIDGET_DATABASE_URL": f"sqlite:///{db}",
        "WIDGET_SECRET_KEYS": SECRET,
        "WIDGET_SMTP_URL": sink.url,
        "WIDGET_MAIL_FROM": SENDER,
        "WIDGET_PUBLIC_URL": PUBLIC_URL,
        "LANG": "C",
    }

    def cli(*args: str) -> None:
        done = subprocess.run(
            [sys.executable, "-m", "widget_server", *args],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            input="ein-langes-passwort\n",
        )
        assert done.returncode == 0, done.stderr

    try:
        cli("init", "--password-stdin")
        cli("theme", "add", "hochzeit", "--name-de", "Hochzeit in Heide")
        for slug, name in (("kueche", "Küstenküche Boie"), ("blumen", "Blumenhaus am Markt")):
            cli(
                "member", "add", slug, "--name", name,
                "--website", f"https://{slug}.example/", "--theme", "hochzeit",
            )  # fmt: skip
        with sqlite3.connect(db) as conn:
            ids = dict(conn.execute("SELECT slug, id FROM members"))
            conn.executemany(
                "INSERT INTO daily_counters (day, theme_id, host_id, partner_id, kind, count,"
                " exposure) VALUES (?, 1, ?, ?, ?, ?, ?)",
                [
                    ("2026-11-03", ids["blumen"], ids["kueche"], "viewed", 140, 90.0),
                    ("2026-11-03", ids["kueche"], ids["blumen"], "viewed", 60, 40.0),
                    ("2026-11-03", ids["blumen"], ids["kueche"], "clicked", 12, 0.0),
                ],
            )
        cli("member", "mail", "kueche", "--email", "kueche@boie.example")
        cli("report", "send", "--month", "2026-11")
        cli("mail", "send")
        ((_, message),) = sink.messages()
        html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
        yield html
    finally:
        sink.stop()


def test_report_renders_in_chromium_without_any_request(
    browser: Browser, arrived_report: str, screenshot: Callable[[Page, str], None]
) -> None:
    context = browser.new_context(viewport={"width": 700, "height": 900})
    page = context.new_page()
    requests: list[str] = []

    def refuse(route: object) -> None:
        requests.append(route.request.url)  # type: ignore[attr-defined]
        route.abort()  # type: ignore[attr-defined]

    page.route("**/*", refuse)
    page.set_content(arrived_report, wait_until="load")
    heading = page.locator("h1")
    assert heading.inner_text() == "Ihr Monat im Partnerkreis: November 2026"
    assert page.get_by_text("Erhaltene Partner-Ansichten: 140").first.is_visible()
    assert page.get_by_text("Blumenhaus am Markt hat Ihnen 12 Klicks geschickt").is_visible()
    # the bars are table cells: received (140) is drawn longer than given (60)
    bars = page.locator("td[height='12']")
    assert bars.count() == 2
    given, received = (bars.nth(i).bounding_box() for i in range(2))
    assert given is not None and received is not None
    assert received["width"] > given["width"] * 2
    link = page.get_by_role("link", name="Ihre Zahlen im Portal")
    assert link.get_attribute("href") == f"{PUBLIC_URL}/portal/figures"
    screenshot(page, "mail-report")
    assert requests == []
    context.close()
