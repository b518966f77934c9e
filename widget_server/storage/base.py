"""The ``Storage`` protocol: everything the server asks of a database.

Handlers and services talk to this protocol only; no SQL lives outside the
implementations.  Implementations translate driver errors into
:mod:`widget_server.core.errors` (``raise StorageError(...) from exc``).

Drafts: ``create_*`` methods take a model whose ``id`` is ``0`` and return the
stored model with its id.
"""

from __future__ import annotations

from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Collection,
    Mapping,
    Sequence,
)
from datetime import date, datetime
from typing import Any, Protocol

from widget_server.core.models import (
    Account,
    ApiKey,
    Application,
    AuditEntry,
    Category,
    CounterRow,
    Event,
    EventStatus,
    Invitation,
    Logo,
    MailContact,
    Member,
    Membership,
    MembershipStatus,
    MemberStatus,
    Offer,
    OfferImage,
    OfferStatus,
    OutboxMail,
    Placement,
    PlacementOptions,
    ProfileChange,
    RuleSet,
    Theme,
)
from widget_server.rotation.ledger import Base
from widget_server.storage.records import (
    ChangeLog,
    LedgerHead,
    LedgerUpdate,
    NetworkData,
    RuleChange,
    StoredLedger,
    StoredResponse,
    TableRows,
    ThemeVersion,
)


class Storage(Protocol):
    dialect: str  # names the folder of its migrations
    # the time status changes and rule versions are stamped with (unix seconds)
    clock: Callable[[], float]

    async def open(self) -> None: ...
    async def close(self) -> None: ...

    # schema and change tracking
    async def migrate(self, target: int | None = None) -> list[int]: ...
    async def schema_version(self) -> int: ...
    async def data_version(self) -> int: ...
    async def changes_since(self, version: int) -> ChangeLog:
        """The data version and what changed after ``version`` (the change log)."""
        ...

    async def get_meta(self, key: str) -> str | None: ...
    async def set_meta(self, key: str, value: str) -> None: ...

    # themes
    async def create_theme(self, theme: Theme) -> Theme: ...
    async def get_theme(self, slug: str) -> Theme: ...
    async def list_themes(
        self, *, after: str | None = None, limit: int | None = None
    ) -> list[Theme]: ...
    async def update_theme(self, theme: Theme) -> Theme: ...
    async def theme_member_counts(self, *, removed: bool = False) -> dict[int, int]: ...
    async def member_status_counts(self) -> dict[str, int]: ...
    async def category_member_counts(self) -> dict[str, int]: ...
    async def theme_membership_counts(self) -> dict[int, dict[str, int]]: ...
    async def themes_modified(self) -> dict[int, datetime]:
        """Theme id -> when its public page's content last changed (UTC)."""
        ...

    async def delete_theme(self, theme_id: int) -> None:
        """Delete a theme with its memberships, placements, rules and invitations."""
        ...

    # members
    async def create_member(
        self, member: Member, theme_ids: Sequence[int] = (), *, joined: str | None = None
    ) -> Member:
        """``joined``: ISO time the member and its memberships date from (default now)."""
        ...

    async def get_member(self, slug: str) -> Member: ...
    async def get_member_by_id(self, member_id: int) -> Member: ...
    async def list_members(
        self,
        *,
        status: MemberStatus | None = None,
        theme_id: int | None = None,
        after: str | None = None,
        limit: int | None = None,
    ) -> list[Member]: ...
    async def listed_members(
        self, status: str | None, needle: str, number: int, size: int
    ) -> tuple[int, int, list[int]]:
        """How many members the admin's list shows, which page and its ids."""
        ...

    async def fill_sort_names(self, chunk: int = 5_000) -> int: ...

    async def members_with_ids(self, ids: Sequence[int]) -> list[Member]: ...
    async def update_member(self, member: Member) -> Member: ...
    async def set_member_status(self, member_id: int, status: MemberStatus) -> Member: ...
    async def set_logo(self, logo: Logo, data: bytes) -> None: ...
    async def get_logo(self, member_id: int) -> tuple[Logo, bytes]: ...

    # many members at once (``member import``)
    async def existing_member_slugs(self, slugs: Sequence[str]) -> set[str]: ...
    async def import_members(
        self,
        members: Sequence[tuple[Member, Sequence[int]]],
        progress: Callable[[int], None] | None = None,
    ) -> int:
        """New members with domains, memberships and default placements: one transaction,
        one data-version bump; a taken slug is a ``ConflictError`` and writes nothing."""
        ...

    # memberships
    async def set_membership(
        self, member_id: int, theme_id: int, status: MembershipStatus
    ) -> Membership: ...
    async def list_memberships(
        self, *, member_id: int | None = None, theme_id: int | None = None
    ) -> list[Membership]: ...
    async def memberships_of(self, member_ids: Sequence[int]) -> list[Membership]: ...
    async def last_served_of(self, host_ids: Sequence[int]) -> dict[tuple[int, int], date]: ...

    # placements
    async def create_placement(
        self, member_id: int, theme_id: int, options: PlacementOptions
    ) -> Placement: ...
    async def get_placement(self, placement_id: int) -> Placement: ...
    async def list_placements(
        self,
        *,
        member_id: int | None = None,
        theme_id: int | None = None,
        after: int | None = None,
        limit: int | None = None,
    ) -> list[Placement]: ...

    # rule sets (versioned)
    async def add_rule_set(
        self,
        theme_id: int,
        rules: dict[str, Any],
        author: str,
        *,
        expected_version: int | None = None,
    ) -> RuleSet: ...
    async def get_rule_set(self, theme_id: int) -> RuleSet | None: ...
    async def list_rule_sets(self, theme_id: int) -> list[RuleSet]: ...
    async def rule_versions(self) -> dict[int, int]: ...
    async def recent_rule_changes(self, limit: int) -> list[RuleChange]: ...

    # counters
    async def add_counts(self, rows: Sequence[CounterRow]) -> None: ...
    async def visitor_salt(self, day: date, candidate: bytes) -> bytes:
        """The day's shared salt: ``candidate`` if none was stored yet; older salts go."""
        ...

    async def add_capped(self, rows: Sequence[tuple[date, int, int, int]]) -> None:
        """Add (day, theme id, host id, refused beacons) to the daily cap counts."""
        ...

    async def list_capped(
        self, theme_id: int, since: date, until: date
    ) -> list[tuple[date, int, int]]:
        """(day, host id, refused beacons) of a theme in a period, newest first."""
        ...

    async def settle_visitors(
        self, claims: Collection[bytes], tallies: Mapping[bytes, int], expires: float
    ) -> tuple[set[bytes], dict[bytes, int]]:
        """Claim keys (which were new?) and add to tallies (totals after), one transaction."""
        ...

    async def list_counts(
        self, *, since: date | None = None, theme_id: int | None = None
    ) -> list[CounterRow]: ...

    async def member_counts(
        self, member_id: int, *, since: date | None = None, theme_id: int | None = None
    ) -> list[CounterRow]:
        """One member's report rows: given, received, and its themes' block views."""
        ...

    async def exposure_since(
        self, since: date, theme_id: int | None = None
    ) -> list[CounterRow]: ...

    async def last_served(self, theme_id: int | None = None) -> dict[tuple[int, int], date]: ...
    async def statuses_at(self, theme_id: int, at: float) -> dict[tuple[int, int], str | None]:
        """(member, theme or 0) -> status at ``at`` for the theme's members (None: not yet)."""
        ...

    # accounts
    async def create_account(self, account: Account) -> Account: ...
    async def get_account(self, username: str) -> Account: ...
    async def count_accounts(self) -> int: ...
    async def list_accounts(self) -> list[Account]: ...
    async def set_account_active(self, username: str, active: bool) -> Account:
        """Deactivate (ending its sessions and reset links) or reactivate an account."""
        ...

    # one-time password reset links (migration 10)
    async def add_password_reset(self, link_id: str, username: str, expires_at: float) -> None: ...
    async def password_reset_active(self, link_id: str, username: str, now: float) -> bool: ...
    async def use_password_reset(
        self, link_id: str, username: str, password_hash: str, now: float
    ) -> bool:
        """Set the password if the link is unused; the link goes, the sessions end."""
        ...

    # invitations, applications (pending members) and the network's categories (migration 10)
    async def create_invitation(self, invitation: Invitation) -> Invitation: ...
    async def get_invitation(self, invitation_id: str) -> Invitation: ...
    async def list_invitations(self) -> list[Invitation]: ...
    async def revoke_invitation(self, invitation_id: str) -> Invitation: ...
    async def submit_application(
        self, member: Member, theme_id: int, invitation_id: str | None, now: float
    ) -> Member:
        """A pending member and its application, claiming the invitation: one transaction."""
        ...

    async def get_application(self, member_id: int) -> Application: ...
    async def list_applications(self, *, open_only: bool = False) -> list[Application]: ...
    async def decide_application(
        self, member_id: int, decision: str, note: str, actor: str
    ) -> Application: ...
    async def add_category(self, category: Category) -> Category: ...
    async def list_categories(self) -> list[Category]: ...

    # joint events and their participants (migration events; docs/events.md)
    async def create_event(self, event: Event) -> Event:
        """Store a draft (id 0); ``ConflictError`` when its slug is taken."""
        ...

    async def update_event(self, event: Event, sequence: int) -> Event:
        """Write the event if still at ``sequence`` (else ``ConflictError``); counts it up."""
        ...

    async def set_event_status(
        self, event_id: int, status: EventStatus, sequence: int
    ) -> Event: ...
    async def delete_event(self, event_id: int) -> bool: ...
    async def get_event(self, event_id: int) -> Event: ...
    async def get_event_by_slug(self, slug: str) -> Event: ...
    async def list_events(
        self,
        *,
        theme_id: int | None = None,
        status: EventStatus | None = None,
        proposed_by: int | None = None,
        member_id: int | None = None,
        ends_after: datetime | None = None,
    ) -> list[Event]: ...
    async def upcoming_events(
        self, theme_id: int | None, after: datetime, *, include_cancelled: bool = False
    ) -> list[Event]:
        """Published events whose end is after ``after``, by start (None: every theme's)."""
        ...

    # joint offers (storage/offers.py); no data version bump
    async def get_offer(self, offer_id: int) -> Offer: ...
    async def offer_by_slug(self, slug: str) -> Offer | None: ...
    async def offer_slugs(self, base: str) -> set[str]: ...
    async def list_offers(
        self,
        *,
        theme_id: int | None = None,
        member_id: int | None = None,
        status: OfferStatus | None = None,
    ) -> list[Offer]: ...
    async def live_offers(self, theme_id: int | None, on: date) -> list[Offer]: ...
    async def live_offer(self, slug: str, on: date) -> Offer | None: ...
    async def get_offer_image(self, offer_id: int) -> tuple[OfferImage, bytes]: ...
    async def create_offer(self, offer: Offer, image_data: bytes | None = None) -> Offer: ...
    async def confirm_offer(
        self, offer_id: int, member_id: int, confirmed: bool, revision: int | None = None
    ) -> Offer: ...
    async def approve_offer(
        self, offer_id: int, actor: str, revision: int | None = None
    ) -> Offer: ...
    async def close_offer(self, offer_id: int, status: OfferStatus) -> Offer: ...
    async def update_offer(
        self,
        offer: Offer,
        revision: int,
        *,
        image_data: bytes | None = None,
        reset_confirmations: bool = False,
        confirmed_by: int | None = None,
        reset_approval: bool = False,
    ) -> Offer: ...

    # API keys (only hashes are stored)
    async def create_api_key(self, key: ApiKey) -> ApiKey: ...
    async def get_api_key(self, key_id: str) -> ApiKey: ...
    async def list_api_keys(
        self, *, after: int | None = None, limit: int | None = None
    ) -> list[ApiKey]: ...
    async def revoke_api_key(self, key_id: str) -> ApiKey: ...

    # sessions and portal links, ended server-side (migration 9); removing a member
    # (set_member_status "removed") ends its keys, portal sessions and links at once
    async def add_session(self, sid: str, kind: str, subject: str, expires_at: float) -> None: ...
    async def session_active(self, sid: str, kind: str, subject: str, now: float) -> bool: ...
    async def end_session(self, sid: str) -> None: ...
    async def end_sessions(self, kind: str, subject: str) -> int: ...
    async def add_portal_link(self, link_id: str, member_id: int, expires_at: float) -> None: ...
    async def portal_link_active(self, link_id: str, member_id: int, now: float) -> bool: ...
    async def revoke_portal_access(self, member_id: int) -> int:
        """End a member's portal links and portal sessions; the number of links ended."""
        ...

    async def set_password(self, username: str, password_hash: str) -> None:
        """Change an account's password and end all its sessions, in one transaction."""
        ...

    # idempotency keys: the first answer per (API key, Idempotency-Key)
    async def claim_idempotency_key(
        self, claim: StoredResponse, *, expired_before: float
    ) -> StoredResponse | None: ...
    async def finish_idempotency_key(self, response: StoredResponse) -> None: ...
    async def release_idempotency_key(self, api_key_id: str, key: str) -> None: ...

    # the hot path's snapshot
    async def load_network(self, *, compact: bool = False) -> NetworkData:
        """Everything the serving snapshot holds, in one consistent read.  ``compact``:
        the members as ``MemberRecord`` (``NetworkData.records``), each made as its
        row is read, so no ``Member`` of the whole network is ever held at once."""
        ...

    async def load_theme_network(self, theme_id: int) -> NetworkData:
        """One theme's part of ``load_network`` (its pool builds the same)."""
        ...

    async def load_network_part(
        self,
        member_ids: Collection[int],
        theme_ids: Collection[int],
        placement_ids: Collection[int],
    ) -> NetworkData:
        """The named members (with all their memberships and placements), themes (with
        their current rule sets) and placements, as ``load_network`` has them."""
        ...

    # the admin's audit log (appended; rule changes are audited by rule_sets)
    async def add_audit_entry(self, entry: AuditEntry) -> AuditEntry: ...
    async def list_audit_entries(
        self, *, subject: str | None = None, before: int | None = None, limit: int = 100
    ) -> list[AuditEntry]: ...

    # profile changes from the member portal awaiting approval (one per member; migration 7)
    async def put_profile_change(
        self, change: ProfileChange, logo_data: bytes | None
    ) -> ProfileChange:
        """Store the member's pending change, replacing any earlier one (revision + 1)."""
        ...

    async def get_profile_change(self, member_id: int) -> tuple[ProfileChange, bytes | None]:
        """The pending change and its logo's bytes; ``NotFoundError`` when there is none."""
        ...

    async def list_profile_changes(self) -> list[ProfileChange]: ...  # oldest first
    async def delete_profile_change(self, member_id: int, revision: int) -> bool:
        """Delete the change if it is still at ``revision``; False when it is not."""
        ...

    # mail (migration 10): addresses, opt-outs, the outbox (storage/mail.py); removing a
    # member deletes its address and unsent mails in the same transaction
    async def get_mail_contact(self, member_id: int) -> MailContact: ...
    async def list_mail_contacts(self) -> list[MailContact]: ...
    async def put_mail_contact(self, contact: MailContact) -> MailContact: ...
    async def delete_mail_contact(self, member_id: int) -> bool: ...
    async def add_mail_opt_out(self, email: str, kind: str) -> None: ...
    async def mail_opted_out(self, email: str, kind: str) -> bool: ...
    async def enqueue_mail(self, mail: OutboxMail) -> bool:
        """Queue the mail unless one with its key exists; True when queued now."""
        ...

    async def mail_queued(self, key: str) -> bool: ...
    async def claim_mails(self, now: float, hold: float, limit: int) -> list[OutboxMail]:
        """Due mails nobody holds, held by the caller until ``now + hold`` (one holder)."""
        ...

    async def mail_sent(self, mail_id: int) -> None: ...
    async def mail_failed(self, mail_id: int, error: str, retry_at: float | None) -> None: ...
    async def list_mails(
        self, *, status: str | None = None, member_id: int | None = None, limit: int = 100
    ) -> list[OutboxMail]: ...
    async def mail_counts(self) -> dict[str, int]: ...
    async def purge_mails(self, sent_before: str) -> int: ...
    async def claim_mail_job(self, name: str, period: str) -> bool:
        """True for exactly one caller per (job, period)."""
        ...

    async def member_ids_with_mail(self, ids: Sequence[int]) -> set[int]: ...

    # the fairness ledger, computed by one process per interval for the whole deployment
    async def ledger_version(self) -> int: ...  # 0: none stored yet
    async def get_ledger(self, since: int = 0) -> StoredLedger | None:
        """The version, and each theme's latest published figures newer than ``since``."""
        ...

    async def ledger_at(self, theme_id: int, at: float) -> ThemeVersion | None:
        """The theme's figures in force at ``at``: the latest computed at or before it."""
        ...

    async def ledger_bases(self) -> dict[int, Base]: ...
    async def ledger_heads(self) -> dict[int, LedgerHead]: ...  # theme -> its latest version
    async def served_days(self) -> dict[int, dict[int, date]]:
        """theme -> host -> the last day a block of that host was served."""
        ...

    async def day_exposure(self, day: date) -> dict[int, dict[int, tuple[float, float]]]:
        """theme -> member -> (given, received): one day's ``viewed`` exposure, summed."""
        ...

    async def exposure_days(
        self, first: date, last: date, theme_id: int | None = None
    ) -> dict[date, dict[int, dict[int, tuple[float, float]]]]: ...

    async def ledger_due(self, *, stale_before: float, now: float) -> bool:
        """Whether ``publish_ledger`` would compute now (stale, and nobody computing);
        a look only: ``publish_ledger`` decides again when it claims."""
        ...

    async def publish_ledger(
        self, compute: Callable[[], Awaitable[LedgerUpdate]], *, stale_before: float, now: float
    ) -> StoredLedger | None:
        """Run ``compute`` and store its update as the next ledger version.

        Skipped (returning the stored ledger) when the stored one was computed
        after ``stale_before``; skipped (returning None) while another process
        is computing.  So however many processes call this, one computes.
        """
        ...

    # whole tables, for moving a network between databases (`widget-server migrate-db`):
    # rows travel as SQLite stores them (times as ISO text, days as ISO dates, rules as
    # JSON text, blobs as bytes)
    async def table_names(self) -> list[str]: ...  # without schema_migrations
    async def table_columns(self, table: str) -> list[str]: ...
    async def count_rows(self, table: str) -> int: ...
    def export_rows(
        self, table: str, columns: Sequence[str]
    ) -> AsyncIterator[list[tuple[Any, ...]]]: ...
    async def import_rows(self, tables: Sequence[tuple[str, Sequence[str], TableRows]]) -> None:
        """Insert every table's rows in one transaction; ``meta`` is replaced, ids are kept."""
        ...
