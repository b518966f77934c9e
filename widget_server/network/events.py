"""Joint events: checked, then written through storage (docs/events.md).

Coordinators create, edit and cancel events (admin, coordinator keys);
members propose them (portal, member keys).  A proposal waits as an event
with status "proposed" until a coordinator publishes or declines it, naming
the ``sequence`` it saw, so a proposal changed meanwhile is not published
unseen (``ConflictError("stale_event")``), as with profile changes.

Times come in as the network's local time (``WIDGET_TIME_ZONE``;
``2027-02-14T10:00``) or with an offset, and are stored in UTC.  Past
events need no clean-up: every list of upcoming events asks for those whose
end is still ahead.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from widget_server.core.collation import slugify
from widget_server.core.errors import ConflictError, NotFoundError, ValidationError
from widget_server.core.models import Event, EventStatus, Member
from widget_server.network.services import BIDI_CONTROLS, check_text, check_website
from widget_server.storage import Storage

MAX_TITLE = 120
MAX_DESCRIPTION = 2000
MAX_PLACE = 120
MAX_URL = 500
MAX_PARTICIPANTS = 30
LONGEST = timedelta(days=31)  # a fair weekend, a week of markets; longer is a typo
_POSTAL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 -]{1,10}$")
_LOCAL = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2})?$")
FIELDS = (
    "title",
    "description",
    "starts_at",
    "ends_at",
    "place_name",
    "street",
    "postal_code",
    "town",
    "registration_url",
    "participants",
    "theme",
)


@dataclass(frozen=True)
class EventInput:
    """An event as a form or a request body gives it: text, slugs, local times."""

    title: str
    starts_at: str  # local time of the network (or with an offset)
    ends_at: str
    place_name: str
    town: str
    description: str = ""
    street: str = ""
    postal_code: str = ""
    registration_url: str = ""
    participants: Sequence[str] = ()  # member slugs
    theme: str | None = None  # theme slug; None: the whole network

    @classmethod
    def from_event(
        cls, event: Event, zone: str, slugs: Mapping[int, str], theme: str | None
    ) -> EventInput:
        """An event as its edit form shows it (local times, slugs)."""
        return cls(
            title=event.title,
            starts_at=local_text(event.starts_at, zone),
            ends_at=local_text(event.ends_at, zone),
            place_name=event.place_name,
            town=event.town,
            description=event.description,
            street=event.street,
            postal_code=event.postal_code,
            registration_url=event.registration_url or "",
            participants=[slugs[i] for i in event.participants if i in slugs],
            theme=theme,
        )


def local_text(moment: datetime, zone: str) -> str:
    """``2027-02-14T10:00``: a moment as the network's local time (form fields)."""
    return moment.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%dT%H:%M")


def parse_moment(field: str, value: str, zone: str) -> datetime:
    """A local time of ``zone`` (or one with an offset) as an aware UTC datetime.

    A local time the clocks skip (the spring change) does not exist and is
    refused; one they pass twice (autumn) means the first.
    """
    text = value.strip()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValidationError(field, f"{value!r} is not a time (2027-02-14T10:00)") from None
    if moment.tzinfo is None:
        if not _LOCAL.match(text):
            raise ValidationError(field, f"{value!r} is not a time (2027-02-14T10:00)")
        tz = ZoneInfo(zone)
        local = moment.replace(tzinfo=tz)
        if local.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != moment:
            raise ValidationError(field, f"{value!r} does not exist in {zone} (clock change)")
        moment = local
    return moment.astimezone(UTC).replace(microsecond=0)


def check_multiline(field: str, value: str, *, limit: int) -> str:
    """Text with paragraphs: line breaks kept (as ``\\n``), other control characters refused."""
    text = value.replace("\r\n", "\n").replace("\r", "\n").translate(BIDI_CONTROLS)
    lines = [" ".join(line.split()) for line in text.split("\n")]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    if any(unicodedata.category(ch) in ("Cc", "Cs") and ch != "\n" for ch in text):
        raise ValidationError(field, "contains control characters")
    if len(text) > limit:
        raise ValidationError(field, f"is {len(text)} characters long, at most {limit} allowed")
    return text


def check_registration_url(value: str) -> str | None:
    """An absolute http(s) URL, or None when empty."""
    if not value.strip():
        return None
    if len(value.strip()) > MAX_URL:
        raise ValidationError("registration_url", f"is longer than {MAX_URL} characters")
    if any(ch.isspace() for ch in value.strip()):
        raise ValidationError("registration_url", f"{value!r} contains spaces")
    try:
        return check_website(value)
    except ValidationError as exc:
        raise ValidationError("registration_url", exc.reason) from None


def check_fields(data: EventInput, zone: str) -> Event:
    """Every field of ``data`` checked, without the database: a draft (ids left to resolve)."""
    starts = parse_moment("starts_at", data.starts_at, zone)
    ends = parse_moment("ends_at", data.ends_at, zone)
    if ends <= starts:
        raise ValidationError("ends_at", "must be after the start")
    if ends - starts > LONGEST:
        raise ValidationError("ends_at", f"is more than {LONGEST.days} days after the start")
    postal = data.postal_code.strip()
    if postal and not _POSTAL.match(postal):
        raise ValidationError("postal_code", f"{postal!r} is not a postal code")
    if len(data.participants) > MAX_PARTICIPANTS:
        raise ValidationError("participants", f"at most {MAX_PARTICIPANTS} members")
    return Event(
        id=0,
        slug="",
        theme_id=None,
        title=check_text("title", data.title, limit=MAX_TITLE, required=True),
        description=check_multiline("description", data.description, limit=MAX_DESCRIPTION),
        starts_at=starts,
        ends_at=ends,
        place_name=check_text("place_name", data.place_name, limit=MAX_PLACE, required=True),
        street=check_text("street", data.street, limit=MAX_PLACE),
        postal_code=postal,
        town=check_text("town", data.town, limit=80, required=True),
        registration_url=check_registration_url(data.registration_url),
    )


async def _resolve(storage: Storage, data: EventInput, draft: Event) -> Event:
    """The theme and participants named by slug, as ids; each must be there."""
    theme_id = None
    if data.theme:
        try:
            theme_id = (await storage.get_theme(data.theme)).id
        except NotFoundError:
            raise ValidationError("theme", f"no theme {data.theme!r}") from None
    ids: list[int] = []
    for slug in dict.fromkeys(s.strip() for s in data.participants if s.strip()):
        try:
            member = await storage.get_member(slug)
        except NotFoundError:
            raise ValidationError("participants", f"no member {slug!r}") from None
        if member.status == "removed":
            raise ValidationError("participants", f"member {slug!r} was removed")
        if theme_id is not None and not await _in_theme(storage, member, theme_id):
            raise ValidationError("participants", f"member {slug!r} is not in {data.theme!r}")
        ids.append(member.id)
    return replace(draft, theme_id=theme_id, participants=tuple(ids))


async def _in_theme(storage: Storage, member: Member, theme_id: int) -> bool:
    memberships = await storage.list_memberships(member_id=member.id)
    return any(ms.theme_id == theme_id and ms.status != "left" for ms in memberships)


async def check_event(storage: Storage, data: EventInput, zone: str) -> Event:
    return await _resolve(storage, data, check_fields(data, zone))


async def _store_new(storage: Storage, event: Event) -> Event:
    """Create with a slug from the title and the local day, numbered when taken."""
    base = slugify(event.title, limit=40) or "event"
    day = event.starts_at.strftime("%Y-%m-%d")
    for n in range(1, 50):
        slug = f"{base}-{day}" if n == 1 else f"{base}-{day}-{n}"
        try:
            return await storage.create_event(replace(event, slug=slug))
        except ConflictError:
            continue
    raise ConflictError(f"no free slug for {base!r} on {day}")


async def create_event(
    storage: Storage, data: EventInput, zone: str, *, now: datetime, member: Member | None = None
) -> Event:
    """A coordinator's event (published at once), or ``member``'s proposal (waiting).

    A proposing member takes part itself, and may only propose in its own themes.
    """
    event = await check_event(storage, data, zone)
    if event.ends_at <= now:
        raise ValidationError("ends_at", "is in the past")
    if member is None:
        return await _store_new(storage, event)
    if event.theme_id is not None and not await _in_theme(storage, member, event.theme_id):
        raise ValidationError("theme", f"member {member.slug!r} is not in {data.theme!r}")
    participants = tuple(dict.fromkeys((member.id, *event.participants)))
    proposal = replace(event, status="proposed", proposed_by=member.id, participants=participants)
    return await _store_new(storage, proposal)


def _same_content(a: Event, b: Event) -> bool:
    keep = ("id", "slug", "status", "proposed_by", "sequence", "created_at", "updated_at")
    return replace(a, **{k: getattr(b, k) for k in keep}) == b


async def edit_event(
    storage: Storage,
    slug: str,
    data: EventInput,
    zone: str,
    sequence: int,
    *,
    member: Member | None = None,
) -> Event:
    """Change an event as seen at ``sequence``; a member only its own waiting proposal."""
    before = await storage.get_event_by_slug(slug)
    if member is not None:
        _own_proposal(before, member, ("proposed",))
    checked = await check_event(storage, data, zone)
    if member is not None:
        if checked.theme_id is not None and not await _in_theme(storage, member, checked.theme_id):
            raise ValidationError("theme", f"member {member.slug!r} is not in {data.theme!r}")
        own = tuple(dict.fromkeys((member.id, *checked.participants)))
        checked = replace(checked, participants=own)
    keep = {k: getattr(before, k) for k in ("id", "slug", "status", "proposed_by")}
    after = replace(checked, **keep)
    if _same_content(before, after) and before.sequence == sequence:
        return before  # nothing changed: the calendar's revision stays
    return await storage.update_event(after, sequence)


def _own_proposal(event: Event, member: Member, allowed: tuple[EventStatus, ...]) -> None:
    """A member's own proposal in one of the ``allowed`` statuses, or an error."""
    if event.proposed_by != member.id:
        raise NotFoundError(f"no event {event.slug!r} proposed by {member.slug!r}")
    if event.status not in allowed:
        raise ConflictError(f"event {event.slug!r} is {event.status}: no longer a proposal")


# Which status a coordinator may set, by the status the event has now.
TRANSITIONS: dict[EventStatus, tuple[EventStatus, ...]] = {
    "proposed": ("published", "declined"),
    "published": ("cancelled",),
    "cancelled": ("published",),
    "declined": (),
}


# The audit log's action for each change of status (admin, API, CLI alike).
STATUS_ACTIONS: dict[tuple[EventStatus, EventStatus], str] = {
    ("proposed", "published"): "event.publish",
    ("proposed", "declined"): "event.decline",
    ("published", "cancelled"): "event.cancel",
    ("cancelled", "published"): "event.restore",
}


def edit_detail(before: Event, after: Event) -> str:
    """An edit as the audit log names it: the title, or the old and the new one."""
    return f"{before.title} → {after.title}" if after.title != before.title else after.title


async def set_status(storage: Storage, slug: str, status: EventStatus, sequence: int) -> Event:
    """Publish, decline, cancel or restore an event as the coordinator saw it (``sequence``)."""
    event = await storage.get_event_by_slug(slug)
    if status not in TRANSITIONS[event.status]:
        raise ConflictError(f"event {slug!r} is {event.status} and cannot become {status}")
    if event.sequence != sequence:
        raise ConflictError("stale_event")
    return await storage.set_event_status(event.id, status, sequence)


async def withdraw(storage: Storage, slug: str, member: Member) -> Event:
    """A member takes back its own proposal (waiting or declined): it is deleted."""
    event = await storage.get_event_by_slug(slug)
    _own_proposal(event, member, ("proposed", "declined"))
    await storage.delete_event(event.id)
    return event


async def delete_event(storage: Storage, slug: str) -> Event:
    """A coordinator deletes an event; a published one must be cancelled first, so
    subscribed calendars learn of it."""
    event = await storage.get_event_by_slug(slug)
    if event.status == "published":
        raise ConflictError(f"event {slug!r} is published: cancel it instead")
    await storage.delete_event(event.id)
    return event
