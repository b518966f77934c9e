"""What the theme page (/t/{slug}) shows, as plain values: pure functions, no I/O.

The page is the cluster's joint presence: the coordinators' introduction, the
members grouped by category, the current joint offers and the upcoming joint
events.  The handler (web/endpoints/theme_page.py) renders it once per
snapshot version, language and origin and keeps it in the snapshot's render
cache (``RenderedPage``), so a visit costs neither a query nor a render.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from urllib.parse import urlsplit

from widget_server.core.collation import sort_key
from widget_server.core.models import Member
from widget_server.network.categories import category_label
from widget_server.network.prose import paragraphs
from widget_server.serving.blocks import logo_path

# A rendered page is served again for at most this long, even when nothing says it
# changed: the safety net for writes that do not bump the data version.
MAX_KEEP = 60.0  # seconds


def web_link(url: str) -> str:
    """``url`` if it is an http(s) address with a host, else "": nothing else becomes a link."""
    text = (url or "").strip()
    try:
        parts = urlsplit(text)
    except ValueError:
        return ""
    return text if parts.scheme.lower() in ("http", "https") and parts.hostname else ""


def host_of(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").removeprefix("www.")
    except ValueError:
        return ""


@dataclass(frozen=True)
class Listed:
    """A member as the page lists it (member-provided text: escaped where shown)."""

    name: str
    website: str  # an http(s) URL or "" (then no link)
    host: str
    description: str
    town: str
    postal_code: str
    logo: str | None


@dataclass(frozen=True)
class Category:
    slug: str
    label: str  # "" for members without a category (listed last)
    members: tuple[Listed, ...]


def listed(member: Member) -> Listed:
    website = web_link(member.website)
    return Listed(
        name=member.name,
        website=website,
        host=host_of(website),
        description=member.description,
        town=member.town,
        postal_code=member.postal_code,
        logo=logo_path(member),
    )


def by_category(members: Iterable[Member], lang: str) -> list[Category]:
    """The members in groups by category, groups and members in German order;
    members without a category come last."""
    groups: dict[str, list[Member]] = {}
    for member in members:
        groups.setdefault(member.category, []).append(member)
    labels = {slug: category_label(slug, lang) for slug in groups}
    order = sorted(groups, key=lambda slug: (slug == "", sort_key(labels[slug])))
    return [
        Category(
            slug,
            labels[slug],
            tuple(listed(m) for m in sorted(groups[slug], key=lambda m: sort_key(m.name))),
        )
        for slug in order
    ]


# Partners per page: a theme of a town or a region lists thousands (10,000 made a
# page of 10 MB and held the server for half a second); each page lists this many,
# groups continued from page to page, and links the pages before and after.
MEMBERS_PER_PAGE = 100


def page_count(listed_members: int, size: int) -> int:
    """How many pages list ``listed_members`` partners ``size`` a page (one, if none)."""
    return max(1, -(-listed_members // size))


def page_of(categories: Sequence[Category], page: int, size: int) -> list[Category]:
    """The groups of page ``page`` (1-based): the partners at places ``(page - 1) * size``
    up to ``page * size`` of all groups in order, each in its own group."""
    first, last = (page - 1) * size, page * size
    out: list[Category] = []
    seen = 0
    for category in categories:
        count = len(category.members)
        begin, end = max(first - seen, 0), min(last - seen, count)
        if begin < end:
            out.append(Category(category.slug, category.label, category.members[begin:end]))
        seen += count
        if seen >= last:
            break
    return out


@dataclass(frozen=True)
class Participant:
    name: str
    website: str  # http(s) or ""


@dataclass(frozen=True)
class PageOffer:
    """A joint offer as the page shows it (and its JSON-LD ``Offer``)."""

    title: str
    text: str
    price: str  # price or discount in words
    url: str  # its own page, /o/{slug}
    valid_from: date | None
    valid_until: date | None
    participants: tuple[Participant, ...]


@dataclass(frozen=True)
class Place:
    name: str
    street: str = ""
    postal_code: str = ""
    town: str = ""


@dataclass(frozen=True)
class PageEvent:
    """A joint event as the page shows it (and its JSON-LD ``Event``); times are aware."""

    title: str
    description: str
    start: datetime
    end: datetime | None
    place: Place | None
    registration: str  # http(s) or ""
    participants: tuple[Participant, ...]
    status: str = "scheduled"  # scheduled | cancelled | postponed
    slug: str = ""  # its anchor on the page (#event-SLUG), where a block's event slot leads


@dataclass(frozen=True)
class RenderedPage:
    """The page's bytes as served, with what says when to render it again."""

    body: bytes
    version: int  # the snapshot's data version it was made from
    expires: float  # unix seconds: the next moment an offer or event starts or ends
    etag: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "etag", '"' + hashlib.sha256(self.body).hexdigest()[:32] + '"')

    def fresh(self, version: int, now: float) -> bool:
        return self.version == version and now < self.expires


def intro_paragraphs(text: str) -> list[list[str]]:
    return paragraphs(text)


def next_change(now: float, moments: Sequence[float]) -> float:
    """When a page made at ``now`` must be made again: the first of ``moments`` after
    ``now`` (an offer or event starting or ending, a new day), at most ``MAX_KEEP`` on."""
    later = [m for m in moments if m > now]
    return min([now + MAX_KEEP, *later])
