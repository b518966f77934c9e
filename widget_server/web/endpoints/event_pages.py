"""What the admin's and the portal's event pages share: the form, its choices, the lists.

Times are shown and entered in the network's time zone (``WIDGET_TIME_ZONE``);
participants are ticked from the members of the themes the page may use.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request

from widget_server.core.collation import sorted_german
from widget_server.core.dates import event_text
from widget_server.core.models import Event, Member, Theme
from widget_server.network.events import FIELDS, EventInput
from widget_server.web.endpoints.guards import PICK_ALL, form_text, participants_of
from widget_server.web.runtime import runtime_of

TEXT_FIELDS = tuple(f for f in FIELDS if f not in ("participants", "theme"))


def zone_of(request: Request) -> str:
    return runtime_of(request).settings.time_zone


def input_of(form: FormData) -> EventInput:
    """An event form as the service functions take it: the participants ticked, and
    those entered by short name (a large theme's field; commas between them)."""
    values = {f: form_text(form, f) for f in TEXT_FIELDS}
    theme = form_text(form, "theme").strip() or None
    return EventInput(**values, participants=participants_of(form), theme=theme)


def form_values(data: EventInput) -> dict[str, Any]:
    """What the form's inputs show."""
    values: dict[str, Any] = {f: getattr(data, f) for f in TEXT_FIELDS}
    values["participants"] = set(data.participants)
    values["theme"] = data.theme or ""
    return values


def blank(theme: str | None = None) -> dict[str, Any]:
    return form_values(EventInput("", "", "", "", "", theme=theme))


def when(event: Event, zone: str, lang: str) -> str:
    """``Sa., 14. März 2027, 10:00–17:00 Uhr``: the one format of ``core/dates.py``."""
    return event_text(event.starts_at, event.ends_at, zone, lang)


def participant_groups(
    themes: Iterable[Theme],
    members: Mapping[int, Member],
    in_theme: Mapping[int, Sequence[int]],
    lang: str,
    chosen: Collection[str] = (),
) -> list[tuple[Theme, list[Member], int]]:
    """The members that may be ticked, by theme (a member may appear under several), and
    how many the theme has; a theme of more than ``PICK_ALL`` lists those ``chosen``."""
    groups = []
    for theme in sorted_german(themes, key=lambda t: t.name(lang)):
        found = [members[i] for i in in_theme.get(theme.id, ()) if i in members]
        shown = [m for m in found if m.status != "removed"]
        total = len(shown)
        if total > PICK_ALL:
            shown = [m for m in shown if m.slug in chosen]
        if total:
            groups.append((theme, sorted_german(shown, key=lambda m: m.name), total))
    return groups


async def groups_of(
    request: Request, themes: Sequence[Theme], lang: str, chosen: Collection[str]
) -> list[tuple[Theme, list[Member], int]]:
    """``participant_groups`` of ``themes`` from the snapshot, made in a worker thread
    (every membership of a network of 100,000 read and each member made)."""
    snapshots = runtime_of(request).snapshots
    assert snapshots is not None
    network = snapshots.current.network

    def made() -> list[tuple[Theme, list[Member], int]]:
        in_theme = {
            t.id: [
                m for m, joined in network.memberships.get(t.id, {}).items() if joined[0] != "left"
            ]
            for t in themes
        }
        return participant_groups(themes, network.members, in_theme, lang, chosen)

    return await asyncio.to_thread(made)


def rows(request: Request, events: Iterable[Event], lang: str) -> list[dict[str, Any]]:
    """Events as the lists show them."""
    snapshots = runtime_of(request).snapshots
    assert snapshots is not None
    current = snapshots.current
    zone = zone_of(request)
    found = []
    for event in events:
        theme = current.themes.get(event.theme_id) if event.theme_id is not None else None
        names = [current.members[i].name for i in event.participants if i in current.members]
        found.append(
            {
                "event": event,
                "when": when(event, zone, lang),
                "theme": theme.name(lang) if theme else None,
                "participants": names,
                "proposer": current.members.get(event.proposed_by or 0),
            }
        )
    return found


def upcoming(events: Iterable[Event], now: datetime) -> list[Event]:
    return [e for e in events if e.ends_at > now]
