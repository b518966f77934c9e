"""The management API for ``AsyncClient``: ``_resources`` with ``await``, name for name."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol, TypeVar

from . import _endpoints as api
from ._bulk import DEFAULT_CHUNK, BulkResult, Collector, chunks
from ._endpoints import Day, Endpoint, HasETag
from ._exceptions import ValidationError
from ._models import ApiKey, Explanation, Member, Membership, Offer, Placement, Rules, Theme
from ._pagination import AsyncListing
from ._reports import MemberStats, ThemeStats

T = TypeVar("T")


class AsyncRequester(Protocol):
    async def request(self, endpoint: Endpoint[T]) -> T: ...


class AsyncResource:
    def __init__(self, client: AsyncRequester) -> None:
        self._client = client


class AsyncThemes(AsyncResource):
    def list(self, *, limit: int | None = None, cursor: str | None = None) -> AsyncListing[Theme]:
        """Every theme (any key), ordered by slug."""
        return AsyncListing(lambda c: self._client.request(api.list_themes(c, limit)), cursor)

    async def get(self, slug: str) -> Theme:
        return await self._client.request(api.get_theme(slug))

    async def create(
        self,
        slug: str,
        *,
        name_de: str,
        name_en: str | None = None,
        description_de: str | None = None,
        description_en: str | None = None,
        kind: str | None = None,
        intro_de: str | None = None,
        intro_en: str | None = None,
        idempotency_key: str | None = None,
    ) -> Theme:
        """A new theme cluster (coordinator); ``kind`` is ``topic`` (default) or ``local``.

        ``intro_de``/``intro_en`` introduce the theme's public page: plain text (never
        HTML), a blank line between paragraphs."""
        fields = dict(slug=slug, name_de=name_de, name_en=name_en, kind=kind)
        fields.update(description_de=description_de, description_en=description_en)
        fields.update(intro_de=intro_de, intro_en=intro_en)
        return await self._client.request(api.create_theme(fields, idempotency_key))

    async def update(
        self,
        slug: str,
        *,
        name_de: str | None = None,
        name_en: str | None = None,
        description_de: str | None = None,
        description_en: str | None = None,
        kind: str | None = None,
        intro_de: str | None = None,
        intro_en: str | None = None,
    ) -> Theme:
        """Change the given fields (coordinator); the others stay."""
        fields = dict(name_de=name_de, name_en=name_en, kind=kind)
        fields.update(description_de=description_de, description_en=description_en)
        fields.update(intro_de=intro_de, intro_en=intro_en)
        return await self._client.request(api.update_theme(slug, fields))


class AsyncMembers(AsyncResource):
    def list(
        self,
        *,
        status: str | None = None,
        theme: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> AsyncListing[Member]:
        """Members by slug (coordinator; a member key lists only itself)."""
        return AsyncListing(
            lambda c: self._client.request(api.list_members(c, limit, status, theme)), cursor
        )

    async def get(self, slug: str) -> Member:
        return await self._client.request(api.get_member(slug))

    async def create(
        self,
        slug: str,
        *,
        name: str,
        website: str,
        description: str | None = None,
        category: str | None = None,
        town: str | None = None,
        postal_code: str | None = None,
        domains: Sequence[str] | None = None,
        themes: Sequence[str] | None = None,
        idempotency_key: str | None = None,
    ) -> Member:
        """Register a business (coordinator): ``pending`` or ``active`` as the server says."""
        fields: dict[str, Any] = dict(slug=slug, name=name, website=website, themes=themes)
        fields.update(description=description, category=category, town=town)
        fields.update(postal_code=postal_code, domains=domains)
        return await self._client.request(api.create_member(fields, idempotency_key))

    async def bulk_create(
        self,
        members: Iterable[Mapping[str, Any]],
        *,
        skip_invalid: bool = False,
        chunk_size: int = DEFAULT_CHUNK,
        idempotency_key: str | None = None,
    ) -> BulkResult:
        """Register many businesses (coordinator), ``chunk_size`` rows per request.

        Each member is a mapping of ``create``'s fields (slug, name, website,
        description, category, town, postal_code, domains, themes).  Each chunk is
        one transaction on the server.  Without ``skip_invalid`` a chunk with a bad
        row writes nothing and raises ``BulkCreateError`` (its ``errors``, and in
        ``result`` what earlier chunks created); with it, the good rows are created
        and the bad ones returned in ``errors``.  ``idempotency_key`` makes a key
        per chunk (KEY-0, KEY-1, ...), so running the same list again replays
        instead of creating twice.
        """
        collector = Collector()
        for number, (offset, rows) in enumerate(chunks(members, chunk_size)):
            key = f"{idempotency_key}-{number}" if idempotency_key else None
            try:
                answer = await self._client.request(
                    api.bulk_create_members(rows, skip_invalid, key)
                )
            except ValidationError as exc:
                refused = collector.failed(exc, offset)
                if refused is exc:
                    raise
                raise refused from exc
            collector.add(answer, offset)
        return collector.result()

    async def update(
        self,
        slug: str,
        *,
        name: str | None = None,
        website: str | None = None,
        description: str | None = None,
        category: str | None = None,
        town: str | None = None,
        postal_code: str | None = None,
        domains: Sequence[str] | None = None,
    ) -> Member:
        """Change the given profile fields (coordinator or the member itself)."""
        fields: dict[str, Any] = dict(name=name, website=website, description=description)
        fields.update(category=category, town=town, postal_code=postal_code, domains=domains)
        return await self._client.request(api.update_member(slug, fields))

    async def pause(self, slug: str) -> Member:
        """Stop showing the member's blocks and the member in others' (itself or coordinator)."""
        return await self._client.request(api.member_action(slug, "pause"))

    async def activate(self, slug: str) -> Member:
        """Approve a pending member or resume a paused one (coordinator)."""
        return await self._client.request(api.member_action(slug, "activate"))

    async def remove(self, slug: str) -> Member:
        """Remove a member (coordinator): its blocks stop, its figures stay."""
        return await self._client.request(api.member_action(slug, "remove"))

    async def memberships(self, slug: str) -> tuple[Membership, ...]:
        return (await self._client.request(api.list_memberships(slug))).data

    async def set_membership(self, slug: str, theme: str, *, status: str) -> Membership:
        """Join (``active``), pause or leave a theme; a member key may only pause or leave."""
        return await self._client.request(api.set_membership(slug, theme, status))


class AsyncPlacements(AsyncResource):
    def list(
        self, member: str, *, limit: int | None = None, cursor: str | None = None
    ) -> AsyncListing[Placement]:
        return AsyncListing(
            lambda c: self._client.request(api.list_placements(member, c, limit)), cursor
        )

    async def create(
        self,
        member: str,
        *,
        theme: str,
        layout: str | None = None,
        lang: str | None = None,
        scheme: str | None = None,
        max_partners: int | None = None,
        show: str | None = None,
        idempotency_key: str | None = None,
    ) -> Placement:
        """A placement with its paste-ready code; the existing one for equal options."""
        fields: dict[str, Any] = dict(theme=theme, layout=layout, lang=lang, scheme=scheme)
        fields.update(max_partners=max_partners, show=show)
        return await self._client.request(api.create_placement(member, fields, idempotency_key))


class AsyncRuleSets(AsyncResource):
    async def get(self, theme: str) -> Rules:
        """The rules in force (coordinator), with the ``etag`` to update them."""
        return await self._client.request(api.get_rules(theme))

    async def update(
        self, theme: str, *, rules: Mapping[str, Any], if_match: str | HasETag | None = None
    ) -> Rules:
        """Replace the rules; with ``if_match`` (an ETag or the ``Rules`` read) only if unchanged.

        A stale ``if_match`` raises ``PreconditionFailedError``; invalid rules
        raise ``ValidationError`` naming the field.  A retry after a lost answer
        can meet its own write and answer 412: read the rules again to see.
        """
        return await self._client.request(api.update_rules(theme, rules, if_match))

    async def explain(
        self, theme: str, *, member: str, at: str | datetime | None = None
    ) -> Explanation:
        """Replay a selection: why ``member``'s block showed what it showed at ``at``."""
        moment = at.isoformat() if isinstance(at, datetime) else at
        return await self._client.request(api.explain(theme, member, moment))


class AsyncStats(AsyncResource):
    async def member(
        self, slug: str, *, theme: str | None = None, since: Day = None, until: Day = None
    ) -> MemberStats:
        """Given and received per theme and day (coordinator or the member itself)."""
        return await self._client.request(api.member_stats(slug, theme, since, until))

    async def member_csv(
        self, slug: str, *, theme: str | None = None, since: Day = None, until: Day = None
    ) -> str:
        return await self._client.request(api.as_csv(api.member_stats(slug, theme, since, until)))

    async def theme(self, slug: str, *, since: Day = None, until: Day = None) -> ThemeStats:
        """A theme's totals and every member's balance (coordinator)."""
        return await self._client.request(api.theme_stats(slug, since, until))

    async def theme_csv(self, slug: str, *, since: Day = None, until: Day = None) -> str:
        return await self._client.request(api.as_csv(api.theme_stats(slug, since, until)))


class AsyncKeys(AsyncResource):
    def list(self, *, limit: int | None = None, cursor: str | None = None) -> AsyncListing[ApiKey]:
        return AsyncListing(lambda c: self._client.request(api.list_keys(c, limit)), cursor)

    async def create(
        self, *, scope: str, name: str | None = None, idempotency_key: str | None = None
    ) -> ApiKey:
        """A new key, ``coordinator`` or ``member:SLUG``; ``key`` holds it, shown this once."""
        return await self._client.request(api.create_key(scope, name, idempotency_key))

    async def revoke(self, key_id: str) -> ApiKey:
        return await self._client.request(api.revoke_key(key_id))


class AsyncOffers(AsyncResource):
    """Joint offers (docs/api.md "Joint offers"); a member key sees its member's only."""

    def list(
        self,
        *,
        theme: str | None = None,
        status: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> AsyncListing[Offer]:
        return AsyncListing(
            lambda c: self._client.request(api.list_offers(c, limit, theme, status)), cursor
        )

    async def get(self, slug: str) -> Offer:
        return await self._client.request(api.get_offer(slug))

    async def create(
        self,
        *,
        theme: str,
        title: str,
        price_text: str,
        valid_from: Day,
        valid_until: Day,
        participants: Sequence[str],
        text: str | None = None,
        proposer: str | None = None,
        idempotency_key: str | None = None,
    ) -> Offer:
        """Propose an offer with the other members taking part (their slugs)."""
        fields: dict[str, Any] = dict(theme=theme, title=title, price_text=price_text, text=text)
        fields.update(valid_from=valid_from, valid_until=valid_until, proposer=proposer)
        fields.update(participants=participants)
        return await self._client.request(api.create_offer(fields, idempotency_key))

    async def confirm(
        self, slug: str, *, member: str | None = None, revision: int | None = None
    ) -> Offer:
        """The member confirms that it takes part: a member key for its own member,
        a coordinator key naming ``member``.  ``revision``: the version read (a
        ``ConflictError`` if the offer was changed since)."""
        return await self._client.request(api.confirm_offer(slug, True, member, revision))

    async def withdraw(
        self, slug: str, *, member: str | None = None, revision: int | None = None
    ) -> Offer:
        """The member withdraws its confirmation: the offer waits again."""
        return await self._client.request(api.confirm_offer(slug, False, member, revision))

    async def update(
        self,
        slug: str,
        *,
        revision: int,
        title: str | None = None,
        price_text: str | None = None,
        text: str | None = None,
        valid_from: Day = None,
        valid_until: Day = None,
        participants: Sequence[str] | None = None,
    ) -> Offer:
        """Change the given fields of the offer as read at ``revision``; the others stay.

        The proposer's member key or a coordinator key.  A new text, price, days
        or participants asks the others to confirm again; a ``ConflictError`` if
        the offer was changed since ``revision``.
        """
        fields: dict[str, Any] = dict(title=title, price_text=price_text, text=text)
        fields.update(valid_from=valid_from, valid_until=valid_until, participants=participants)
        return await self._client.request(api.update_offer(slug, revision, fields))

    async def set_image(
        self,
        slug: str,
        *,
        data: bytes,
        content_type: str = "application/octet-stream",
        revision: int | None = None,
    ) -> Offer:
        """Upload the offer's image (PNG, JPEG, WebP or GIF, at most 512 KiB); the server
        recognises it by its bytes, re-encodes it and serves it at ``image_url``."""
        endpoint = api.put_offer_image(slug, data, content_type, revision)
        return await self._client.request(endpoint)

    async def remove_image(self, slug: str, *, revision: int | None = None) -> Offer:
        return await self._client.request(api.delete_offer_image(slug, revision))

    async def end(self, slug: str) -> Offer:
        """End the offer early, for good: the proposer's member key (or a coordinator's)."""
        return await self._client.request(api.decide_offer(slug, "remove"))

    async def approve(self, slug: str) -> Offer:
        return await self._client.request(api.decide_offer(slug, "approve"))

    async def decline(self, slug: str) -> Offer:
        return await self._client.request(api.decide_offer(slug, "decline"))

    async def remove(self, slug: str) -> Offer:
        return await self._client.request(api.decide_offer(slug, "remove"))
