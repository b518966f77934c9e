"""The paste-ready embed code: pure string building, escaped for HTML."""

from __future__ import annotations

from html import escape

from widget_server.core.i18n import translator
from widget_server.core.models import Theme
from widget_server.serving.blocks import HEADINGS, directory_path


def embed_snippet(base_url: str, token: str, *, directory_url: str, fallback_text: str) -> str:
    """Script tag, container and a ``<noscript>`` link to the theme's directory page.

    Exactly what a member pastes; nothing to configure.  The ``data-`` options
    (``data-lang``, ``data-layout``, ``data-color-scheme``) may be added by hand.
    """
    base = escape(base_url.rstrip("/"), quote=True)
    return (
        f'<script async src="{base}/embed.js"></script>\n'
        f'<div data-partnerkreis="{escape(token, quote=True)}"></div>\n'
        f'<noscript><a href="{escape(directory_url, quote=True)}">'
        f"{escape(fallback_text)}</a></noscript>"
    )


def iframe_snippet(base_url: str, token: str, *, title: str, height: int = 360) -> str:
    """The no-JavaScript variant: the same block as a page in an ``<iframe>``."""
    base = escape(base_url.rstrip("/"), quote=True)
    return (
        f'<iframe src="{base}/w/{escape(token, quote=True)}.html" title="{escape(title)}"'
        f' width="100%" height="{int(height)}" loading="lazy"'
        ' referrerpolicy="strict-origin-when-cross-origin"></iframe>'
    )


def placement_snippet(base_url: str, token: str, theme: Theme) -> str:
    """The code a member pastes for one placement, with the theme's directory as fallback."""
    return embed_snippet(
        base_url,
        token,
        directory_url=base_url.rstrip("/") + directory_path(theme.slug, "de"),
        fallback_text=translator("de").gettext(HEADINGS[theme.kind], theme=theme.name("de")),
    )
