"""The paste-ready embed code: pure string building, escaped for HTML."""

from __future__ import annotations

import re
from html import escape
from urllib.parse import urlsplit

from widget_server.core.i18n import translator
from widget_server.core.models import LANGUAGES, Theme
from widget_server.serving.blocks import HEADINGS, directory_path


def embed_snippet(
    base_url: str,
    token: str,
    *,
    directory_url: str,
    fallback_text: str,
    show: str | None = None,
) -> str:
    """Script tag, container and a ``<noscript>`` link to the theme's directory page.

    Exactly what a member pastes; nothing to configure.  The ``data-`` options
    (``data-lang``, ``data-layout``, ``data-color-scheme``) may be added by hand;
    ``show`` ("partners,offer,event") writes ``data-show`` (the block's joint slot).
    """
    base = escape(base_url.rstrip("/"), quote=True)
    shows = f' data-show="{escape(show, quote=True)}"' if show else ""
    return (
        f'<script async src="{base}/embed.js"></script>\n'
        f'<div data-partnerkreis="{escape(token, quote=True)}"{shows}></div>\n'
        f'<noscript><a href="{escape(directory_url, quote=True)}">'
        f"{escape(fallback_text)}</a></noscript>"
    )


# The iframe's height when no script may run on the host page, per layout: what the
# block needs with three partners at a width of 360 px or more (measured in Chromium:
# cards 544, list 504, compact 271 px at 360 px; less on wider pages), with a margin
# for longer descriptions.  Where scripts run, the listener fits the height exactly.
FRAME_HEIGHTS = {"cards": 580, "list": 540, "compact": 300}
# One listener for every partner iframe of the page: the frame page reports its
# height (static/frame.js); only messages from our origin and from one of our
# iframes change a height.
_RESIZE = (
    "<script>addEventListener('message',function(e){{var h=e.data&&e.data.partnerkreisHeight;"
    "if(e.origin!=='{origin}'||!(h>0&&h<5000))return;"
    "document.querySelectorAll('iframe[data-partnerkreis-frame]').forEach(function(f){{"
    "if(f.contentWindow===e.source)f.height=Math.ceil(h)}})}})</script>"
)


def iframe_snippet(
    base_url: str,
    token: str,
    *,
    title: str,
    layout: str | None = None,
    height: int | None = None,
    resize: bool = True,
) -> str:
    """The iframe variant: the same block as a page in an ``<iframe>``, without a border.

    Its height is the layout's fixed height (enough for three partners); with
    ``resize`` a tiny listener lets the frame set its own height, so it follows
    the content where the host page allows a script.
    """
    base = escape(base_url.rstrip("/"), quote=True)
    parts = urlsplit(base_url)
    origin = f"{parts.scheme}://{parts.netloc}"
    if height is None:
        height = FRAME_HEIGHTS.get(layout or "cards", FRAME_HEIGHTS["cards"])
    frame = (
        f'<iframe src="{base}/w/{escape(token, quote=True)}.html" title="{escape(title)}"'
        f' width="100%" height="{int(height)}" frameborder="0" scrolling="no" loading="lazy"'
        ' referrerpolicy="strict-origin-when-cross-origin" data-partnerkreis-frame></iframe>'
    )
    if not resize or not re.fullmatch(r"https?://[A-Za-z0-9.:\[\]-]+", origin):
        return frame
    return frame + "\n" + _RESIZE.format(origin=origin)


def placement_snippet(
    base_url: str, token: str, theme: Theme, lang: str | None = None, show: str | None = None
) -> str:
    """The code a member pastes for one placement, with the theme's directory as fallback.

    ``lang`` (the placement's, default German) is the language of every text in it;
    ``show`` asks for the block's joint slot (``data-show``).
    """
    lang = lang if lang in LANGUAGES else "de"
    return embed_snippet(
        base_url,
        token,
        directory_url=base_url.rstrip("/") + directory_path(theme.slug, lang),
        fallback_text=translator(lang).gettext(HEADINGS[theme.kind], theme=theme.name(lang)),
        show=show,
    )
