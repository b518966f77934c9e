"""What every migration's representative rows must read as at the latest schema.

``CHECKS[N]`` reads back the rows of ``migration_seed.SEED[N]`` through the
storage of today, so an upgrade that loses or garbles data fails here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, date, datetime

from tests.migration_seed import (
    ADMIN_MIGRATION,
    CHANGE_LOG,
    EVENTS,
    LEDGER_DELTAS,
    LEDGER_HISTORY,
    MAIL,
    NOW,
    OFFER_REVISION,
    OFFERS_MIGRATION,
    PLACEMENT_SHOW,
    SORT_NAME,
    THEME_INTRO,
)
from widget_server.core.models import (
    Account,
    AuditEntry,
    CounterRow,
    Logo,
    Membership,
    PlacementOptions,
    ProfileChange,
)
from widget_server.storage import SQLiteStorage, StoredResponse

# The tables a migrated database has (at least).
EXPECTED_TABLES = {
    "schema_migrations",
    "meta",
    "themes",
    "members",
    "member_domains",
    "logos",
    "memberships",
    "placements",
    "rule_sets",
    "daily_counters",
    "accounts",
    "api_keys",
    "idempotency_keys",
    "audit_log",
    "profile_changes",
    "mail_contacts",
    "mail_opt_outs",
    "mail_outbox",
}


async def check_v1(storage: SQLiteStorage) -> None:
    theme = await storage.get_theme("hochzeit")
    assert (theme.id, theme.name_de, theme.name_en, theme.kind) == (
        1,
        "Hochzeit",
        "Wedding",
        "topic",
    )
    member = await storage.get_member("blumen")
    assert member.name == "Blumenhaus am Markt"
    assert member.domains == ("blumen.example", "www.blumen.example")
    assert member.logo == Logo(1, "ab" * 32, "image/png", 64, 32)
    assert (await storage.get_logo(1))[1] == b"\x89PNG-bytes"
    assert await storage.list_memberships() == [Membership(1, 1, "active")]
    placement = await storage.get_placement(1)
    assert placement.options == PlacementOptions("list", 4, "en", None)
    rule_set = await storage.get_rule_set(1)
    assert rule_set is not None
    assert rule_set.rules == {"max_per_category": 1}


async def check_v2(storage: SQLiteStorage) -> None:
    clicked = [row for row in await storage.list_counts() if row.kind == "clicked"]
    assert clicked == [CounterRow(date(2027, 1, 15), 1, 1, 2, "clicked", 17)]
    assert await storage.get_account("koordination") == Account(
        1, "koordination", "scrypt$16384$8$1$salt$hash", "coordinator"
    )


async def check_v3(storage: SQLiteStorage) -> None:
    viewed = await storage.exposure_since(date(2027, 1, 1))
    assert viewed == [CounterRow(date(2027, 1, 16), 1, 1, 2, "viewed", 4, 2.5)]


async def check_v4(storage: SQLiteStorage) -> None:
    key = await storage.get_api_key("pkr_0123abcd")
    assert (key.secret_hash, key.scope, key.name, key.revoked_at) == (
        "ff" * 32,
        "member:1",
        "CMS",
        None,
    )


async def check_v5(storage: SQLiteStorage) -> None:
    claim = StoredResponse("pkr_0123abcd", "order-17", "00" * 32, 1_800_000_100.0)
    stored = await storage.claim_idempotency_key(claim, expired_before=1_799_900_000.0)
    assert stored == StoredResponse(
        "pkr_0123abcd",
        "order-17",
        "ee" * 32,
        1_800_000_000.0,
        201,
        (("content-type", "application/json"),),
        b'{"slug": "blumen"}',
    )


async def check_v6(storage: SQLiteStorage) -> None:
    assert await storage.list_audit_entries(subject="member:blumen") == [
        AuditEntry(
            1, NOW, "admin:koordination", "member.approve", "member:blumen", "pending → active"
        )
    ]


async def check_v7(storage: SQLiteStorage) -> None:
    change = ProfileChange(
        1, {"description": "Neu"}, Logo(1, "cd" * 32, "image/png", 40, 20), 3, NOW
    )
    assert await storage.get_profile_change(1) == (change, b"\x89PNG")


async def check_v8(storage: SQLiteStorage) -> None:
    assert await storage.visitor_salt(date(2099, 1, 1), b"x" * 32) == b"s" * 32
    new, totals = await storage.settle_visitors([b"c" * 16, b"d" * 16], {b"t" * 16: 1}, 4.1e9)
    assert (new, totals) == ({b"d" * 16}, {b"t" * 16: 5})
    assert await storage.list_capped(1, date(2027, 3, 1), date(2027, 3, 31)) == [
        (date(2027, 3, 5), 1, 7)
    ]


async def check_v9(storage: SQLiteStorage) -> None:
    assert await storage.session_active("sid-1", "admin", "koordination", 1.8e9)
    assert not await storage.session_active("sid-1", "portal", "koordination", 1.8e9)
    assert await storage.portal_link_active("link-1", 1, 1.8e9)
    await storage.set_member_status(1, "removed")
    assert not await storage.portal_link_active("link-1", 1, 1.8e9)
    assert (await storage.get_api_key("pkr_0123abcd")).revoked_at is not None


async def check_ledger_history(storage: SQLiteStorage) -> None:
    found = await storage.ledger_at(1, 1.9e9)
    assert found is not None and (found.version, found.computed_at) == (7, 1.85e9)
    assert await storage.ledger_at(1, 1.8e9) is None
    assert (await storage.statuses_at(1, 1.95e9))[(1, 1)] == "paused"
    assert (await storage.last_served(1))[(1, 1)] == date(2027, 1, 16)


async def check_ledger_deltas(storage: SQLiteStorage) -> None:
    # The version before the migration stays a full version of its own.
    old = await storage.ledger_at(1, 1.9e9)
    assert old is not None and old.checkpoint is not None and old.checkpoint[0] == 7
    found = await storage.ledger_at(1, 1.96e9)
    assert found is not None and found.version == 9
    ledger = found.read()
    assert ledger.figures == {1: (1.5, 0.25), 2: (0.0, 0.75)}
    assert (await storage.ledger_heads())[1].checkpoint == 8


async def check_change_log(storage: SQLiteStorage) -> None:
    log = await storage.changes_since(99)
    assert log.complete
    assert 1 in log.themes
    # A write logs what it changed after the seeded version (a membership: a status
    # change would bring back a member an earlier check removed).
    await storage.set_membership(1, 1, "left")
    log = await storage.changes_since(99)
    assert log.complete
    assert 1 in log.members
    assert log.version > 100


async def check_mail(storage: SQLiteStorage) -> None:
    assert await storage.mail_opted_out("koordination@example.org", "digest")
    (mail,) = await storage.claim_mails(1.8e9, 60, 10)
    assert (mail.key, mail.member_id, mail.status) == ("digest:2027-01-15:k", None, "queued")
    if (await storage.get_member_by_id(1)).status != "removed":  # check_v9 removes it
        contact = await storage.get_mail_contact(1)
        assert (contact.email, contact.language, contact.opt_outs) == (
            "info@brautmoden.example",
            "en",
            {"report"},
        )
        await storage.set_member_status(1, "removed")
    assert await storage.list_mail_contacts() == []  # a removed member's address is gone


async def check_admin_migration(storage: SQLiteStorage) -> None:
    assert (await storage.get_account("koordination")).active
    assert await storage.password_reset_active("reset-1", "koordination", 1.8e9)
    invitation = await storage.get_invitation("inv-1")
    assert (invitation.single_use, invitation.uses, invitation.note) == (
        True,
        0,
        "Konditorei Möller",
    )
    assert (await storage.get_application(1)).invitation_id == "inv-1"
    assert [c.label_de for c in await storage.list_categories()] == ["Fahrradwerkstatt"]
    await storage.set_account_active("koordination", False)
    assert not await storage.password_reset_active("reset-1", "koordination", 1.8e9)


async def check_theme_intro(storage: SQLiteStorage) -> None:
    theme = await storage.get_theme("hochzeit")
    assert (theme.intro_de, theme.intro_en) == ("Wir feiern.\n\nZusammen.", "")
    before = (await storage.themes_modified())[theme.id]
    await storage.update_theme(replace(theme, intro_en="We celebrate."))
    assert (await storage.get_theme("hochzeit")).intro_en == "We celebrate."
    assert (await storage.themes_modified())[theme.id] >= before


async def check_events(storage: SQLiteStorage) -> None:
    event = await storage.get_event_by_slug("hochzeitsmesse-2027-03-14")
    assert (event.theme_id, event.status, event.sequence) == (1, "published", 0)
    assert event.starts_at == datetime(2027, 3, 14, 9, 0, tzinfo=UTC)
    assert event.participants == (1,)  # a removed member still took part
    upcoming = await storage.upcoming_events(1, datetime(2027, 3, 1, tzinfo=UTC))
    assert [e.id for e in upcoming] == [event.id]


async def check_offers_migration(storage: SQLiteStorage) -> None:
    offer = await storage.offer_by_slug("paket")
    assert offer is not None
    assert (offer.status, offer.valid_until, offer.member_ids) == (
        "active",
        date(2027, 4, 30),
        (1,),
    )
    assert offer.participants[0].confirmed


async def check_offer_revision(storage: SQLiteStorage) -> None:
    offer = await storage.offer_by_slug("geaendert")
    assert offer is not None and (offer.revision, offer.member_ids) == (3, ())
    older = await storage.offer_by_slug("paket")
    assert older is not None and older.revision == 0  # offers of before start at 0


async def check_placement_show(storage: SQLiteStorage) -> None:
    assert (await storage.get_placement(2)).options.show == "partners,offer"
    assert (await storage.get_placement(1)).options.show is None  # older ones: the embed decides


async def check_sort_name(storage: SQLiteStorage) -> None:
    # Rows of before (none here when seeded at the latest version) get theirs as the
    # member list fills them; the list then sorts and finds by them.
    await storage.fill_sort_names()
    assert await storage.listed_members(None, "strasse", 1, 10) == (1, 1, [2])
    assert await storage.listed_members(None, "blumenhaus", 1, 10) == (1, 1, [1])
    assert await storage.listed_members(None, "", 1, 10) == (2, 1, [2, 1])  # pending first


CHECKS: dict[int, Callable[[SQLiteStorage], Awaitable[None]]] = {
    1: check_v1,
    2: check_v2,
    3: check_v3,
    4: check_v4,
    5: check_v5,
    6: check_v6,
    7: check_v7,
    8: check_v8,
    9: check_v9,
    LEDGER_HISTORY: check_ledger_history,
    LEDGER_DELTAS: check_ledger_deltas,
    CHANGE_LOG: check_change_log,
    MAIL: check_mail,
    ADMIN_MIGRATION: check_admin_migration,
    THEME_INTRO: check_theme_intro,
    EVENTS: check_events,
    OFFERS_MIGRATION: check_offers_migration,
    OFFER_REVISION: check_offer_revision,
    PLACEMENT_SHOW: check_placement_show,
    SORT_NAME: check_sort_name,
}
