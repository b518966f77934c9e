"""Joint events: the model, their endpoints, and ``client.events`` (sync and async).

A coordinator key's event is published at once; a member key's is a
proposal of its member that a coordinator publishes.  Every change names
the ``sequence`` it is made on (``event.sequence`` as read): a change made
on an old copy raises ``ConflictError`` instead of overwriting another's.

Times: an aware ``datetime`` is sent with its offset; a naive one (or a
text such as ``"2027-03-14T10:00"``) is the network's local time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol, Self, TypeVar

from ._endpoints import Endpoint, given, listing, one, path
from ._fields import JSON, frozen, integer, optional_text, text, texts
from ._models import _raw
from ._pagination import AsyncListing, Listing, Page

T = TypeVar("T")
When = datetime | str


def _moment(data: JSON, key: str) -> datetime:
    value = text(data, key)
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return datetime(1970, 1, 1, tzinfo=UTC)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Event:
    """A joint event.  ``status``: proposed, published, cancelled or declined.

    ``starts_at`` and ``ends_at`` are aware UTC datetimes; ``theme`` is None for
    an event of the whole network; ``participants`` are member slugs.
    """

    slug: str
    title: str
    starts_at: datetime
    ends_at: datetime
    theme: str | None = None
    description: str = ""
    place_name: str = ""
    street: str = ""
    postal_code: str = ""
    town: str = ""
    registration_url: str | None = None
    status: str = "published"
    participants: tuple[str, ...] = ()
    proposed_by: str | None = None
    sequence: int = 0
    raw: JSON = _raw()

    @classmethod
    def from_json(cls, data: JSON) -> Self:
        return cls(
            slug=text(data, "slug"),
            title=text(data, "title"),
            starts_at=_moment(data, "starts_at"),
            ends_at=_moment(data, "ends_at"),
            theme=optional_text(data, "theme"),
            description=text(data, "description"),
            place_name=text(data, "place_name"),
            street=text(data, "street"),
            postal_code=text(data, "postal_code"),
            town=text(data, "town"),
            registration_url=optional_text(data, "registration_url"),
            status=text(data, "status", "published"),
            participants=texts(data, "participants"),
            proposed_by=optional_text(data, "proposed_by"),
            sequence=integer(data, "sequence"),
            raw=frozen(data),
        )


# -- endpoints --------------------------------------------------------------------------------


def _when(value: When | None) -> str | None:
    if isinstance(value, datetime):
        return (
            value.isoformat(timespec="minutes")
            if value.tzinfo
            else value.strftime("%Y-%m-%dT%H:%M")
        )
    return value


def _body(fields: Mapping[str, Any]) -> dict[str, Any]:
    body = given(**fields)
    for name in ("starts_at", "ends_at"):
        if name in body:
            body[name] = _when(body[name])
    if "participants" in body:
        body["participants"] = list(body["participants"])
    return body


def list_events(
    cursor: str | None, limit: int | None, theme: str | None, status: str | None, past: bool | None
) -> Endpoint[Page[Event]]:
    flag = None if past is None else ("true" if past else "false")
    return listing(Event, ["events"], cursor, limit, theme=theme, status=status, past=flag)


def get_event(slug: str) -> Endpoint[Event]:
    return Endpoint("GET", path("events", slug), one(Event))


def create_event(fields: Mapping[str, Any], key: str | None = None) -> Endpoint[Event]:
    return Endpoint("POST", "events", one(Event), body=_body(fields), idempotency_key=key)


def update_event(slug: str, sequence: int, fields: Mapping[str, Any]) -> Endpoint[Event]:
    body = {**_body(fields), "sequence": sequence}
    return Endpoint("PATCH", path("events", slug), one(Event), body=body)


def set_event_status(slug: str, status: str, sequence: int) -> Endpoint[Event]:
    body = {"status": status, "sequence": sequence}
    return Endpoint("PUT", path("events", slug, "status"), one(Event), body=body)


def delete_event(slug: str) -> Endpoint[Event]:
    return Endpoint("DELETE", path("events", slug), one(Event))


# -- client.events ----------------------------------------------------------------------------


class _Requester(Protocol):
    def request(self, endpoint: Endpoint[T]) -> T: ...


class _AsyncRequester(Protocol):
    async def request(self, endpoint: Endpoint[T]) -> T: ...


def _fields(
    title: str | None,
    starts_at: When | None,
    ends_at: When | None,
    place_name: str | None,
    town: str | None,
    description: str | None,
    street: str | None,
    postal_code: str | None,
    registration_url: str | None,
    participants: Sequence[str] | None,
    theme: str | None,
) -> dict[str, Any]:
    return dict(
        title=title,
        starts_at=starts_at,
        ends_at=ends_at,
        place_name=place_name,
        town=town,
        description=description,
        street=street,
        postal_code=postal_code,
        registration_url=registration_url,
        participants=participants,
        theme=theme,
    )


class Events:
    """``client.events``: list, read, create or propose, change, set the status, delete."""

    def __init__(self, client: _Requester) -> None:
        self._client = client

    def list(
        self,
        *,
        theme: str | None = None,
        status: str | None = None,
        past: bool | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> Listing[Event]:
        """Events by start, not yet over unless ``past=True``."""
        return Listing(
            lambda c: self._client.request(list_events(c, limit, theme, status, past)), cursor
        )

    def get(self, slug: str) -> Event:
        return self._client.request(get_event(slug))

    def create(
        self,
        *,
        title: str,
        starts_at: When,
        ends_at: When,
        place_name: str,
        town: str,
        description: str | None = None,
        street: str | None = None,
        postal_code: str | None = None,
        registration_url: str | None = None,
        participants: Sequence[str] | None = None,
        theme: str | None = None,
        idempotency_key: str | None = None,
    ) -> Event:
        """Publish an event (coordinator key) or propose one (member key)."""
        fields = _fields(
            title,
            starts_at,
            ends_at,
            place_name,
            town,
            description,
            street,
            postal_code,
            registration_url,
            participants,
            theme,
        )
        return self._client.request(create_event(fields, idempotency_key))

    def update(
        self,
        slug: str,
        *,
        sequence: int,
        title: str | None = None,
        starts_at: When | None = None,
        ends_at: When | None = None,
        place_name: str | None = None,
        town: str | None = None,
        description: str | None = None,
        street: str | None = None,
        postal_code: str | None = None,
        registration_url: str | None = None,
        participants: Sequence[str] | None = None,
        theme: str | None = None,
    ) -> Event:
        """Change the given fields of the event as read at ``sequence``; the others stay."""
        fields = _fields(
            title,
            starts_at,
            ends_at,
            place_name,
            town,
            description,
            street,
            postal_code,
            registration_url,
            participants,
            theme,
        )
        return self._client.request(update_event(slug, sequence, fields))

    def set_status(self, slug: str, *, status: str, sequence: int) -> Event:
        """Publish or decline a proposal, cancel or restore an event (coordinator)."""
        return self._client.request(set_event_status(slug, status, sequence))

    def delete(self, slug: str) -> Event:
        """Delete an event that is not published (coordinator), or withdraw a proposal."""
        return self._client.request(delete_event(slug))


class AsyncEvents:
    """``Events`` for ``AsyncClient``, name for name."""

    def __init__(self, client: _AsyncRequester) -> None:
        self._client = client

    def list(
        self,
        *,
        theme: str | None = None,
        status: str | None = None,
        past: bool | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> AsyncListing[Event]:
        return AsyncListing(
            lambda c: self._client.request(list_events(c, limit, theme, status, past)), cursor
        )

    async def get(self, slug: str) -> Event:
        return await self._client.request(get_event(slug))

    async def create(
        self,
        *,
        title: str,
        starts_at: When,
        ends_at: When,
        place_name: str,
        town: str,
        description: str | None = None,
        street: str | None = None,
        postal_code: str | None = None,
        registration_url: str | None = None,
        participants: Sequence[str] | None = None,
        theme: str | None = None,
        idempotency_key: str | None = None,
    ) -> Event:
        fields = _fields(
            title,
            starts_at,
            ends_at,
            place_name,
            town,
            description,
            street,
            postal_code,
            registration_url,
            participants,
            theme,
        )
        return await self._client.request(create_event(fields, idempotency_key))

    async def update(
        self,
        slug: str,
        *,
        sequence: int,
        title: str | None = None,
        starts_at: When | None = None,
        ends_at: When | None = None,
        place_name: str | None = None,
        town: str | None = None,
        description: str | None = None,
        street: str | None = None,
        postal_code: str | None = None,
        registration_url: str | None = None,
        participants: Sequence[str] | None = None,
        theme: str | None = None,
    ) -> Event:
        fields = _fields(
            title,
            starts_at,
            ends_at,
            place_name,
            town,
            description,
            street,
            postal_code,
            registration_url,
            participants,
            theme,
        )
        return await self._client.request(update_event(slug, sequence, fields))

    async def set_status(self, slug: str, *, status: str, sequence: int) -> Event:
        return await self._client.request(set_event_status(slug, status, sequence))

    async def delete(self, slug: str) -> Event:
        return await self._client.request(delete_event(slug))
