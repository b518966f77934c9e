"""A partner block for a page rendered on the server, and where it came from."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from html import escape
from typing import Literal, Self

from ._fields import JSON, frozen, obj, objects, optional_integer, optional_text, text

Source = Literal["network", "cache", "stale", "fallback"]
"""Where a block came from.

``network``
    the server answered during this call (a new block, or ``304 Not Modified``
    for the cached one): it is current.
``cache``
    the cached block, still fresh; no request was made.
``stale``
    the cached block, past its expiry (but within ``max_stale``); a refresh is
    running in the background and the next call gets its result.
``fallback``
    the server failed on the last try (error answer, timeout, unreachable):
    the last good block, or an empty block (``html == ""``) if there never was
    one.  ``error`` says what went wrong.
"""


class HTML(str):
    """Text that is HTML already: templates take it as it is (``__html__``).

    ``str(block)`` is one, because Django turns a variable into ``str`` before
    escaping it and then leaves alone only what has ``__html__``.
    """

    __slots__ = ()

    def __html__(self) -> str:
        return self


@dataclass(frozen=True)
class Partner:
    """One partner in a block; ``url`` is the counted, signed partner link."""

    name: str
    url: str
    description: str = ""
    category: str = ""
    town: str = ""
    logo: str | None = None
    rel: str = ""
    # "offer" or "event" for the block's joint slot (a joint offer or event, not a
    # member: ``name`` is its title, ``category`` its kind's label); None for a partner.
    kind: str | None = None
    raw: JSON = field(default_factory=lambda: frozen({}), repr=False, compare=False)

    @classmethod
    def from_json(cls, data: JSON) -> Self:
        return cls(
            name=text(data, "name"),
            url=text(data, "url"),
            description=text(data, "description"),
            category=text(data, "category"),
            town=text(data, "town"),
            logo=optional_text(data, "logo"),
            rel=text(data, "rel"),
            kind=optional_text(data, "kind"),
            raw=frozen(data),
        )


@dataclass(frozen=True)
class Block:
    """A theme's partner block for one member's page.

    Render it as it is: ``__html__`` (Jinja2, MarkupSafe, Django) and ``str()``
    (an ``HTML`` string, which has ``__html__`` too) give the server's HTML
    fragment, whose member text the server has already escaped, so templates
    with autoescape on do not escape it again.  The fragment is preceded by
    ``<link rel="stylesheet">`` to the block stylesheet (``stylesheet``, a URL
    naming its content), so the block looks like the script-tag block; for the
    second and later blocks of a page use ``without_stylesheet()`` (the Django
    tag and the Jinja2 global do so by themselves).  ``html`` is the fragment
    alone.  An empty
    fallback renders as an empty string and is false (``{% if block %}``): no
    link to the theme directory either, because that page lives on the same
    server that just failed.
    """

    theme: str
    member: str
    html: str = ""
    source: Source = "network"
    heading: str = ""
    lang: str | None = None
    layout: str | None = None
    partners: tuple[Partner, ...] = ()
    bucket: int | None = None
    expires_at: str | None = None
    etag: str | None = None
    stylesheet: str | None = None
    link_stylesheet: bool = True
    error: Exception | None = field(default=None, compare=False)
    data: JSON = field(default_factory=lambda: frozen({}), repr=False, compare=False)
    raw: JSON = field(default_factory=lambda: frozen({}), repr=False, compare=False)

    @classmethod
    def from_json(cls, data: JSON, *, etag: str | None = None, source: Source = "network") -> Self:
        block = obj(data, "block")
        return cls(
            theme=text(data, "theme"),
            member=text(data, "member"),
            html=text(data, "html"),
            source=source,
            heading=text(block, "heading"),
            lang=optional_text(block, "lang"),
            layout=optional_text(block, "layout"),
            partners=tuple(Partner.from_json(p) for p in objects(block, "partners")),
            bucket=optional_integer(data, "bucket"),
            expires_at=optional_text(data, "expires_at"),
            etag=etag,
            stylesheet=optional_text(data, "stylesheet"),
            data=block,
            raw=frozen(data),
        )

    @classmethod
    def empty(cls, theme: str, member: str, error: Exception | None = None) -> Self:
        """What is served when there is nothing better: renders as ``""``."""
        return cls(theme=theme, member=member, source="fallback", error=error)

    def without_stylesheet(self) -> Self:
        """The same block rendering without the ``<link>`` (a page's later blocks)."""
        return replace(self, link_stylesheet=False)

    def __html__(self) -> str:
        url = self.stylesheet or ""
        if self.html and self.link_stylesheet and url.startswith(("https://", "http://")):
            link = f'<link rel="stylesheet" href="{escape(url, quote=True)}">'
            return link + self.html
        return self.html

    def __str__(self) -> str:
        return HTML(self.__html__())

    def __bool__(self) -> bool:
        return bool(self.html)

    def __repr__(self) -> str:
        return (
            f"Block(theme={self.theme!r}, member={self.member!r}, source={self.source!r},"
            f" partners={len(self.partners)}, html={len(self.html)} chars)"
        )
