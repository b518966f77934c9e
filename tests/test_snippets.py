"""The paste-ready embed code: exact tags, escaping, base URLs."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from widget_server.core.models import Theme
from widget_server.serving.snippets import (
    FRAME_HEIGHTS,
    embed_snippet,
    iframe_snippet,
    placement_snippet,
)

BASE = "https://widgets.example"
TOKEN = "MQ.abcDEF-_123"
DIRECTORY = "https://widgets.example/t/hochzeit"
FALLBACK = "Unsere Partner zum Thema Hochzeit"
NASTY = "a\"b<c>d&e'f"


class Parsed(HTMLParser):
    """Elements (tag, attributes) in document order, and the text of each."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.text: dict[str, str] = {}
        self._open: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))
        self._open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if self._open and self._open[-1] == tag:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        for tag in self._open:
            self.text[tag] = self.text.get(tag, "") + data

    def tags(self) -> list[str]:
        return [tag for tag, _ in self.elements]

    def attrs(self, tag: str) -> dict[str, str | None]:
        found = [a for t, a in self.elements if t == tag]
        assert len(found) == 1, f"expected one <{tag}>, found {len(found)}"
        return found[0]


def snippet(base: str = BASE, token: str = TOKEN, **kw: str) -> str:
    return embed_snippet(
        base,
        token,
        directory_url=kw.get("directory_url", DIRECTORY),
        fallback_text=kw.get("fallback_text", FALLBACK),
    )


# -- embed_snippet --------------------------------------------------------------------------


def test_embed_snippet_has_exactly_the_async_script_tag() -> None:
    html = snippet()
    assert html.count("<script") == 1
    assert f'<script async src="{BASE}/embed.js"></script>' in html


def test_embed_snippet_has_the_container_with_the_token() -> None:
    html = snippet()
    assert f'<div data-partnerkreis="{TOKEN}"></div>' in html
    assert Parsed(html).attrs("div") == {"data-partnerkreis": TOKEN}


def test_embed_snippet_links_to_the_directory_without_javascript() -> None:
    parsed = Parsed(snippet())
    assert parsed.tags() == ["script", "div", "noscript", "a"]
    assert parsed.attrs("a") == {"href": DIRECTORY}
    assert parsed.text["a"] == FALLBACK


def test_embed_snippet_script_attributes() -> None:
    assert Parsed(snippet()).attrs("script") == {"async": None, "src": f"{BASE}/embed.js"}


@pytest.mark.parametrize("base", [BASE + "/", BASE + "//", BASE])
def test_embed_snippet_handles_a_trailing_slash_on_the_base_url(base: str) -> None:
    assert Parsed(snippet(base)).attrs("script")["src"] == f"{BASE}/embed.js"


def test_embed_snippet_keeps_a_base_path() -> None:
    base = "https://example.de/partnerkreis/"
    assert (
        Parsed(snippet(base)).attrs("script")["src"] == "https://example.de/partnerkreis/embed.js"
    )


def test_embed_snippet_escapes_the_base_url() -> None:
    base = f"https://x.example/{NASTY}"
    html = snippet(base)
    parsed = Parsed(html)
    assert parsed.tags() == ["script", "div", "noscript", "a"]
    assert parsed.attrs("script")["src"] == f"{base}/embed.js"
    assert NASTY not in html


def test_embed_snippet_escapes_the_token() -> None:
    html = snippet(token=NASTY)
    parsed = Parsed(html)
    assert parsed.tags() == ["script", "div", "noscript", "a"]
    assert parsed.attrs("div")["data-partnerkreis"] == NASTY
    assert NASTY not in html


def test_embed_snippet_escapes_the_directory_url_and_fallback_text() -> None:
    url = f"https://x.example/t/{NASTY}"
    text = f"Partner {NASTY} </noscript><script>alert(1)</script>"
    html = snippet(directory_url=url, fallback_text=text)
    parsed = Parsed(html)
    assert parsed.tags() == ["script", "div", "noscript", "a"]
    assert parsed.attrs("a")["href"] == url
    assert parsed.text["a"] == text
    assert html.count("<script") == 1


# -- iframe_snippet -------------------------------------------------------------------------


@pytest.mark.parametrize("base", [BASE, BASE + "/"])
def test_iframe_snippet_points_at_the_frame_page_of_the_token(base: str) -> None:
    html = iframe_snippet(base, TOKEN, title="Partner im Netzwerk Hochzeit")
    attrs = Parsed(html).attrs("iframe")
    assert attrs["src"] == f"{BASE}/w/{TOKEN}.html"
    assert attrs["title"] == "Partner im Netzwerk Hochzeit"
    assert attrs["height"] == str(FRAME_HEIGHTS["cards"])
    assert attrs["loading"] == "lazy"
    assert attrs["frameborder"] == "0"  # no border of the browser's


@pytest.mark.parametrize("layout", ["cards", "list", "compact"])
def test_iframe_snippet_height_is_the_layouts_and_a_listener_resizes_it(layout: str) -> None:
    html = iframe_snippet(BASE + "/pk/", TOKEN, title="Partner", layout=layout)
    parsed = Parsed(html)
    assert parsed.tags() == ["iframe", "script"]
    assert parsed.attrs("iframe")["height"] == str(FRAME_HEIGHTS[layout])
    assert f"e.origin!=='{BASE}'" in html  # only our frame page may change a height


def test_iframe_snippet_without_a_plain_origin_has_no_script() -> None:
    html = iframe_snippet("https://x.example'-alert(1)-'/", TOKEN, title="Partner")
    assert Parsed(html).tags() == ["iframe"]
    assert "<script" not in html


def test_iframe_snippet_escapes_token_base_and_title() -> None:
    base = f"https://x.example/{NASTY}"
    html = iframe_snippet(base, NASTY, title=NASTY, height=500)
    parsed = Parsed(html)
    assert parsed.tags() == ["iframe", "script"]
    attrs = parsed.attrs("iframe")
    assert attrs["src"] == f"{base}/w/{NASTY}.html"
    assert attrs["title"] == NASTY
    assert attrs["height"] == "500"
    assert NASTY not in html


# -- placement_snippet ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "heading"),
    [
        ("topic", "Unsere Partner zum Thema Hochzeit & Feste"),
        ("local", "Unsere Partner aus Hochzeit & Feste"),
    ],
)
def test_placement_snippet_falls_back_to_the_theme_directory(kind: str, heading: str) -> None:
    theme = Theme(1, "hochzeit", "Hochzeit & Feste", "Weddings", kind=kind)  # type: ignore[arg-type]
    parsed = Parsed(placement_snippet(BASE + "/", TOKEN, theme))
    assert parsed.attrs("script")["src"] == f"{BASE}/embed.js"
    assert parsed.attrs("div")["data-partnerkreis"] == TOKEN
    assert parsed.attrs("a")["href"] == f"{BASE}/t/hochzeit"
    assert parsed.text["a"] == heading
