"""The iframe page's ``<nav>`` made in Python is the template macro's, character for character.

``serving/nav.py`` stands in for ``widget/_nav.html`` on the hot path; the
macro stays the definition (the REST API and the join preview render it).
Blocks as the server builds them and hostile, ill-typed ones must come out the
same from both.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from markupsafe import Markup, escape

from widget_server.serving.nav import escaped, nav_markup
from widget_server.web.runtime import TEMPLATES_DIR
from widget_server.web.templating import make_templates

MACROS = make_templates(TEMPLATES_DIR).get_template("widget/_nav.html").module


def macro(block: dict[str, Any], lang: str) -> str:
    return str(MACROS.nav(block, lang))  # type: ignore[attr-defined]


HOSTILE = ['<script>alert("x")</script>', "a & b", "' onmouseover='x", " ", "", "Ünïcödé ·"]
text = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=12))
url = st.one_of(
    st.sampled_from(
        [
            "https://p.example/c/abc",
            " HTTP://x.example/?a=1&b=<2>",
            "javascript:alert(1)",
            "//no-scheme.example/",
            'https://q.example/"><script>',
        ]
    ),
    text,
)
anything = st.one_of(st.none(), st.integers(), st.booleans(), st.lists(st.integers(), max_size=2))
partner_dict = st.fixed_dictionaries(
    {"name": text, "url": url},
    optional={
        "description": st.one_of(text, anything),
        "category": st.one_of(text, anything),
        "town": st.one_of(text, anything),
        "logo": st.one_of(url, st.none()),
        "rel": st.one_of(text, st.none()),
        "kind": st.one_of(st.sampled_from(["offer", "event", "partner", '" onclick="x']), anything),
    },
)
partner = st.one_of(partner_dict, partner_dict, partner_dict, anything, text)
block = st.fixed_dictionaries(
    {},
    optional={
        "lang": st.one_of(st.sampled_from(["de", "en", " en "]), text, anything),
        "layout": st.one_of(st.sampled_from(["list", "cards", "compact", " compact "]), text),
        "scheme": st.one_of(st.sampled_from(["auto", "light", "dark"]), text, anything),
        "heading": st.one_of(text, anything),
        "label": st.one_of(text, anything),
        "badge": st.one_of(text, st.none()),
        "partners": st.one_of(st.lists(partner, max_size=4), anything, text),
        "fallback": st.one_of(st.booleans(), st.none(), st.integers(0, 1)),
        "more": st.one_of(
            st.fixed_dictionaries({}, optional={"text": st.one_of(text, anything), "url": url}),
            anything,
        ),
    },
)


@hypothesis_settings(database=None, max_examples=400, deadline=None)
@given(block=block, lang=st.sampled_from(["de", "en", ""]))
def test_the_python_nav_is_the_macros_on_any_block(block: dict[str, Any], lang: str) -> None:
    assert nav_markup(block, lang) == macro(block, lang)


SERVED = {
    "v": 1,
    "lang": "de",
    "layout": "list",
    "scheme": "auto",
    "heading": "Unsere Partner für Hochzeit",
    "label": "Partner im Hochzeit-Netzwerk",
    "badge": "Anzeige",
    "partners": [
        {
            "name": '<b>Blumen</b> & "Söhne"',
            "description": "Sträuße <i>frisch</i>",
            "category": "Floristik",
            "town": "Heide",
            "url": "https://partnerkreis.example/c/tok.en",
            "logo": "https://partnerkreis.example/logos/1-abc.png",
            "rel": "sponsored nofollow noopener",
        },
        {
            "name": "Catering",
            "description": "",
            "category": None,
            "town": "",
            "url": "https://partnerkreis.example/c/t2",
            "logo": None,
            "rel": "nofollow",
        },
    ],
    "fallback": False,
    "more": {"text": "Alle Partner", "url": "https://partnerkreis.example/t/hochzeit"},
    "view": None,
}


@pytest.mark.parametrize("layout", ["list", "cards", "compact"])
def test_a_served_block_renders_the_same_and_escaped(layout: str) -> None:
    served = {**SERVED, "layout": layout}
    made = nav_markup(served, "de")
    assert made == macro(served, "de")
    assert "&lt;b&gt;Blumen&lt;/b&gt; &amp; &#34;Söhne&#34;" in made
    assert "<i>" not in made and "<b>" not in made
    assert made.count('<li class="pk-item">') == 2
    assert ("pk-logo" in made) == (layout != "compact")


@pytest.mark.parametrize(
    ("link", "logo"),
    [
        (" HTTPS://Upper.example/c/x ", "HTTP://upper.example/l.png"),
        ("javascript:alert(1)", None),
        ("https://ok.example/c/x", "javascript:alert(1)"),
        ("ftp://files.example/", " https://l.example/a.png?x=<1>"),
    ],
)
def test_only_http_links_and_logos_are_kept_as_the_macro_keeps_them(
    link: str, logo: str | None
) -> None:
    served = {**SERVED, "partners": [{**SERVED["partners"][0], "url": link, "logo": logo}]}
    made = nav_markup(served, "de")
    assert made == macro(served, "de")
    assert "javascript:" not in made


def test_nothing_to_show_renders_nothing_unless_the_fallback_asks() -> None:
    empty = {**SERVED, "partners": []}
    assert nav_markup(empty, "de") == macro(empty, "de") == ""
    fallback = {**empty, "fallback": True}
    assert nav_markup(fallback, "de") == macro(fallback, "de") != ""


def test_a_joint_slot_is_a_partner_card_with_its_kind() -> None:
    slot = {
        "name": "<script>Paket</script>",
        "description": "10 % günstiger",
        "category": "Gemeinsames Angebot",
        "town": "bis 28. Februar 2027",
        "url": "https://partnerkreis.example/c/slot",
        "logo": None,
        "rel": "sponsored nofollow noopener",
        "kind": "offer",
    }
    served = {**SERVED, "partners": [*SERVED["partners"], slot]}  # type: ignore[list-item]
    made = nav_markup(served, "de")
    assert made == macro(served, "de")
    assert made.count('<li class="pk-item">') == 2
    assert made.count('<li class="pk-item pk-offer">') == 1
    assert "Gemeinsames Angebot · bis 28. Februar 2027" in made
    assert "&lt;script&gt;Paket&lt;/script&gt;" in made and "<script>" not in made
    hostile = {**slot, "kind": '" onclick="x'}
    odd = {**SERVED, "partners": [hostile]}
    assert nav_markup(odd, "de") == macro(odd, "de")
    assert "onclick" not in nav_markup(odd, "de")


@given(st.one_of(st.text(), st.sampled_from(HOSTILE)))
def test_escaping_is_markupsafes(value: str) -> None:
    assert escaped(value) == str(escape(value))
    assert escaped(Markup(value)) == str(escape(Markup(value)))  # noqa: S704  (the test)
