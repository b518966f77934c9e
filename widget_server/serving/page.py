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

from widget_server.core.i18n import translator
from widget_server.core.models import Theme
from widget_server.serving.nav import escaped as _e
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
