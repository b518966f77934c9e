"""Schema migrations: fresh databases, upgrades from every earlier version, refusals."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import pytest_asyncio

import widget_server.storage
from widget_server.core.errors import StorageError
from widget_server.core.models import (
    Account,
    AuditEntry,
    CounterRow,
    Logo,
    Membership,
    PlacementOptions,
    ProfileChange,
)
from widget_server.storage import SQLiteStorage, StoredResponse, load_migrations

MIGRATION_DIR = Path(widget_server.storage.__file__).parent / "migrations" / "sqlite"
SHIPPED = sorted(MIGRATION_DIR.glob("*.sql"))
LATEST = len(SHIPPED)
# Coordinators, invitations, applications, categories (issue 11); renumbered on merges.
ADMIN_MIGRATION = next(
    m.version for m in load_migrations("sqlite") if m.name == "coordinators_invitations"
)

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

NOW = "2027-01-15T10:00:00+00:00"
# Numbers of migrations added by branches that are renumbered on merge: by name.
LEDGER_HISTORY = next(m.version for m in load_migrations("sqlite") if m.name == "ledger_history")
CHANGE_LOG = next(m.version for m in load_migrations("sqlite") if m.name == "changes")
MAIL = next(m.version for m in load_migrations("sqlite") if m.name == "mail")
LEDGER_DELTAS = next(m.version for m in load_migrations("sqlite") if m.name == "ledger_deltas")
CHECKPOINT = json.dumps(
    {"format": 2, "day": "2031-10-14", "members": [[1, 1.5, 0.25]], "served": [[1, "2031-10-14"]]}
)
DELTA = json.dumps(
    {
        "format": 2,
        "after": 8,
        "day": "2031-10-14",
        "members": [[2, 0.0, 0.75]],
        "gone": [],
        "served": [],
        "unserved": [],
    }
)
THEME_INTRO = next(m.version for m in load_migrations("sqlite") if m.name == "theme_intro")
EVENTS = next(m.version for m in load_migrations("sqlite") if m.name == "events")
OFFERS_MIGRATION = next(m.version for m in load_migrations("sqlite") if m.name == "offers")
OFFER_REVISION = next(m.version for m in load_migrations("sqlite") if m.name == "offer_revision")
PLACEMENT_SHOW = next(m.version for m in load_migrations("sqlite") if m.name == "placement_show")

# Rows that are valid right after migration N, inserted with plain SQL as a
# server of that version would have written them.  Every migration needs an
# entry (test_every_migration_has_representative_data).
SEED: dict[int, list[tuple[str, tuple[object, ...]]]] = {
    1: [
        (
            "INSERT INTO themes (id, slug, name_de, name_en, description_de, description_en,"
            " kind, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (1, "hochzeit", "Hochzeit", "Wedding", "Alles für den Tag", "", "topic", NOW),
        ),
        (
            "INSERT INTO members (id, slug, name, website, description, category, town,"
            " postal_code, status, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                1,
                "blumen",
                "Blumenhaus am Markt",
                "https://blumen.example/",
                "Sträuße",
                "flowers",
                "Heide",
                "25746",
                "active",
                NOW,
                NOW,
            ),
        ),
        ("INSERT INTO member_domains (member_id, domain) VALUES (?, ?)", (1, "www.blumen.example")),
        ("INSERT INTO member_domains (member_id, domain) VALUES (?, ?)", (1, "blumen.example")),
        (
            "INSERT INTO logos (member_id, digest, content_type, width, height, data, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (1, "ab" * 32, "image/png", 64, 32, b"\x89PNG-bytes", NOW),
        ),
        (
            "INSERT INTO memberships (member_id, theme_id, status, created_at) VALUES (?, ?, ?, ?)",
            (1, 1, "active", NOW),
        ),
        (
            "INSERT INTO placements (id, member_id, theme_id, layout, max_partners, lang,"
            " scheme, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (1, 1, 1, "list", 4, "en", None, NOW),
        ),
        (
            "INSERT INTO rule_sets (theme_id, version, rules, author, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (1, 1, '{"max_per_category": 1}', "koordination", NOW),
        ),
    ],
    2: [
        (
            "INSERT INTO daily_counters (day, theme_id, host_id, partner_id, kind, count)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            ("2027-01-15", 1, 1, 2, "clicked", 17),
        ),
        (
            "INSERT INTO accounts (id, username, password_hash, role, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (1, "koordination", "scrypt$16384$8$1$salt$hash", "coordinator", NOW),
        ),
    ],
    3: [
        (
            "INSERT INTO daily_counters (day, theme_id, host_id, partner_id, kind, count, exposure)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            ("2027-01-16", 1, 1, 2, "viewed", 4, 2.5),
        ),
    ],
    4: [
        (
            "INSERT INTO api_keys (key_id, secret_hash, scope, name, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            ("pkr_0123abcd", "ff" * 32, "member:1", "CMS", NOW),
        ),
    ],
    5: [
        (
            "INSERT INTO idempotency_keys (api_key_id, key, fingerprint, created_at, status,"
            " headers, body) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                "pkr_0123abcd",
                "order-17",
                "ee" * 32,
                1_800_000_000.0,
                201,
                '[["content-type", "application/json"]]',
                b'{"slug": "blumen"}',
            ),
        ),
    ],
    6: [
        (
            "INSERT INTO audit_log (id, at, actor, action, subject, detail)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (1, NOW, "admin:koordination", "member.approve", "member:blumen", "pending → active"),
        ),
    ],
    7: [
        (
            "INSERT INTO profile_changes (member_id, revision, changes, logo_digest,"
            " logo_content_type, logo_width, logo_height, logo_data, submitted_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (1, 3, '{"description": "Neu"}', "cd" * 32, "image/png", 40, 20, b"\x89PNG", NOW),
        ),
    ],
    8: [
        ("INSERT INTO visitor_salts (day, salt) VALUES (?, ?)", ("2099-01-01", b"s" * 32)),
        ("INSERT INTO visitor_claims (key, expires_at) VALUES (?, ?)", (b"c" * 16, 4.1e9)),
        (
            "INSERT INTO visitor_tallies (key, n, expires_at) VALUES (?, ?, ?)",
            (b"t" * 16, 4, 4.1e9),
        ),
        (
            "INSERT INTO daily_capped (day, theme_id, host_id, count) VALUES (?, ?, ?, ?)",
            ("2027-03-05", 1, 1, 7),
        ),
    ],
    9: [
        (
            "INSERT INTO sessions (sid, kind, subject, expires_at) VALUES (?, ?, ?, ?)",
            ("sid-1", "admin", "koordination", 4.1e9),
        ),
        (
            "INSERT INTO portal_links (link_id, member_id, expires_at) VALUES (?, ?, ?)",
            ("link-1", 1, 4.1e9),
        ),
    ],
    LEDGER_HISTORY: [
        (
            "INSERT INTO ledger_versions (theme_id, version, computed_at, digest, document)"
            " VALUES (?, ?, ?, ?, ?)",
            (1, 7, 1.85e9, "ab" * 32, '{"format":2}'),
        ),
        (
            "INSERT INTO status_history (member_id, theme_id, status, at) VALUES (?, ?, ?, ?)",
            (1, 1, "paused", 1.9e9),
        ),
        ("INSERT INTO last_served (theme_id, host_id, day) VALUES (?, ?, ?)", (1, 1, "2027-01-16")),
    ],
    LEDGER_DELTAS: [
        (
            "INSERT INTO ledger_versions (theme_id, version, computed_at, digest, document, kind,"
            " checkpoint) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (1, 8, 1.95e9, "cd" * 32, CHECKPOINT, "full", 8),
        ),
        (
            "INSERT INTO ledger_versions (theme_id, version, computed_at, digest, document, kind,"
            " checkpoint) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (1, 9, 1.95e9 + 60, "ef" * 32, DELTA, "delta", 8),
        ),
        (
            "INSERT INTO ledger_current (theme_id, version, digest, checkpoint)"
            " VALUES (?, ?, ?, ?)",
            (1, 9, "ef" * 32, 8),
        ),
    ],
    CHANGE_LOG: [
        ("UPDATE meta SET value = ? WHERE key = 'data_version'", ("100",)),
        ("INSERT INTO changes (version, kind, ref) VALUES (?, ?, ?)", (100, "theme", 1)),
    ],
    MAIL: [
        (
            "INSERT INTO mail_contacts (member_id, email, language, opt_outs, updated_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (1, "info@brautmoden.example", "en", "report", NOW),
        ),
        (
            "INSERT INTO mail_opt_outs (email, kind) VALUES (?, ?)",
            ("koordination@example.org", "digest"),
        ),
        (
            "INSERT INTO mail_outbox (key, kind, member_id, recipient, message, next_attempt,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                "digest:2027-01-15:k",
                "digest",
                None,
                "koordination@example.org",
                "Subject: x",
                0.0,
                NOW,
            ),
        ),
    ],
    ADMIN_MIGRATION: [
        (
            "INSERT INTO password_resets (link_id, username, expires_at) VALUES (?, ?, ?)",
            ("reset-1", "koordination", 4.1e9),
        ),
        (
            "INSERT INTO invitations (id, theme_id, single_use, uses, note, created_by,"
            " created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                "inv-1",
                1,
                1,
                0,
                "Konditorei Möller",
                "admin:koordination",
                "2027-03-01T10:00:00+00:00",
                4.1e9,
            ),
        ),
        (
            "INSERT INTO applications (member_id, theme_id, invitation_id, submitted_at)"
            " VALUES (?, ?, ?, ?)",
            (1, 1, "inv-1", "2027-03-02T10:00:00+00:00"),
        ),
        (
            "INSERT INTO categories (slug, label_de, label_en, created_by, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            ("bike-repair", "Fahrradwerkstatt", "Bike repair", "cli", "2027-03-01T10:00:00+00:00"),
        ),
    ],
    THEME_INTRO: [
        (
            "UPDATE themes SET intro_de = ?, updated_at = ? WHERE id = ?",
            ("Wir feiern.\n\nZusammen.", "2027-03-05T10:00:00+00:00", 1),
        ),
    ],
    EVENTS: [
        (
            "INSERT INTO events (id, slug, theme_id, title, starts_at, ends_at, place_name,"
            " town, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                1,
                "hochzeitsmesse-2027-03-14",
                1,
                "Hochzeitsmesse",
                "2027-03-14T09:00:00+00:00",
                "2027-03-14T16:00:00+00:00",
                "Festscheune",
                "Heide",
                NOW,
                NOW,
            ),
        ),
        (
            "INSERT INTO event_participants (event_id, member_id, position) VALUES (?, ?, ?)",
            (1, 1, 0),
        ),
    ],
    OFFERS_MIGRATION: [
        (
            "INSERT INTO offers (id, slug, theme_id, proposer_id, title, text, price_text,"
            " valid_from, valid_until, status, needs_approval, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                1,
                "paket",
                1,
                1,
                "Paket",
                "",
                "10 %",
                "2027-04-01",
                "2027-04-30",
                "active",
                0,
                NOW,
                NOW,
            ),
        ),
        (
            "INSERT INTO offer_participants (offer_id, member_id, position, confirmed_at)"
            " VALUES (?, ?, ?, ?)",
            (1, 1, 0, NOW),
        ),
    ],
    OFFER_REVISION: [
        (
            "INSERT INTO offers (id, slug, theme_id, proposer_id, title, price_text, valid_from,"
            " valid_until, status, revision, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                2,
                "geaendert",
                1,
                1,
                "Geändert",
                "5 %",
                "2027-05-01",
                "2027-05-31",
                "proposed",
                3,
                NOW,
                NOW,
            ),
        ),
    ],
    PLACEMENT_SHOW: [
        (
            "INSERT INTO placements (id, member_id, theme_id, layout, max_partners, lang,"
            " scheme, show_kinds, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (2, 1, 1, None, 3, None, None, "partners,offer", NOW),
        ),
    ],
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
}


@pytest_asyncio.fixture
async def fresh(db_path: Path) -> AsyncIterator[SQLiteStorage]:
    """An opened storage on an empty file, not migrated."""
    store = SQLiteStorage(db_path)
    await store.open()
    yield store
    await store.close()


def tables(path: Path) -> set[str]:
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    finally:
        conn.close()
    return {r[0] for r in rows}


def execute(path: Path, statements: list[tuple[str, tuple[object, ...]]]) -> None:
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA foreign_keys = ON")
        for sql, params in statements:
            conn.execute(sql, params)
        conn.commit()
    finally:
        conn.close()


# -- the shipped files ----------------------------------------------------------------------


def test_load_migrations_numbers_them_one_to_n() -> None:
    migrations = load_migrations("sqlite")
    assert [m.version for m in migrations] == list(range(1, LATEST + 1))
    assert LATEST >= 1
    for migration, path in zip(migrations, SHIPPED, strict=True):
        assert path.name == f"{migration.version:04d}_{migration.name}.sql"
        assert migration.sql == path.read_text("utf-8")


def test_every_migration_has_representative_data() -> None:
    missing = set(range(1, LATEST + 1)) - set(SEED)
    assert not missing, f"add SEED and CHECKS entries for migration(s) {sorted(missing)}"
    assert set(SEED) == set(CHECKS)


# -- migrating ------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_migrating_an_empty_database_applies_everything(
    fresh: SQLiteStorage, db_path: Path
) -> None:
    assert await fresh.schema_version() == 0
    applied = await fresh.migrate()
    assert applied == list(range(1, LATEST + 1))
    assert await fresh.schema_version() == LATEST
    assert tables(db_path) >= EXPECTED_TABLES
    assert await fresh.data_version() >= 1


@pytest.mark.asyncio
async def test_migrating_twice_applies_nothing_the_second_time(
    fresh: SQLiteStorage, db_path: Path
) -> None:
    await fresh.migrate()
    assert await fresh.migrate() == []
    assert await fresh.schema_version() == LATEST
    conn = sqlite3.connect(db_path)
    try:
        versions = [r[0] for r in conn.execute("SELECT version FROM schema_migrations")]
    finally:
        conn.close()
    assert sorted(versions) == list(range(1, LATEST + 1))


@pytest.mark.asyncio
async def test_migrating_again_from_another_storage_applies_nothing(
    fresh: SQLiteStorage, db_path: Path
) -> None:
    await fresh.migrate()
    second = SQLiteStorage(db_path)
    await second.open()
    try:
        assert await second.migrate() == []
        assert await second.schema_version() == LATEST
    finally:
        await second.close()


@pytest.mark.parametrize("k", range(LATEST))
@pytest.mark.asyncio
async def test_upgrade_from_every_earlier_version_keeps_the_data(
    fresh: SQLiteStorage, db_path: Path, k: int
) -> None:
    assert await fresh.migrate(target=k) == list(range(1, k + 1))
    assert await fresh.schema_version() == k
    for version in range(1, k + 1):
        execute(db_path, SEED[version])

    applied = await fresh.migrate()

    assert applied == list(range(k + 1, LATEST + 1))
    assert await fresh.schema_version() == LATEST
    assert tables(db_path) >= EXPECTED_TABLES
    for version in range(1, k + 1):
        await CHECKS[version](fresh)


@pytest.mark.asyncio
async def test_representative_data_of_every_version_is_readable_at_latest(
    fresh: SQLiteStorage, db_path: Path
) -> None:
    # Guards SEED itself: if it no longer fits the schema, the upgrade tests prove little.
    await fresh.migrate()
    for version in range(1, LATEST + 1):
        execute(db_path, SEED[version])
    for version in range(1, LATEST + 1):
        await CHECKS[version](fresh)


@pytest.mark.asyncio
async def test_database_newer_than_the_server_is_refused(
    fresh: SQLiteStorage, db_path: Path
) -> None:
    await fresh.migrate()
    execute(
        db_path,
        [
            (
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                (LATEST + 1, "from_the_future", NOW),
            )
        ],
    )
    with pytest.raises(StorageError, match=str(LATEST + 1)):
        await fresh.migrate()
    assert await fresh.schema_version() == LATEST + 1
