"""The block's joint slot in Chromium: a member's page with ``data-show`` shows the joint offer
as a card, its hostile text stays text, the click goes through ``/c/`` to ``/o/{slug}``, and what
is stored after the server stops equals what the browser sent.

Its own server process on its own database (in demo mode, so a headless Chromium on
127.0.0.1 counts as a visitor), so no other test's traffic mixes into the counts.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import signal
import subprocess
import sys
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from playwright.sync_api import Response, expect

from tests.browser.conftest import HostSite, Watched, free_port, wait_for
from widget_server.core.models import CounterRow, Event, Offer, OfferParticipant
from widget_server.network.database import DEMO_META
from widget_server.rotation.fairness import exposure
from widget_server.storage import storage_from_url

pytestmark = pytest.mark.browser

T = TypeVar("T")
SECRET = "joint-slot-browser-test-key-0123456789"
MEMBERS = ("gastgeber", "blumen", "torten", "fotos")  # the first one's page shows the block
TITLE = '<img src=x onerror="window.__pwned=1">Paket </li><script>window.__pwned=2</script>'
PRICE = "'\"><svg onload=window.__pwned=3>10 %"
EVENT_TITLE = "<iframe src=javascript:window.__pwned=4></iframe>Messe"

READ = """(box) => {
  const root = box.shadowRoot;
  const cards = root ? [...root.querySelectorAll('li.pk-item')] : [];
  return cards.map(li => ({
    cls: li.className,
    name: li.querySelector('.pk-name').textContent,
    meta: li.querySelector('.pk-meta') ? li.querySelector('.pk-meta').textContent : '',
    href: li.querySelector('a').href,
    rel: li.querySelector('a').rel,
    markup: root.querySelectorAll('img[src="x"], svg, iframe, script').length,
  }));
}"""


def cli(env: dict[str, str], *args: str) -> str:
    """``widget-server`` in a process of its own (Playwright's loop runs in this thread)."""
    done = subprocess.run(
        [sys.executable, "-m", "widget_server", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """A coroutine on a loop of its own thread (Playwright's loop runs in this one)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


async def add_offer_and_event(url: str, ids: dict[str, int], today: date) -> Offer:
    storage = storage_from_url(url)
    await storage.open()
    try:
        theme = await storage.get_theme("hochzeit")
        offer = await storage.create_offer(
            Offer(
                0,
                "hochzeitspaket",
                theme.id,
                ids["gastgeber"],
                TITLE,
                "Alles aus einer Hand.",
                PRICE,
                today - timedelta(days=1),
                today + timedelta(days=30),
                participants=tuple(
                    OfferParticipant(ids[s], confirmed=True)
                    for s in ("gastgeber", "blumen", "torten")
                ),
            )
        )
        start = datetime.combine(today + timedelta(days=10), datetime.min.time(), UTC)
        await storage.create_event(
            Event(
                0,
                "messe",
                theme.id,
                EVENT_TITLE,
                "<b>fett</b>",
                start,
                start + timedelta(hours=6),
                town="Heide",
                participants=(ids["fotos"],),
            )
        )
        await storage.set_meta(DEMO_META, "1")  # a headless Chromium counts as a visitor
        return offer
    finally:
        await storage.close()


async def stored_rows(url: str) -> list[CounterRow]:
    storage = storage_from_url(url)
    await storage.open()
    try:
        return await storage.list_counts()
    finally:
        await storage.close()


@contextlib.contextmanager
def serving(env: dict[str, str], log: Path) -> Iterator[str]:
    port = free_port()
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "widget_server", "serve", "--port", str(port)],
            env={**os.environ, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{base}/healthz", process)
        yield base
    finally:
        process.terminate()  # a graceful stop: the last flush writes every count
        assert process.wait(timeout=60) in (0, -signal.SIGTERM), log.read_text()


def embed(base: str, token: str, show: str) -> str:
    return (
        '<!doctype html><html lang="de"><head><meta charset="utf-8"><title>Gastgeber</title>'
        f'<script async src="{base}/embed.js"></script></head><body><h1>Gastgeber</h1>'
        f'<div data-partnerkreis="{token}" data-show="{show}"></div></body></html>'
    )


def test_offer_slot_in_a_real_browser_counts_what_was_sent(
    tmp_path: Path, host_site: HostSite, watched: Watched
) -> None:
    db = tmp_path / "slot.db"
    url = f"sqlite:///{db}"
    env = {
        "WIDGET_DATABASE_URL": url,
        "WIDGET_SECRET_KEYS": SECRET,
        "WIDGET_SNAPSHOT_INTERVAL": "0.5",
    }
    cli(env, "init")
    cli(env, "theme", "add", "hochzeit", "--name-de", "Hochzeit")
    for slug in MEMBERS:
        website = f"{host_site.base}/{slug}"
        cli(env, "member", "add", slug, "--name", slug.title(), "--website", website,
            "--theme", "hochzeit")  # fmt: skip
    ids = {m["slug"]: m["id"] for m in json.loads(cli(env, "member", "list", "--json"))}
    offer = run(add_offer_and_event(url, ids, datetime.now(UTC).date()))
    base_arg = ("--base-url", "http://127.0.0.1", "--json")
    fixed = json.loads(cli(env, "snippet", "gastgeber", "hochzeit", "--show", "offer", *base_arg))
    assert fixed["show"] == "partners,offer"  # the placement's own option
    plain = json.loads(cli(env, "snippet", "gastgeber", "hochzeit", *base_arg))

    page = watched.page
    beacons: list[Response] = []
    page.on("response", lambda r: beacons.append(r) if "/v/" in r.url and r.status == 204 else None)
    with serving(env, tmp_path / "server.log") as base:
        host_site.pages["/gastgeber"] = embed(base, plain["token"], "partners,offer")
        with page.expect_response(lambda r: "/v/" in r.url and r.status == 204):
            page.goto(f"{host_site.base}/gastgeber")
            page.wait_for_function("() => window.Partnerkreis && window.Partnerkreis.ready")
        cards: list[dict[str, Any]] = page.evaluate(
            READ, page.locator("[data-partnerkreis]").element_handle()
        )
        assert len(cards) == 3
        slot = cards[-1]
        assert slot["cls"] == "pk-item pk-offer"
        assert slot["name"] == TITLE  # shown as text
        assert slot["meta"].startswith("Gemeinsames Angebot · bis ")
        assert slot["rel"] == "sponsored nofollow noopener"
        assert slot["href"].startswith(f"{base}/c/")
        assert all(c["markup"] == 0 for c in cards)
        assert page.evaluate("() => window.__pwned") is None
        partners = [c["name"] for c in cards[:-1]]
        assert "Gastgeber" not in partners

        with page.expect_navigation(url=f"{base}/o/{offer.slug}"):
            page.locator("[data-partnerkreis]").locator("li.pk-offer a").click()
        expect(page.locator("h1")).to_contain_text("Paket")
        assert page.evaluate("() => window.__pwned") is None

        # The event slot, shown by the embed's data-show: hostile text stays text.
        host_site.pages["/termin"] = embed(base, plain["token"], "event")
        page.goto(f"{host_site.base}/termin")
        page.wait_for_function("() => window.Partnerkreis && window.Partnerkreis.ready")
        event_cards = page.evaluate(READ, page.locator("[data-partnerkreis]").element_handle())
        assert event_cards[-1]["cls"] == "pk-item pk-event"
        assert event_cards[-1]["name"] == EVENT_TITLE
        assert all(c["markup"] == 0 for c in event_cards)
        assert page.evaluate("() => window.__pwned") is None
        assert watched.errors == []
    assert len(beacons) >= 1

    rows = run(stored_rows(url))
    host = ids["gastgeber"]
    receivers = {ids["blumen"], ids["torten"]}  # the host takes part: not credited
    by_name = {slug.title(): ids[slug] for slug in MEMBERS}
    shown = [by_name[name] for name in partners]
    viewed = {r.partner_id: r for r in rows if r.kind == "viewed" and r.host_id == host}
    # One view is credited per visitor, theme and day: the first page's block.
    assert viewed[0].count == 1
    for member_id in receivers | set(shown):
        expected_count = (member_id in receivers) + shown.count(member_id)
        assert viewed[member_id].count == expected_count
        share = exposure(3) / 2 if member_id in receivers else 0.0
        own = sum(exposure(i + 1) for i, m in enumerate(shown) if m == member_id)
        assert math.isclose(viewed[member_id].exposure, share + own)
    assert set(viewed) == {0} | receivers | set(shown)
    clicked = {r.partner_id: r.count for r in rows if r.kind == "clicked"}
    assert clicked == dict.fromkeys(receivers, 1)  # one click, credited to each receiver
