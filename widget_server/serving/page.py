"""The iframe page of a block (``/w/{token}.html``) made in Python, around its ``<nav>``.

The page is defined by the template ``widget/frame.html``; on a block's first
sight rendering it cost about as much as the block's selection, for a page
whose only parts that vary per placement are the ``<nav>`` (serving/nav.py) and
the view link.  Everything before the ``<body>``'s attributes depends on the
theme, language and base URL only: it is made once (``page_head``) and kept in
the render cache under the theme, checked against the theme object it was made
from; ``page`` adds the rest.  ``tests/test_page_markup.py`` holds the result
to the template's on hostile input, character for character.
"""

from __future__ import annotations

from dataclasses import replace

from widget_server.core.i18n import translator
from widget_server.core.models import Placement, Theme
from widget_server.core.signing import Signer
from widget_server.network.categories import category_label
from widget_server.rotation import Rules
from widget_server.serving.blocks import Display, Drawn, Rotation, build_block, logo_path
from widget_server.serving.nav import card, listed, nav_close, nav_open, shown
from widget_server.serving.nav import escaped as _e
from widget_server.serving.nav import item as nav_item
from widget_server.serving.snapshot import Snapshot


def page_head(doc_lang: str, title: str, css_url: str, script_url: str | None) -> str:
    """The page up to the ``<body>``'s attributes (frame.html with these values)."""
    out = [
        '<!doctype html>\n<html lang="',
        _e(doc_lang),
        '">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="robots" content="noindex">\n<title>',
        _e(title),
        '</title>\n<link rel="stylesheet" href="',
        _e(css_url),
        '">',
    ]
    if script_url:
        out += ('\n<script src="', _e(script_url), '" defer></script>')
    out.append('\n</head>\n<body class="pk-root"')
    return "".join(out)


def page(head: str, view_link: str | None, markup: str) -> str:
    """The whole page: ``head``, the view link (frame.js posts it) and the ``<nav>``."""
    view = f' data-view="{_e(view_link)}"' if view_link else ""
    nav = f"\n{markup}" if markup else ""
    return f"{head}{view}>{nav}\n</body>\n</html>"


class PageHead:
    __slots__ = ("text", "theme")

    def __init__(self, theme: Theme, text: str) -> None:
        self.theme = theme  # the object it was made from: a changed theme is another
        self.text = text


def theme_page_head(
    snapshot: Snapshot, theme_id: int, lang: str, css_url: str, script_url: str
) -> str:
    """The page head of a theme's blocks in ``lang``, from the render cache or made."""
    theme = snapshot.themes[theme_id]
    key = ("page-head", theme_id, lang, css_url, script_url)
    found: PageHead | None = snapshot.cache.part(theme_id, key)
    if found is None or found.theme is not theme:
        title = translator(lang).gettext(
            "Partners in the %(theme)s network", theme=theme.name(lang)
        )
        found = PageHead(theme, page_head(lang, title, css_url, script_url))
        snapshot.cache.keep_part(theme_id, key, found)
    return found.text


class NavFrame:
    """The ``<nav>``'s parts around its cards for one theme, display, badge label and base
    URL (``nav_open`` and ``nav_close`` of ``build_block``'s block without cards)."""

    __slots__ = ("close", "close_hidden", "open", "theme")

    def __init__(
        self,
        snapshot: Snapshot,
        placement: Placement,
        display: Display,
        rules: Rules,
        signer: Signer,
        base_url: str,
    ) -> None:
        self.theme = snapshot.themes[placement.theme_id]
        # build_block itself makes the fields, so they are the block's own; without
        # cards a "hide" fallback drops the link to all partners, which cards keep.
        block = build_block(
            snapshot,
            placement,
            display,
            slots=(),
            rules=replace(rules, fallback="directory"),
            rotation=NO_ROTATION,
            signer=signer,
            base_url=base_url,
        )
        self.open = nav_open(block, display.lang)
        self.close = nav_close(block)
        self.close_hidden = nav_close({})


NO_ROTATION = Rotation(0, cacheable=False, seconds_left=0)  # a block without cards: unused


def block_nav(
    snapshot: Snapshot,
    placement: Placement,
    display: Display,
    drawn: Drawn,
    *,
    signer: Signer,
    base_url: str,
) -> str:
    """``nav_markup`` of ``build_block``'s dict for the drawn partners (and the joint slot's
    card ``drawn.extra``), made from the member fields with the ``<nav>``'s frame kept per
    theme."""
    slots, extra, rules, rotation = drawn.partners, drawn.extra, drawn.rules, drawn.rotation
    lang = display.lang
    theme = snapshot.themes[placement.theme_id]
    key = ("nav", lang, display.layout, display.scheme, rules.links.label, base_url)
    found: NavFrame | None = snapshot.cache.part(placement.theme_id, key)
    if found is None or found.theme is not theme:
        found = NavFrame(snapshot, placement, display, rules, signer, base_url)
        snapshot.cache.keep_part(placement.theme_id, key, found)
    compact = display.layout.strip() == "compact"
    rel = rules.links.rel
    records = snapshot.members.records  # no ``Member`` made
    items = []
    for slot in slots:
        member = records[slot.member_id]
        name, description = member.name_and_description()
        url = f"{base_url}/c/{signer.click_token(placement.id, member.id, rotation.bucket)}"
        if not shown(name, url):
            continue
        logo = logo_path(member)
        items.append(
            card(
                name,
                url,
                rel,
                f"{base_url}{logo}" if logo else None,
                category_label(member.category, lang),
                member.town,
                description,
                None,
                compact,
            )
        )
    fallback = not slots
    hide = fallback and rules.fallback == "hide"
    if extra is not None:
        if shown(extra.get("name"), extra.get("url")):
            items.append(nav_item(extra, compact))
        fallback = False
    if not items and not (fallback and not hide):
        return ""
    return found.open + listed(items) + (found.close_hidden if hide else found.close)
