"""The API's resources as frozen dataclasses.

Each model reads the fields it knows (``from_json``) and keeps the whole object
as ``raw``, so fields added by a newer server are at hand before the SDK knows
them.  ``raw`` takes no part in comparisons or ``repr``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Self

from ._fields import (
    JSON,
    flag,
    frozen,
    integer,
    obj,
    objects,
    optional_integer,
    optional_text,
    text,
    texts,
)


def _raw() -> Any:
    return field(default_factory=lambda: frozen({}), repr=False, compare=False)


@dataclass(frozen=True)
class Theme:
    """A theme cluster: the members who show each other."""

    slug: str
    name_de: str
    name_en: str = ""
    description_de: str = ""
    description_en: str = ""
    kind: str = "topic"  # "topic" or "local"
    members: int = 0
    # The theme page's introduction: plain text, a blank line between paragraphs.
    intro_de: str = ""
    intro_en: str = ""
    raw: JSON = _raw()

    @classmethod
    def from_json(cls, data: JSON) -> Self:
        return cls(
            slug=text(data, "slug"),
            name_de=text(data, "name_de"),
            name_en=text(data, "name_en"),
            description_de=text(data, "description_de"),
            description_en=text(data, "description_en"),
            kind=text(data, "kind", "topic"),
            members=integer(data, "members"),
            intro_de=text(data, "intro_de"),
            intro_en=text(data, "intro_en"),
            raw=frozen(data),
        )


@dataclass(frozen=True)
class Membership:
    """A member's standing in one theme: ``active``, ``paused`` or ``left``."""

    theme: str
    status: str
    raw: JSON = _raw()

    @classmethod
    def from_json(cls, data: JSON) -> Self:
        return cls(theme=text(data, "theme"), status=text(data, "status"), raw=frozen(data))


@dataclass(frozen=True)
class Member:
    """A business in the network.  ``status``: pending, active, paused or removed."""

    slug: str
    name: str
    website: str
    domains: tuple[str, ...] = ()
    description: str = ""
    category: str = ""
    category_label: str = ""
    town: str = ""
    postal_code: str = ""
    status: str = "pending"
    logo_url: str | None = None
    themes: tuple[Membership, ...] = ()
    raw: JSON = _raw()

    @classmethod
    def from_json(cls, data: JSON) -> Self:
        return cls(
            slug=text(data, "slug"),
            name=text(data, "name"),
            website=text(data, "website"),
            domains=texts(data, "domains"),
            description=text(data, "description"),
            category=text(data, "category"),
            category_label=text(data, "category_label"),
            town=text(data, "town"),
            postal_code=text(data, "postal_code"),
            status=text(data, "status", "pending"),
            logo_url=optional_text(data, "logo_url"),
            themes=tuple(Membership.from_json(m) for m in objects(data, "themes")),
            raw=frozen(data),
        )


@dataclass(frozen=True)
class Placement:
    """Where a member shows a theme's block, with its paste-ready embed code."""

    id: int
    member: str
    theme: str
    token: str
    snippet_html: str
    snippet_iframe: str = ""
    layout: str | None = None
    lang: str | None = None
    scheme: str | None = None
    max_partners: int = 0
    show: str | None = None  # what its blocks show besides partners; None: the embed decides
    raw: JSON = _raw()

    @classmethod
    def from_json(cls, data: JSON) -> Self:
        return cls(
            id=integer(data, "id"),
            member=text(data, "member"),
            theme=text(data, "theme"),
            token=text(data, "token"),
            snippet_html=text(data, "snippet_html"),
            snippet_iframe=text(data, "snippet_iframe"),
            layout=optional_text(data, "layout"),
            lang=optional_text(data, "lang"),
            scheme=optional_text(data, "scheme"),
            max_partners=integer(data, "max_partners"),
            show=optional_text(data, "show"),
            raw=frozen(data),
        )


@dataclass(frozen=True)
class ApiKey:
    """An API key.  ``key`` (the secret) is set only in the answer that created it."""

    key_id: str
    scope: str
    name: str = ""
    created_at: str | None = None
    revoked_at: str | None = None
    key: str | None = field(default=None, repr=False)
    raw: JSON = _raw()

    @classmethod
    def from_json(cls, data: JSON) -> Self:
        return cls(
            key_id=text(data, "key_id"),
            scope=text(data, "scope"),
            name=text(data, "name"),
            created_at=optional_text(data, "created_at"),
            revoked_at=optional_text(data, "revoked_at"),
            key=optional_text(data, "key"),
            raw=frozen(data),
        )


@dataclass(frozen=True)
class Rules:
    """A theme's rotation rules (docs/rotation.md) at one version.

    ``etag`` goes back as ``if_match`` to ``rules.update`` so a write based on an
    old version is refused (``PreconditionFailedError``) instead of overwriting
    someone else's change.  ``previous_version`` and ``diff`` are set on the
    answer to an update.
    """

    theme: str
    version: int
    rules: JSON
    etag: str | None = None
    author: str | None = None
    created_at: str | None = None
    previous_version: int | None = None
    diff: str | None = None
    raw: JSON = _raw()

    @classmethod
    def from_json(cls, data: JSON, etag: str | None = None) -> Self:
        return cls(
            theme=text(data, "theme"),
            version=integer(data, "version"),
            rules=obj(data, "rules"),
            etag=etag,
            author=optional_text(data, "author"),
            created_at=optional_text(data, "created_at"),
            previous_version=optional_integer(data, "previous_version"),
            diff=optional_text(data, "diff"),
            raw=frozen(data),
        )


@dataclass(frozen=True)
class Explanation:
    """Why a block showed what it showed: a replay of one selection."""

    member: str
    theme: str
    at: str
    rules_version: int = 0
    strategy: str = ""
    granularity: str = ""
    bucket: int | None = None
    shown: tuple[JSON, ...] = ()  # {"position", "member", "pinned"}
    fallback: str | None = None  # what an empty block does: "directory" or "hide"
    candidates: tuple[JSON, ...] = ()  # {"member", "eligible", "checks", "weight", ...}
    raw: JSON = _raw()

    @classmethod
    def from_json(cls, data: JSON) -> Self:
        return cls(
            member=text(data, "member"),
            theme=text(data, "theme"),
            at=text(data, "at"),
            rules_version=integer(data, "rules_version"),
            strategy=text(data, "strategy"),
            granularity=text(data, "granularity"),
            bucket=optional_integer(data, "bucket"),
            shown=objects(data, "shown"),
            fallback=optional_text(data, "fallback"),
            candidates=objects(data, "candidates"),
            raw=frozen(data),
        )


@dataclass(frozen=True)
class OfferParticipant:
    """A member taking part in a joint offer, and whether it has confirmed."""

    member: str
    confirmed: bool = False

    @classmethod
    def from_json(cls, data: JSON) -> Self:
        return cls(member=text(data, "member"), confirmed=flag(data, "confirmed"))


@dataclass(frozen=True)
class Offer:
    """A joint offer of several members of one theme (the wedding package).

    ``status`` is what is stored (proposed, active, declined, removed); ``state``
    what the offer is today (waiting, approval, scheduled, live, ended, declined,
    removed).  Only a ``live`` offer has a public page (``page_url``).
    """

    slug: str
    theme: str
    title: str
    price_text: str
    valid_from: str  # YYYY-MM-DD
    valid_until: str  # YYYY-MM-DD, the last day
    status: str
    state: str
    id: int = 0
    proposer: str = ""
    text: str = ""
    needs_approval: bool = False
    approved_at: str | None = None
    participants: tuple[OfferParticipant, ...] = ()
    image_url: str | None = None
    page_url: str | None = None
    created_at: str = ""
    revision: int = 0  # counts the changes; an update names the revision it was read at
    updated_at: str = ""
    raw: JSON = _raw()

    @property
    def live(self) -> bool:
        return self.state == "live"

    @classmethod
    def from_json(cls, data: JSON) -> Self:
        return cls(
            slug=text(data, "slug"),
            theme=text(data, "theme"),
            title=text(data, "title"),
            price_text=text(data, "price_text"),
            valid_from=text(data, "valid_from"),
            valid_until=text(data, "valid_until"),
            status=text(data, "status"),
            state=text(data, "state"),
            id=integer(data, "id"),
            proposer=text(data, "proposer"),
            text=text(data, "text"),
            needs_approval=flag(data, "needs_approval"),
            approved_at=optional_text(data, "approved_at"),
            participants=tuple(
                OfferParticipant.from_json(p) for p in objects(data, "participants")
            ),
            image_url=optional_text(data, "image_url"),
            page_url=optional_text(data, "page_url"),
            created_at=text(data, "created_at"),
            revision=integer(data, "revision"),
            updated_at=text(data, "updated_at"),
            raw=frozen(data),
        )
