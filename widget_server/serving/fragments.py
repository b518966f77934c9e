"""A block's JSON assembled from parts made once: what a first sight of a token sends.

``build_block`` (serving/blocks.py) makes a block as a dict, for the REST API,
the portal's preview and the reference; the body of ``/w/{token}`` is that dict
as compact JSON (``json.dumps(block, ensure_ascii=False, separators=(",", ":"))``).
On a first sight of a token that meant texts translated, a dict per card and a
new encoder walking them all, again for every placement of a theme.  Here the
same bytes are joined from parts:

* the block's frame, per theme, display (language, layout, scheme), the rules'
  badge label and base URL: everything before the first card (version, display,
  heading, label, badge) and the "see all partners" link after the cards; made
  once and kept in the render cache under the theme (``invalidate_theme`` drops
  it with the theme's other entries), and checked against the theme object it
  was made from, so a renamed theme is never served from an old frame;
* each card from its member's fields, each string encoded once by the C encoder
  the ``json`` module itself uses; only the click token is made per block;
* the view link, made per block as before.

JSON's escaping with ``ensure_ascii=False`` is per character (``"``, ``\\`` and
control characters; everything else is kept), so an encoded part can be joined
to another and the result is the encoding of the joined text: the bytes are
the same as the dict's, to the byte.  ``tests/test_fragments.py`` holds them to
``json.dumps(build_block(...))`` on hostile member text.
"""

from __future__ import annotations

import json
from json.encoder import encode_basestring
from typing import Any

from widget_server.core.i18n import translator
from widget_server.core.models import Placement, Theme
from widget_server.core.signing import Signer
from widget_server.network.categories import category_label
from widget_server.serving.blocks import (
    BLOCK_FORMAT,
    HEADINGS,
    Display,
    Drawn,
    badge,
    directory_path,
    logo_path,
)
from widget_server.serving.snapshot import Snapshot

# What json.dumps(block, ensure_ascii=False, separators=(",", ":")) writes: one encoder
# made once (json.dumps makes a new one per call when given options).
ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def encode_json(value: Any) -> bytes:
    """``value`` as the block's body encodes it."""
    return ENCODER.encode(value).encode()


def _str(value: str) -> bytes:
    """A JSON string (quotes included), as the block's encoder writes it."""
    return str(encode_basestring(value)).encode()


def _inner(value: str) -> bytes:
    """A JSON string's characters without its quotes: parts of one string, joined."""
    return _str(value)[1:-1]


def _or_null(value: str | None) -> bytes:
    return b"null" if value is None else _str(value)


class Frame:
    """A block's parts around its cards for one theme, display, badge label and base URL."""

    __slots__ = ("base", "head", "more", "theme")

    def __init__(self, theme: Theme, display: Display, label: str, base_url: str) -> None:
        self.theme = theme  # the object it was made from: a changed theme is another
        lang = display.lang
        t = translator(lang)
        name = theme.name(lang)
        self.head = b"".join(
            (
                b'{"v":%d,"lang":' % BLOCK_FORMAT,
                _str(lang),
                b',"layout":',
                _str(display.layout),
                b',"scheme":',
                _str(display.scheme),
                b',"heading":',
                _str(t.gettext(HEADINGS[theme.kind], theme=name)),
                b',"label":',
                _str(t.gettext("Partners in the %(theme)s network", theme=name)),
                b',"badge":',
                _or_null(badge(label, lang)),
                b',"partners":[',
            )
        )
        self.base = _inner(base_url)
        more = base_url + directory_path(theme.slug, lang)
        self.more = encode_json({"text": t.gettext("See all partners"), "url": more})


def frame(snapshot: Snapshot, theme_id: int, display: Display, label: str, base_url: str) -> Frame:
    """The theme's frame for this display, from the render cache or made and kept."""
    theme = snapshot.themes[theme_id]
    key = ("frame", theme_id, display.lang, display.layout, display.scheme, label, base_url)
    found: Frame | None = snapshot.cache.part(theme_id, key)
    if found is None or found.theme is not theme:
        found = snapshot.cache.keep_part(theme_id, key, Frame(theme, display, label, base_url))
    return found


def block_body(
    snapshot: Snapshot,
    placement: Placement,
    display: Display,
    drawn: Drawn,
    *,
    signer: Signer,
    base_url: str,
    view: str | None,
) -> bytes:
    """The body of ``/w/{token}``: ``build_block``'s dict for the drawn partners (plus the
    joint slot's card ``drawn.extra``, as ``slots.block_dict`` appends it) and ``view``,
    encoded."""
    slots, extra, rules, rotation = drawn.partners, drawn.extra, drawn.rules, drawn.rotation
    lang = display.lang
    found = frame(snapshot, placement.theme_id, display, rules.links.label, base_url)
    base = found.base
    rel = b'","logo":', b',"rel":' + _str(rules.links.rel) + b"}"
    out = [found.head]
    records = snapshot.members.records  # no ``Member`` made
    click = signer.click_token_bytes
    placement_id, bucket = placement.id, rotation.bucket
    for n, slot in enumerate(slots):
        member = records[slot.member_id]
        name, description = member.name_and_description()
        logo = logo_path(member)
        out += (
            b'{"name":' if n == 0 else b',{"name":',
            _str(name),
            b',"description":',
            _str(description),
            b',"category":',
            _str(category_label(member.category, lang)),
            b',"town":',
            _str(member.town),
            b',"url":"',
            base,
            b"/c/",
            click(placement_id, member.id, bucket),
            rel[0],
            b'"' + base + _inner(logo) + b'"' if logo else b"null",
            rel[1],
        )
    fallback = not slots
    hide = fallback and rules.fallback == "hide"
    if extra is not None:
        out += (b"," if slots else b"", encode_json(extra))
        fallback = False
    out += (
        b'],"fallback":',
        b"true" if fallback and not hide else b"false",
        b',"more":',
        b"null" if hide else found.more,
        b',"view":',
        _or_null(view),
        b"}",
    )
    return b"".join(out)
