"""The block's ``<nav>`` markup made in Python: what the iframe page shows, per first sight.

The markup is defined by the template macro ``widget/_nav.html`` (also used by
the REST API's server-side blocks and the join page's preview), and this
function writes exactly the same characters for the same block: the macro
costs about as much as the whole selection on a block's first sight (a Jinja
namespace, filters and a macro call per partner), this a few string joins.
``tests/test_nav_markup.py`` holds the two to each other on hostile input.

Member data is hostile: every value is escaped, and only absolute http(s)
URLs are used for links and logos, as in the macro.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from markupsafe import escape

DEFAULT_REL = "sponsored nofollow noopener"


def escaped(value: str) -> str:
    """``str(markupsafe.escape(value))``: a plain string's five characters replaced as
    markupsafe's own replacement does, without making a ``Markup`` per value (28 per
    page); anything else (a ``Markup``, an object with ``__html__``) goes to markupsafe."""
    if type(value) is str:
        return (
            value.replace("&", "&amp;")
            .replace(">", "&gt;")
            .replace("<", "&lt;")
            .replace("'", "&#39;")
            .replace('"', "&#34;")
        )
    return str(escape(value))


_e = escaped


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _web(url: Any) -> str:
    """The URL, trimmed and escaped, when it is an absolute http(s) URL; else ""."""
    if isinstance(url, str) and url.strip().lower().startswith(("http://", "https://")):
        return _e(url.strip())
    return ""


def item(p: Mapping[str, Any], compact: bool) -> str:
    """One card's ``<li>`` from its dict (a card that is ``shown``)."""
    return card(
        p["name"],
        p.get("url"),
        p.get("rel"),
        p.get("logo"),
        p.get("category"),
        p.get("town"),
        p.get("description"),
        p.get("kind"),
        compact,
    )


def shown(name: Any, url: Any) -> bool:
    """Is a card with this name and link shown (a name that is not blank, an http(s) link)?"""
    return isinstance(name, str) and bool(name.strip()) and bool(_web(url))


def card(
    name: str,
    url: Any,
    rel: Any,
    logo: Any,
    category: Any,
    town: Any,
    description: Any,
    kind: Any,
    compact: bool,
) -> str:
    """One card's ``<li>`` (a card that is ``shown``), from its fields' values."""
    name = name.strip()
    rel = rel if isinstance(rel, str) and rel.strip() else DEFAULT_REL
    # A joint slot's card (serving/slots.py) is a partner card with a class of its kind.
    kind_class = f" pk-{kind}" if kind in ("offer", "event") else ""
    out = [
        f'<li class="pk-item{kind_class}"><a class="pk-link" href="{_web(url)}" '
        f'rel="{_e(rel)}" target="_top">'
    ]
    if not compact:
        logo = _web(logo)
        if logo:
            out.append(
                f'<img class="pk-logo" alt="" loading="lazy" width="48" height="48" src="{logo}">'
            )
        else:
            out.append(
                f'<span class="pk-mono" aria-hidden="true" data-initial="{_e(name[0].upper())}">'
                "</span>"
            )
    out.append(f'\n  <span class="pk-body"><span class="pk-name">{_e(name)}</span>')
    meta = " · ".join(s for s in (v.strip() for v in (category, town) if isinstance(v, str)) if s)
    if meta:
        out.append(f' <span class="pk-meta">{_e(meta)}</span>')
    if isinstance(description, str) and description.strip():
        out.append(f' <span class="pk-desc">{_e(description.strip())}</span>')
    out.append("</span></a></li>")
    return "".join(out)


def nav_markup(block: Mapping[str, Any], lang: str) -> str:
    """The ``<nav>`` of ``block`` (the /w/ JSON dict); "" when there is nothing to show."""
    partners = block.get("partners")
    items = [
        p
        for p in (partners if isinstance(partners, list | tuple) else ())
        if isinstance(p, Mapping) and shown(p.get("name"), p.get("url"))
    ]
    if not items and not block.get("fallback"):
        return ""
    compact = _text(block.get("layout")).strip() == "compact"
    return nav_open(block, lang) + listed([item(p, compact) for p in items]) + nav_close(block)


def nav_open(block: Mapping[str, Any], lang: str) -> str:
    """The ``<nav>``'s start and heading: the block's own fields, not its cards."""
    heading = _text(block.get("heading"))
    label = block.get("label")
    label = label if isinstance(label, str) and label.strip() else heading
    layout = _text(block.get("layout")).strip()
    scheme = _text(block.get("scheme")).strip()
    doc_lang = _text(block.get("lang")).strip() or lang or "de"
    out = [
        f'<nav class="pk pk-{_e(layout)} pk-scheme-{_e(scheme)}" lang="{_e(doc_lang)}" '
        f'aria-label="{_e(label.strip())}">\n<h2 class="pk-heading">{_e(heading.strip())}'
    ]
    badge = block.get("badge")
    if isinstance(badge, str) and badge.strip():
        out.append(f'<span class="pk-badge">{_e(badge.strip())}</span>')
    out.append("</h2>")
    return "".join(out)


def listed(items: list[str]) -> str:
    """The cards' list ("" for none)."""
    return f'\n<ul class="pk-list">{"".join(items)}</ul>' if items else ""


def nav_close(block: Mapping[str, Any]) -> str:
    """The ``<nav>``'s end: the link to all partners when the block has one."""
    more = block.get("more")
    more = more if isinstance(more, Mapping) else {}
    url, text = _web(more.get("url")), more.get("text")
    if url and isinstance(text, str) and text.strip():
        return f'<a class="pk-more" href="{url}" target="_top">{_e(text.strip())}</a>\n</nav>'
    return "\n</nav>"
