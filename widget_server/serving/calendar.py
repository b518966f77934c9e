"""The events as an iCalendar feed (RFC 5545): pure string building.

What calendars rely on, and why it is done so here:

- Lines end in CRLF and are folded at 75 octets (of UTF-8, never inside a
  character); a continuation line starts with one space (3.1).
- TEXT values escape backslash, semicolon, comma and newlines (3.3.11), so
  member text cannot end a property or start a new one.
- ``UID`` is the event's id at the server's host: stable over edits, so a
  subscribed calendar updates the event instead of adding a second one;
  ``SEQUENCE`` is the event's count of changes, so the newer version wins.
- ``DTSTAMP`` (and ``LAST-MODIFIED``) are the event's last change, not the
  request's time: the same data gives the same bytes, and so the same ETag.
- Times are in UTC (``...Z``), which needs no ``VTIMEZONE``; calendars show
  them in the reader's own zone.
- A cancelled event stays in the feed with ``STATUS:CANCELLED`` until it is
  over, so calendars that subscribed drop it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from widget_server.core.models import Event

LIMIT = 75  # octets per line, CRLF not counted
PRODID = "-//Partnerkreis//Events 1.0//DE"
# C0 controls but tab and newline, and DEL: dropped from TEXT values.
_CONTROLS = dict.fromkeys([*range(0x00, 0x09), *range(0x0B, 0x20), 0x7F])


def escape_text(value: str) -> str:
    """A TEXT value: ``\\`` ``;`` ``,`` and newlines escaped, other control characters dropped."""
    value = value.replace("\r\n", "\n").replace("\r", "\n").translate(_CONTROLS)
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def fold(line: str) -> str:
    """One content line folded into lines of at most 75 octets, joined by CRLF + space.

    Cut on the UTF-8 bytes (a feed's cost is mostly here: no loop per character),
    stepping back over continuation bytes so no character is split.
    """
    data = line.encode()
    if len(data) <= LIMIT:
        return line
    parts: list[bytes] = []
    start, room = 0, LIMIT
    while len(data) - start > room:
        end = start + room
        while data[end] & 0xC0 == 0x80:  # inside a character: cut before it
            end -= 1
        parts.append(data[start:end])
        start, room = end, LIMIT - 1  # the leading space of a continuation line counts
    parts.append(data[start:])
    return b"\r\n ".join(parts).decode()


def utc_stamp(moment: datetime) -> str:
    """``20270314T090000Z``: a DATE-TIME in UTC form."""
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


@dataclass(frozen=True)
class FeedLabels:
    """The few words of a feed in the reader's language."""

    participants: str = "Mit"  # "Mit: Blumenhaus am Markt, Festscheune Wulfshof"
    registration: str = "Anmeldung"


def location(event: Event) -> str:
    """``Festscheune Wulfshof, Wulfshof 1, 25746 Heide``: the parts that are given."""
    town = " ".join(p for p in (event.postal_code, event.town) if p)
    return ", ".join(p for p in (event.place_name, event.street, town) if p)


def event_lines(event: Event, host: str, names: Mapping[int, str], labels: FeedLabels) -> list[str]:
    """The content lines (unfolded) of one VEVENT."""
    text = event.description
    who = [names[i] for i in event.participants if i in names]
    if who:
        text = f"{text}\n\n{labels.participants}: {', '.join(who)}".strip()
    if event.registration_url:
        text = f"{text}\n\n{labels.registration}: {event.registration_url}".strip()
    lines = [
        "BEGIN:VEVENT",
        f"UID:event-{event.id}@{host}",
        f"DTSTAMP:{utc_stamp(event.updated_at)}",
        f"CREATED:{utc_stamp(event.created_at)}",
        f"LAST-MODIFIED:{utc_stamp(event.updated_at)}",
        f"SEQUENCE:{event.sequence}",
        f"DTSTART:{utc_stamp(event.starts_at)}",
        f"DTEND:{utc_stamp(event.ends_at)}",
        f"SUMMARY:{escape_text(event.title)}",
        f"STATUS:{'CANCELLED' if event.status == 'cancelled' else 'CONFIRMED'}",
        "TRANSP:OPAQUE",
    ]
    if text:
        lines.append(f"DESCRIPTION:{escape_text(text)}")
    place = location(event)
    if place:
        lines.append(f"LOCATION:{escape_text(place)}")
    if event.registration_url:
        # A URI value, not TEXT: not escaped (validated as an http(s) URL without spaces).
        lines.append(f"URL:{event.registration_url}")
    lines.append("END:VEVENT")
    return lines


def calendar(
    events: Iterable[Event],
    *,
    name: str,
    host: str,
    names: Mapping[int, str] | None = None,
    labels: FeedLabels | None = None,
) -> str:
    """The VCALENDAR of ``events``: folded lines, each ended by CRLF.

    ``host`` makes the UIDs (the server's public host); ``names`` are the
    participating members' names by id.
    """
    lines: list[str] = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape_text(name)}",
        # How often to poll (RFC 7986, and the older name some programs read).
        "REFRESH-INTERVAL;VALUE=DURATION:PT1H",
        "X-PUBLISHED-TTL:PT1H",
    ]
    for event in events:
        if event.status in ("published", "cancelled"):
            lines.extend(event_lines(event, host, names or {}, labels or FeedLabels()))
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)
