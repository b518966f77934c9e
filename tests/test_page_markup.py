"""The iframe page made in Python is ``widget/frame.html``'s, character for character.

``serving/page.py`` stands in for the template on the hot path of
``/w/{token}.html``; the template stays the definition (the portal's preview
renders it).  Hostile titles, URLs and view links come out the same from both.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from markupsafe import Markup

from widget_server.serving.page import page, page_head
from widget_server.web.runtime import TEMPLATES_DIR
from widget_server.web.templating import make_templates

TEMPLATE = make_templates(TEMPLATES_DIR).get_template("widget/frame.html")
HOSTILE = ['<script>alert("x")</script>', "a & b", "' onmouseover='x", '"', "Ü 🦊 \u2028", ""]
text = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=12))


@hypothesis_settings(max_examples=200, deadline=None)
@given(
    lang=st.sampled_from(["de", "en"]),
    title=text.filter(bool),
    css_url=text,
    script_url=st.one_of(st.none(), text),
    view_link=st.one_of(st.none(), text),
    markup=st.one_of(st.just(""), st.just('<nav class="pk">\n<h2>x</h2>\n</nav>'), text),
)
def test_the_page_is_the_templates(
    lang: str,
    title: str,
    css_url: str,
    script_url: str | None,
    view_link: str | None,
    markup: str,
) -> None:
    context = {
        "block": {"lang": lang, "heading": "ignored with a title"},
        "lang": lang,
        "title": title,
        "css_url": css_url,
        "script_url": script_url,
        "prerendered": Markup(markup),  # noqa: S704  (as the endpoint gave it: made by nav.py)
        "view_link": view_link,
    }
    made = page(page_head(lang, title, css_url, script_url), view_link, markup)
    assert made == TEMPLATE.render(context)
