"""The admin's audit log: who changed what and when.

Member, theme and portal-link changes made in the admin are written to the
``audit_log`` table right after the change (``record``); rule changes need no
extra entry, because every rule set version keeps its author and time.
``entries`` merges both into one list, newest first, for the audit page.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from widget_server.core.errors import NotFoundError
from widget_server.core.models import AuditEntry, Member, Theme
from widget_server.network.rules import diff_documents
from widget_server.storage import Storage

MEMBER_FIELDS = ("name", "website", "description", "category", "town", "postal_code")
THEME_FIELDS = (
    "name_de",
    "name_en",
    "description_de",
    "description_en",
    "kind",
    "intro_de",
    "intro_en",
)


@dataclass(frozen=True)
class Line:
    """One line of the audit page."""

    at: str
    actor: str
    action: str  # "rules.change" for rule versions, else the audit entry's action
    subject: str
    detail: str
    diff: str = ""  # rule changes: the unified diff against the version before


async def record(
    storage: Storage, actor: str, action: str, subject: str, detail: str = ""
) -> AuditEntry:
    """Write one entry, timed by the storage like rule set versions (UTC, seconds)."""
    return await storage.add_audit_entry(AuditEntry(0, "", actor, action, subject, detail))


def _quote(value: object) -> str:
    shown = str(value)
    return f"„{shown[:60]}{'…' if len(shown) > 60 else ''}“" if shown else "–"


def changed_fields(before: object, after: object, fields: Sequence[str]) -> str:
    """``name: „A“ → „B“; town: – → „Heide“``: the fields that differ."""
    old, new = asdict(before), asdict(after)  # type: ignore[call-overload]
    parts = [f"{f}: {_quote(old[f])} → {_quote(new[f])}" for f in fields if old[f] != new[f]]
    return "; ".join(parts)


def member_changes(before: Member, after: Member) -> str:
    parts = [changed_fields(before, after, MEMBER_FIELDS)] if before != after else []
    added = sorted(set(after.domains) - set(before.domains))
    dropped = sorted(set(before.domains) - set(after.domains))
    if added:
        parts.append("domains +" + ", +".join(added))
    if dropped:
        parts.append("domains −" + ", −".join(dropped))
    return "; ".join(p for p in parts if p)


def theme_changes(before: Theme, after: Theme) -> str:
    return changed_fields(before, after, THEME_FIELDS)


async def entries(storage: Storage, *, subject: str | None = None, limit: int = 200) -> list[Line]:
    """Audit entries and rule versions, newest first (at most ``limit``)."""
    lines = [
        Line(e.at, e.actor, e.action, e.subject, e.detail)
        for e in await storage.list_audit_entries(subject=subject, limit=limit)
    ]
    if subject is None:
        # The newest versions over all themes, read together: a query per theme was
        # 2,000 queries for the overview's eight lines in a network of 2,000 themes.
        recent = await storage.recent_rule_changes(limit)
        changes = [(c.slug, c.rule_set, c.previous) for c in recent]
    elif subject.startswith("theme:"):
        changes = []
        theme = await _theme(storage, subject.removeprefix("theme:"))
        if theme is not None:
            previous: dict[str, Any] = {}
            for rule_set in await storage.list_rule_sets(theme.id):
                changes.append((theme.slug, rule_set, previous))
                previous = rule_set.rules
    else:
        changes = []
    for slug, rule_set, replaced in changes:
        version = rule_set.version
        before, after = f"version {version - 1}", f"version {version}"
        diff = diff_documents(replaced, rule_set.rules, before, after)
        lines.append(
            Line(
                rule_set.created_at,
                rule_set.author,
                "rules.change",
                f"theme:{slug}",
                after,
                diff,
            )
        )
    lines.sort(key=lambda line: line.at, reverse=True)
    return lines[:limit]


async def _theme(storage: Storage, slug: str) -> Theme | None:
    try:
        return await storage.get_theme(slug)
    except NotFoundError:
        return None
