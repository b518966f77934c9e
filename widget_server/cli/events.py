"""``widget-server event add|list|show|edit|remove|approve|decline|cancel|restore``.

What a coordinator does in the admin's "Veranstaltungen", from the shell, with
the same service functions (``network/events.py``) and the same rules: an
event made here is published at once; a member's proposal is approved
(published) or declined; a published event is cancelled, not removed, so
subscribed calendars learn of it.  Times are the network's local time
(``WIDGET_TIME_ZONE``).  Every change names the ``sequence`` it is made on
(``--sequence``; the current one when left out) and is written to the audit
log under ``--author``.
"""

from __future__ import annotations

import argparse
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from widget_server.cli.common import UsageError, aligned, emit
from widget_server.core.collation import sorted_german
from widget_server.core.dates import event_text
from widget_server.core.errors import NotFoundError
from widget_server.core.models import EVENT_STATUSES, Event, EventStatus
from widget_server.core.settings import Settings
from widget_server.network import audit, events
from widget_server.network.events import EventInput
from widget_server.storage import Storage

AUTHOR_HELP = "who makes the change, as the audit log names it (default: cli)"
TIME_HELP = "local time of the network (WIDGET_TIME_ZONE), e.g. 2027-03-14T10:00"
# (option, help) of the fields "add" takes and "edit" changes.
OPTIONS = (
    ("title", "the event's title, e.g. 'Hochzeitsmesse' (at most 120 characters)"),
    ("starts_at", f"when it starts: {TIME_HELP}"),
    ("ends_at", f"when it ends, after the start: {TIME_HELP}"),
    ("place_name", "the place, e.g. 'Festscheune Wulfshof'"),
    ("town", "the town, e.g. Heide"),
    ("description", "what happens, for whom (line breaks kept; at most 2,000 characters)"),
    ("street", "street and number, e.g. 'Wulfshof 1'"),
    ("postal_code", "postal code, e.g. 25746"),
    ("registration_url", "where visitors sign up, e.g. https://scheune.example/messe"),
)
REQUIRED = ("title", "starts_at", "ends_at", "place_name", "town")
# The actions that change the status: (status it sets, help).
STATUS_COMMANDS: dict[str, tuple[EventStatus, str]] = {
    "approve": ("published", "publish a member's proposed event"),
    "decline": ("declined", "decline a member's proposed event"),
    "cancel": ("cancelled", "cancel a published event (calendars show it cancelled)"),
    "restore": ("published", "a cancelled event takes place after all"),
}


def add_arguments(sub: argparse._SubParsersAction, add: Any) -> None:  # type: ignore[type-arg]
    group = sub.add_parser(
        "event",
        help="add, list, show, edit, remove, approve or decline joint events",
        description="Joint events of the network (docs/events.md).",
    )
    esub = group.add_subparsers(dest="action", required=True, metavar="ACTION")
    p = add(esub, "list", cmd_event_list, "list events, upcoming first (the past with --past)")
    p.add_argument("--theme", help="only this theme's events (its slug, e.g. hochzeit)")
    p.add_argument("--status", choices=EVENT_STATUSES, help="only events with this status")
    p.add_argument("--past", action="store_true", help="list events that are over too")
    p.add_argument(
        "--order",
        choices=("time", "title"),
        default="time",
        help="time: by start (default); title: in German alphabetical order",
    )
    p = add(esub, "show", cmd_event_show, "show one event")
    p.add_argument("slug", help="the event's slug, e.g. hochzeitsmesse-2027-03-14")

    p = add(esub, "add", cmd_event_add, "add an event; it is published at once")
    _fields(p, required=True)
    p = add(esub, "edit", cmd_event_edit, "change an event (only the options given)")
    p.add_argument("slug", help="the event's slug, e.g. hochzeitsmesse-2027-03-14")
    _fields(p, required=False)
    p.add_argument(
        "--network-wide", action="store_true", help="the event is the whole network's (no theme)"
    )
    _sequence(p)
    p = add(esub, "remove", cmd_event_remove, "delete an event that is not published")
    p.add_argument("slug", help="the event's slug")
    p.add_argument("--author", default="cli", help=AUTHOR_HELP)
    for name, (_, text) in STATUS_COMMANDS.items():
        p = add(esub, name, cmd_event_status, text)
        p.set_defaults(status_command=name)
        p.add_argument("slug", help="the event's slug")
        _sequence(p)


def _fields(p: argparse.ArgumentParser, *, required: bool) -> None:
    for name, text in OPTIONS:
        flag = f"--{name.replace('_', '-')}"
        p.add_argument(flag, dest=name, required=required and name in REQUIRED, help=text)
    p.add_argument(
        "--participant",
        action="append",
        metavar="SLUG",
        help="a participating member's slug (repeatable; with edit it replaces the list,"
        " --participant '' empties it)",
    )
    p.add_argument("--theme", help="the theme's slug, e.g. hochzeit (default on add: network-wide)")
    if required:  # edit gets --author with --sequence
        p.add_argument("--author", default="cli", help=AUTHOR_HELP)


def _sequence(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--sequence",
        type=int,
        help="the sequence the change is made on (see show); refused if the event changed"
        " since (default: the current one)",
    )
    p.add_argument("--author", default="cli", help=AUTHOR_HELP)


async def _event(storage: Storage, slug: str) -> Event:
    try:
        return await storage.get_event_by_slug(slug)
    except NotFoundError:
        raise UsageError(f"no event {slug!r} (list them: widget-server event list)") from None


async def _row(storage: Storage, event: Event, settings: Settings) -> dict[str, Any]:
    members = {m.id: m for m in await storage.list_members()}
    themes = {t.id: t.slug for t in await storage.list_themes()}
    proposer = members.get(event.proposed_by or 0)
    return {
        "slug": event.slug,
        "title": event.title,
        "status": event.status,
        "theme": themes.get(event.theme_id) if event.theme_id is not None else None,
        "starts_at": event.starts_at.isoformat(),
        "ends_at": event.ends_at.isoformat(),
        "when": event_text(event.starts_at, event.ends_at, settings.time_zone, settings.language),
        "place_name": event.place_name,
        "street": event.street,
        "postal_code": event.postal_code,
        "town": event.town,
        "description": event.description,
        "registration_url": event.registration_url,
        "participants": [members[i].slug for i in event.participants if i in members],
        "proposed_by": proposer.slug if proposer else None,
        "sequence": event.sequence,
    }


def _line(row: dict[str, Any]) -> str:
    where = ", ".join(p for p in (row["place_name"], row["town"]) if p)
    return f"{row['slug']:<36} {row['status']:<10} {row['when']}  {where}"


async def cmd_event_list(args: argparse.Namespace, storage: Storage, settings: Settings) -> int:
    theme_id = None
    if args.theme:
        try:
            theme_id = (await storage.get_theme(args.theme)).id
        except NotFoundError:
            raise UsageError(f"--theme: no theme {args.theme!r}") from None
    now = datetime.now(UTC)
    found = await storage.list_events(
        theme_id=theme_id, status=args.status, ends_after=None if args.past else now
    )
    if args.order == "title":
        found = sorted_german(found, key=lambda e: e.title)
    rows = [await _row(storage, e, settings) for e in found]
    emit(args, rows, "\n".join(_line(r) for r in rows) or "no events")
    return 0


async def cmd_event_show(args: argparse.Namespace, storage: Storage, settings: Settings) -> int:
    row = await _row(storage, await _event(storage, args.slug), settings)
    shown = [(k, ", ".join(v) if isinstance(v, list) else str(v or "-")) for k, v in row.items()]
    emit(args, row, "\n".join([row["title"], *aligned(shown[2:])]))
    return 0


def _input(args: argparse.Namespace, base: EventInput | None) -> EventInput:
    """The options given over ``base`` (edit) or alone (add)."""
    values: dict[str, Any] = asdict(base) if base else {}
    values.update({n: getattr(args, n) for n, _ in OPTIONS if getattr(args, n) is not None})
    if args.participant is not None:
        values["participants"] = [p for p in args.participant if p.strip()]
    if args.theme is not None:
        values["theme"] = args.theme
    if getattr(args, "network_wide", False):
        if args.theme is not None:
            raise UsageError("--theme and --network-wide exclude each other")
        values["theme"] = None
    return EventInput(**values)


async def cmd_event_add(args: argparse.Namespace, storage: Storage, settings: Settings) -> int:
    data = _input(args, None)
    event = await events.create_event(storage, data, settings.time_zone, now=datetime.now(UTC))
    await audit.record(storage, args.author, "event.create", f"event:{event.slug}", event.title)
    row = await _row(storage, event, settings)
    emit(args, row, f"Event {event.slug} published: {row['when']}.")
    return 0


async def cmd_event_edit(args: argparse.Namespace, storage: Storage, settings: Settings) -> int:
    before = await _event(storage, args.slug)
    members = {m.id: m.slug for m in await storage.list_members()}
    themes = {t.id: t.slug for t in await storage.list_themes()}
    theme = themes.get(before.theme_id) if before.theme_id is not None else None
    current = EventInput.from_event(before, settings.time_zone, members, theme)
    changed = _input(args, current)
    if changed == current:
        raise UsageError("nothing to change: give at least one option, e.g. --title")
    sequence = before.sequence if args.sequence is None else args.sequence
    after = await events.edit_event(storage, before.slug, changed, settings.time_zone, sequence)
    if after.sequence != before.sequence:
        detail = events.edit_detail(before, after)
        await audit.record(storage, args.author, "event.edit", f"event:{after.slug}", detail)
    row = await _row(storage, after, settings)
    emit(args, row, f"Event {after.slug} saved (sequence {after.sequence}).")
    return 0


async def cmd_event_status(args: argparse.Namespace, storage: Storage, settings: Settings) -> int:
    before = await _event(storage, args.slug)
    status, _ = STATUS_COMMANDS[args.status_command]
    sequence = before.sequence if args.sequence is None else args.sequence
    after = await events.set_status(storage, before.slug, status, sequence)
    action = events.STATUS_ACTIONS[(before.status, after.status)]
    await audit.record(storage, args.author, action, f"event:{after.slug}", after.title)
    row = await _row(storage, after, settings)
    emit(args, row, f"Event {after.slug}: {before.status} → {after.status}.")
    return 0


async def cmd_event_remove(args: argparse.Namespace, storage: Storage, settings: Settings) -> int:
    event = await events.delete_event(storage, (await _event(storage, args.slug)).slug)
    await audit.record(storage, args.author, "event.delete", f"event:{event.slug}", event.title)
    row = await _row(storage, event, settings)
    emit(args, row, f"Event {event.slug} deleted.")
    return 0
