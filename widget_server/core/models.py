"""The network's data model as frozen dataclasses.

Storage returns these; nothing outside ``storage/`` sees a database row.
``MemberRecord`` is the one exception to the dataclasses: a ``Member`` as the
serving snapshot keeps it, compact.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Literal

ThemeKind = Literal["topic", "local"]
MemberStatus = Literal["pending", "active", "paused", "removed"]
MembershipStatus = Literal["pending", "active", "paused", "left"]
CounterKind = Literal["served", "viewed", "clicked"]

THEME_KINDS: tuple[ThemeKind, ...] = ("topic", "local")
MEMBER_STATUSES: tuple[MemberStatus, ...] = ("pending", "active", "paused", "removed")
MEMBERSHIP_STATUSES: tuple[MembershipStatus, ...] = ("pending", "active", "paused", "left")
COUNTER_KINDS: tuple[CounterKind, ...] = ("served", "viewed", "clicked")

LAYOUTS = ("cards", "list", "compact")
LANGUAGES = ("de", "en")
SCHEMES = ("auto", "light", "dark")
# What a block may show: partners always, a joint offer or event as one slot (serving/slots.py).
SHOW_VALUES = ("partners", "offer", "event")


@dataclass(frozen=True, slots=True)
class Theme:
    id: int
    slug: str
    name_de: str
    name_en: str
    description_de: str = ""
    description_en: str = ""
    kind: ThemeKind = "topic"
    # The theme page's introduction (/t/{slug}), plain text; blank lines part paragraphs.
    intro_de: str = ""
    intro_en: str = ""

    def name(self, lang: str) -> str:
        return self.name_en if lang == "en" and self.name_en else self.name_de

    def description(self, lang: str) -> str:
        return self.description_en if lang == "en" and self.description_en else self.description_de

    def intro(self, lang: str) -> str:
        return self.intro_en if lang == "en" and self.intro_en else self.intro_de


@dataclass(frozen=True, slots=True)
class Logo:
    """A member's logo, stored and served by us (never hot-linked)."""

    member_id: int
    digest: str  # sha256 hex of the bytes; part of the URL so it can be cached forever
    content_type: str
    width: int
    height: int


# Slots: a snapshot holds every member (100,000 in a large network).
@dataclass(frozen=True, slots=True)
class Member:
    id: int
    slug: str
    name: str
    website: str
    domains: tuple[str, ...] = ()
    description: str = ""
    category: str = ""
    town: str = ""
    postal_code: str = ""
    status: MemberStatus = "pending"
    logo: Logo | None = None


# Between the parts of a member's packed text.  A text holding it is kept as a
# tuple of its parts instead (no valid profile does: the checks refuse control
# characters, but storage may hold what older versions let in).
_SEP = "\0"


def _pack(member: Member) -> bytes | tuple[str, ...]:
    return _pack_parts((member.name, member.website, member.description, *member.domains))


def _pack_parts(parts: tuple[str, ...]) -> bytes | tuple[str, ...]:
    """(name, website, description, *domains) as a record keeps them."""
    if any(_SEP in part for part in parts):
        return parts
    try:
        return _SEP.join(parts).encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: kept as it is
        return parts


class MemberRecord:
    """One member as the serving snapshot keeps it (100,000 of them in a large network).

    What selection and the status checks read (id, slug, category, town, postal
    code, status, logo) are attributes, shared with the pools (a record is a
    ``rotation.pool.Profile``); the member's own text is one UTF-8 ``bytes``
    (``name``, ``website``, ``description`` and ``domains`` decode it when read):
    one object instead of six, at typical lengths half the memory.
    ``member()`` makes the ``Member`` it was made from.  Not to be changed.
    """

    __slots__ = ("_text", "category", "id", "logo", "postal_code", "slug", "status", "town")

    id: int
    slug: str
    category: str
    town: str
    postal_code: str
    status: MemberStatus
    logo: Logo | None

    def __init__(self, member: Member) -> None:
        self._fill(member.id, member.slug, member.category, member.town, member.postal_code)
        self.status = member.status
        self.logo = member.logo
        self._text = _pack(member)

    def _fill(self, id: int, slug: str, category: str, town: str, postal_code: str) -> None:
        self.id = id
        self.slug = slug
        self.category = category
        self.town = town
        self.postal_code = postal_code

    @classmethod
    def of_fields(
        cls,
        id: int,
        slug: str,
        name: str,
        website: str,
        domains: tuple[str, ...],
        description: str,
        category: str,
        town: str,
        postal_code: str,
        status: MemberStatus,
        logo: Logo | None,
    ) -> MemberRecord:
        """The record of the ``Member`` with these fields, without making it (a full
        load makes 100,000)."""
        record = cls.__new__(cls)
        record._fill(id, slug, category, town, postal_code)
        record.status = status
        record.logo = logo
        record._text = _pack_parts((name, website, description, *domains))
        return record

    def _parts(self) -> Sequence[str]:
        text = self._text
        return text.decode("utf-8").split(_SEP) if isinstance(text, bytes) else text

    @property
    def name(self) -> str:
        return self._parts()[0]

    @property
    def website(self) -> str:
        return self._parts()[1]

    @property
    def description(self) -> str:
        return self._parts()[2]

    @property
    def domains(self) -> tuple[str, ...]:
        return tuple(self._parts()[3:])

    def name_and_description(self) -> tuple[str, str]:
        """Both in one decoding (what a block shows of a partner)."""
        parts = self._parts()
        return parts[0], parts[2]

    def member(self) -> Member:
        parts = self._parts()
        return Member(
            self.id,
            self.slug,
            parts[0],
            parts[1],
            tuple(parts[3:]),
            parts[2],
            self.category,
            self.town,
            self.postal_code,
            self.status,
            self.logo,
        )

    def __repr__(self) -> str:
        return f"MemberRecord({self.member()!r})"


@dataclass(frozen=True, slots=True)
class Membership:
    member_id: int
    theme_id: int
    status: MembershipStatus = "active"
    joined: str = field(default="", compare=False)  # ISO time it joined the theme


@dataclass(frozen=True, slots=True)
class PlacementOptions:
    """Display options of a placement; ``None`` leaves the choice to the embed code."""

    layout: str | None = None
    max_partners: int = 3
    lang: str | None = None
    scheme: str | None = None
    # What the block shows besides partners ("partners,offer,event"), fixed for the
    # placement; None leaves it to the embed's data-show (serving/slots.py).
    show: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "layout": self.layout,
            "max_partners": self.max_partners,
            "lang": self.lang,
            "scheme": self.scheme,
            "show": self.show,
        }


@dataclass(frozen=True, slots=True)
class Placement:
    """What an embed token stands for: member x theme x display options."""

    id: int
    member_id: int
    theme_id: int
    options: PlacementOptions = field(default_factory=PlacementOptions)


@dataclass(frozen=True)
class RuleSet:
    theme_id: int
    version: int
    rules: dict[str, Any]
    author: str
    created_at: str


@dataclass(frozen=True)
class Account:
    id: int
    username: str
    password_hash: str
    role: str = "coordinator"
    deactivated_at: str | None = None  # set: may not sign in any more

    @property
    def active(self) -> bool:
        return self.deactivated_at is None


@dataclass(frozen=True)
class Invitation:
    """A signed link with which a business applies to join one theme (network/invitations.py)."""

    id: str  # random; the signed token names it
    theme_id: int
    single_use: bool
    uses: int
    note: str
    created_by: str
    created_at: str
    expires_at: float  # Unix time
    revoked_at: str | None = None

    def usable(self, now: float) -> bool:
        return (
            self.revoked_at is None
            and self.expires_at > now
            and not (self.single_use and self.uses > 0)
        )


ApplicationDecision = Literal["approved", "declined"]


@dataclass(frozen=True)
class Application:
    """A business's application (a pending member) and the coordinator's decision."""

    member_id: int
    theme_id: int
    invitation_id: str | None
    submitted_at: str
    decision: ApplicationDecision | None = None
    note: str = ""
    decided_by: str | None = None
    decided_at: str | None = None


@dataclass(frozen=True)
class Category:
    """A member category the network added to the built-in ones (network/categories.py)."""

    slug: str
    label_de: str
    label_en: str
    created_by: str = ""
    created_at: str = ""


@dataclass(frozen=True)
class CounterRow:
    """One daily aggregate; no visitor data is ever kept beyond these counts."""

    day: date
    theme_id: int
    host_id: int
    partner_id: int
    kind: CounterKind
    count: int
    exposure: float = 0.0  # viewed only: sum of 1/log2(1 + position) over counted views


@dataclass(frozen=True)
class ApiKey:
    """An API key as stored: never the secret, only its hash."""

    id: int
    key_id: str  # the public part, e.g. "pkr_ab12cd34"
    secret_hash: str
    scope: str  # "coordinator" or "member:<member id>"
    name: str = ""
    created_at: str = ""
    revoked_at: str | None = None


@dataclass(frozen=True)
class AuditEntry:
    """One change made in the admin: who, when, what (rule changes live in ``rule_sets``)."""

    id: int
    at: str  # ISO time, UTC
    actor: str  # "admin:<username>"
    action: str  # "member.approve", "theme.edit", "portal.link", ...
    subject: str  # "member:<slug>" or "theme:<slug>"
    detail: str = ""  # what changed, for people


@dataclass(frozen=True)
class ProfileChange:
    """A member's profile change made in the portal, waiting for a coordinator.

    At most one per member: a newer change replaces the older one.  ``revision``
    counts the replacements, so a coordinator approves exactly what was shown.
    """

    member_id: int
    changes: Mapping[str, str]  # profile field -> proposed value (only fields that differ)
    logo: Logo | None = None  # a proposed logo (its bytes are stored alongside)
    revision: int = 0
    submitted_at: str = ""  # ISO time, UTC


# Kinds of mail a member can opt out of, one by one (docs/privacy.md); the
# coordinators' digest is "digest".
MAIL_KINDS = ("report", "decisions", "activity", "digest")
MEMBER_MAIL_KINDS = ("report", "decisions", "activity")


@dataclass(frozen=True)
class MailContact:
    """A member's e-mail address, the language of its mails and what it opted out of."""

    member_id: int
    email: str
    language: str = "de"
    opt_outs: frozenset[str] = frozenset()


@dataclass(frozen=True)
class OutboxMail:
    """A mail waiting in the outbox (or sent, or given up), as the worker sees it."""

    id: int
    key: str  # unique: what the mail is for ("report:2026-11:12"), so it is queued once
    kind: str
    recipient: str
    message: str  # the whole RFC 5322 message (ASCII: every part is encoded)
    status: str = "queued"  # queued | sent | failed
    attempts: int = 0
    next_attempt: float = 0.0  # unix seconds
    last_error: str = ""
    member_id: int | None = None
    created_at: str = ""


EventStatus = Literal["proposed", "published", "cancelled", "declined"]
# proposed: a member's proposal waiting for a coordinator; declined: the coordinator said no.
EVENT_STATUSES: tuple[EventStatus, ...] = ("proposed", "published", "cancelled", "declined")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # the times of a draft not yet stored


@dataclass(frozen=True)
class Event:
    """A joint event of members: a wedding fair, a late-night shopping evening, a talk.

    Times are aware UTC datetimes (entered in the network's time zone).
    ``theme_id`` None is an event of the whole network.  ``sequence`` counts
    the changes since it was created: the iCalendar feed's SEQUENCE, and the
    revision a coordinator's approval names (docs/events.md).
    """

    id: int
    slug: str
    theme_id: int | None
    title: str
    description: str
    starts_at: datetime
    ends_at: datetime
    place_name: str = ""
    street: str = ""
    postal_code: str = ""
    town: str = ""
    registration_url: str | None = None  # absolute http(s) URL
    status: EventStatus = "published"
    participants: tuple[int, ...] = ()  # member ids, in the order given
    proposed_by: int | None = None  # the member that proposed it; None: a coordinator
    sequence: int = 0
    created_at: datetime = EPOCH
    updated_at: datetime = EPOCH


# -- joint offers (network/offers.py, docs/offers.md) ----------------------------------------

# proposed: waiting for confirmations (or the coordinator's approval); active: every
# participant confirmed (and approved where required); declined and removed are final.
OfferStatus = Literal["proposed", "active", "declined", "removed"]
OFFER_STATUSES: tuple[OfferStatus, ...] = ("proposed", "active", "declined", "removed")


@dataclass(frozen=True, slots=True)
class OfferImage:
    """An offer's image, re-encoded by us like logos and served from our host."""

    digest: str  # sha256 hex of the stored bytes; part of its URL
    content_type: str
    width: int
    height: int


@dataclass(frozen=True, slots=True)
class OfferParticipant:
    """A member taking part in an offer; the offer goes live when all have confirmed."""

    member_id: int
    confirmed: bool = False


@dataclass(frozen=True)
class Offer:
    """A package several members of one theme offer together (the wedding package)."""

    id: int
    slug: str
    theme_id: int
    proposer_id: int
    title: str
    text: str
    price_text: str  # price or discount in words ("zusammen 10 % günstiger")
    valid_from: date
    valid_until: date  # inclusive
    status: OfferStatus = "proposed"
    participants: tuple[OfferParticipant, ...] = ()  # proposer first, then in proposed order
    image: OfferImage | None = None
    needs_approval: bool = False  # the theme wanted a coordinator's approval when proposed
    approved_by: str | None = None
    approved_at: str | None = None
    created_at: str = ""
    # Counts the edits since it was proposed: an edit or confirmation names the revision
    # it was made on, so nobody confirms or overwrites a version they did not see.
    revision: int = 0
    updated_at: str = ""

    @property
    def member_ids(self) -> tuple[int, ...]:
        return tuple(p.member_id for p in self.participants)

    @property
    def confirmed_by_all(self) -> bool:
        return bool(self.participants) and all(p.confirmed for p in self.participants)

    def live(self, on: date) -> bool:
        """Shown to visitors on day ``on`` (its participants' standing aside)."""
        return self.status == "active" and self.valid_from <= on <= self.valid_until
