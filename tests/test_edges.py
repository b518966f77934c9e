"""Small things a newcomer meets first: the favicon, the iframe page's script, badges in
the block's language, the snippet's language, readable logs, the demo-only portal door."""

from __future__ import annotations

import json
import logging

import httpx
import pytest
from starlette.applications import Starlette

from widget_server.core.logs import JSONFormatter, TextFormatter, access_log, configure_logging
from widget_server.core.models import Theme
from widget_server.core.signing import Signer
from widget_server.serving.blocks import badge
from widget_server.serving.snippets import placement_snippet


@pytest.mark.asyncio
async def test_favicon_is_an_svg_on_every_server(client: httpx.AsyncClient) -> None:
    response = await client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/svg+xml"
    assert response.content.startswith(b"<svg")
    assert "max-age" in response.headers["cache-control"]


@pytest.mark.asyncio
async def test_frame_page_loads_only_its_script_which_posts_only_the_view_link(
    network: dict[str, int], app: Starlette, client: httpx.AsyncClient, signer: Signer
) -> None:
    page = await client.get(f"/w/{signer.embed_token(network['blumen'])}.html")
    assert page.status_code == 200
    assert '<script src="http://testserver/static/frame.js" defer></script>' in page.text
    assert page.text.count("<script") == 1
    csp = page.headers["content-security-policy"]
    assert "script-src http://testserver/static/frame.js;" in csp
    assert "connect-src http://testserver/v/;" in csp  # the view link, nothing else
    assert "default-src 'none'" in csp
    script = await client.get("/static/frame.js")
    assert script.status_code == 200
    for forbidden in (
        "document.cookie",
        "localStorage",
        "sessionStorage",
        "XMLHttpRequest",
        "sendBeacon",
    ):
        assert forbidden not in script.text
    # One request: the page's own view link (the served exchange), without credentials.
    assert script.text.count("fetch(") == 1
    assert 'fetch(link, { method: "POST", credentials: "omit" })' in script.text
    assert 'getAttribute("data-view")' in script.text
    assert "partnerkreisHeight" in script.text


@pytest.mark.asyncio
async def test_the_demo_portal_door_is_closed_on_a_real_network(
    network: dict[str, int], app: Starlette, client: httpx.AsyncClient
) -> None:
    response = await client.get("/demo/portal/blumen", follow_redirects=False)
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("label", "lang", "shown"),
    [
        ("Anzeige", "en", "Advertisement"),
        ("Anzeige", "de", "Anzeige"),
        (" werbung ", "en", "Advertisement"),
        ("Advertisement", "de", "Anzeige"),
        ("Sponsored", "de", "Gesponsert"),
        ("gesponsert", "en", "Sponsored"),
        ("Partnerangebot", "en", "Partnerangebot"),  # the coordinator's own words stay
        ("<b>Anzeige</b>", "en", "<b>Anzeige</b>"),  # raw here, escaped where rendered
        ("", "en", None),
    ],
)
def test_the_usual_badges_are_shown_in_the_blocks_language(
    label: str, lang: str, shown: str | None
) -> None:
    assert badge(label, lang) == shown


@pytest.mark.parametrize(
    ("lang", "text", "href"),
    [
        ("en", "Our partners for Wedding", "https://p.example/t/hochzeit?lang=en"),
        ("de", "Unsere Partner zum Thema Hochzeit", "https://p.example/t/hochzeit"),
        (None, "Unsere Partner zum Thema Hochzeit", "https://p.example/t/hochzeit"),
    ],
)
def test_placement_snippet_speaks_the_placements_language(
    lang: str | None, text: str, href: str
) -> None:
    theme = Theme(1, "hochzeit", "Hochzeit", "Wedding")
    html = placement_snippet("https://p.example", "TOKEN", theme, lang)
    assert f'<a href="{href}">{text}</a>' in html


def record(name: str, message: str, **extra: object) -> logging.LogRecord:
    entry = logging.LogRecord(name, logging.INFO, __file__, 1, message, None, None)
    entry.__dict__.update(extra)
    return entry


def test_text_log_lines_read_like_a_request_log_and_json_stays_json() -> None:
    request = record(
        access_log.name, "request", method="GET", path="/w/{token}", status=200, ms=1.25
    )
    assert TextFormatter().format(request).split(" ", 1)[1] == "GET /w/{token} 200 1.25 ms"
    other = TextFormatter().format(record("widget_server.x", "flush failed", error="locked"))
    assert other.split(" ", 1)[1] == "info    flush failed  error=locked"
    assert json.loads(JSONFormatter().format(request))["path"] == "/w/{token}"


@pytest.mark.parametrize(("fmt", "requests"), [("text", True), ("json", False)])
def test_readable_logs_show_each_request_json_logs_only_at_debug(fmt: str, requests: bool) -> None:
    root = logging.getLogger()
    saved = (root.handlers[:], root.level, access_log.level)
    try:
        configure_logging("info", fmt)
        assert access_log.isEnabledFor(logging.DEBUG) is requests
        formatter = root.handlers[0].formatter
        assert isinstance(formatter, TextFormatter if fmt == "text" else JSONFormatter)
    finally:
        root.handlers[:], _, _ = saved
        root.setLevel(saved[1])
        access_log.setLevel(saved[2])
