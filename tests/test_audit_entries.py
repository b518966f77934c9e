"""The audit log's lines in a network of many themes: the rule versions of all themes are
read together (a query per theme was 2,000 queries for the overview's eight lines),
and the lines are the ones a query per theme gives, in the same order."""

from __future__ import annotations

from typing import Any

import pytest

from tests.storage_calls import record_calls
from widget_server.network import audit
from widget_server.network.rules import diff_documents
from widget_server.network.services import add_theme
from widget_server.storage import Storage

pytestmark = pytest.mark.asyncio


async def per_theme(storage: Storage, subject: str | None, limit: int) -> list[audit.Line]:
    """The lines as the log made them before: every theme's versions read one by one."""
    lines = [
        audit.Line(e.at, e.actor, e.action, e.subject, e.detail)
        for e in await storage.list_audit_entries(subject=subject, limit=limit)
    ]
    if subject is None or subject.startswith("theme:"):
        for theme in await storage.list_themes():
            if subject is not None and subject != f"theme:{theme.slug}":
                continue
            previous: dict[str, Any] = {}
            for rule_set in await storage.list_rule_sets(theme.id):
                before, after = f"version {rule_set.version - 1}", f"version {rule_set.version}"
                lines.append(
                    audit.Line(
                        rule_set.created_at,
                        rule_set.author,
                        "rules.change",
                        f"theme:{theme.slug}",
                        after,
                        diff_documents(previous, rule_set.rules, before, after),
                    )
                )
                previous = rule_set.rules
    lines.sort(key=lambda line: line.at, reverse=True)
    return lines[:limit]


async def test_the_lines_are_those_a_query_per_theme_gives_ties_included(
    storage: Storage,
) -> None:
    now = [1_790_000_000.0]
    storage.clock = lambda: now[0]
    slugs = ["zelt", "advent", "hochzeit", "markt", "oeko", "brunnen"]
    ids = {}
    for slug in slugs:
        ids[slug] = (await add_theme(storage, slug=slug, name_de=slug.title())).id
    # Versions and audit entries interleaved; several made in the same second (ties
    # between themes, and between a version and an entry).
    steps = [
        ("zelt", {"strategy": "weighted"}),
        ("advent", {"strategy": "fixed"}),
        ("entry", "theme:advent"),
        ("zelt", {"strategy": "fair-exchange"}),
        ("hochzeit", {"max_partners": 4}),
        ("tick", None),
        ("brunnen", {"strategy": "weighted"}),
        ("markt", {"strategy": "weighted"}),
        ("entry", "member:blumen"),
        ("tick", None),
        ("zelt", {"strategy": "weighted", "max_partners": 2}),
        ("tick", None),
        ("advent", {"strategy": "round-robin"}),
        ("entry", "theme:zelt"),
        ("oeko", {"strategy": "weighted"}),
        ("tick", None),
        ("hochzeit", {"max_partners": 5}),
    ]
    for what, value in steps:
        if what == "tick":
            now[0] += 1
        elif what == "entry":
            await audit.record(storage, "admin:koordination", "theme.edit", str(value), "x")
        else:
            await storage.add_rule_set(ids[what], value, "admin:koordination")  # type: ignore[arg-type]
    for limit in range(1, 20):
        for subject in (None, "theme:zelt", "theme:advent", "theme:none", "member:blumen"):
            assert await audit.entries(storage, subject=subject, limit=limit) == await per_theme(
                storage, subject, limit
            ), (subject, limit)
    newest = await storage.recent_rule_changes(2)
    # The newest two, and the other versions of that second: the last tick made one,
    # the one before made two (advent 2, oeko 1): all three, by slug and version.
    assert [(c.slug, c.rule_set.version) for c in newest] == [
        ("advent", 2),
        ("hochzeit", 2),
        ("oeko", 1),
    ]
    assert newest[0].previous == {"strategy": "fixed"} and newest[2].previous == {}
    assert await storage.recent_rule_changes(0) == []


async def test_the_overview_lines_do_not_read_each_themes_versions(
    storage: Storage, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(30):
        theme = await add_theme(storage, slug=f"t{n}", name_de=f"T {n}")
        await storage.add_rule_set(theme.id, {"strategy": "weighted"}, "cli")
    read = record_calls(monkeypatch, storage, ("list_rule_sets",))
    lines = await audit.entries(storage, limit=8)
    assert len(lines) == 8 and read == []
    assert {line.subject for line in await audit.entries(storage, subject="theme:t3")} == {
        "theme:t3"
    }
    assert len(read) == 1  # one theme's versions for that theme's log
