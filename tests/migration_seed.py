"""Representative rows of every schema migration, as a server of that version wrote them.

``SEED[N]`` holds rows that are valid right after migration N, inserted with
plain SQL; ``migration_checks.CHECKS[N]`` reads them back through the storage
of today.  The migration tests of both dialects (tests/test_migrations.py,
tests/test_migrations_postgres.py) and the transfer tests use them.
"""

from __future__ import annotations

import json

from widget_server.storage import load_migrations

# Coordinators, invitations, applications, categories (issue 11); renumbered on merges.
ADMIN_MIGRATION = next(
    m.version for m in load_migrations("sqlite") if m.name == "coordinators_invitations"
)


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
SORT_NAME = next(m.version for m in load_migrations("sqlite") if m.name == "member_sort_name")

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
    SORT_NAME: [
        (
            "INSERT INTO members (id, slug, name, sort_name, website, status, created_at,"
            " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                2,
                "oelmuehle",
                "Ölmühle Straße",
                "olmuhle strasse",
                "https://oel.example/",
                "pending",
                NOW,
                NOW,
            ),
        ),
    ],
}
