"""The iCalendar serializer: tables of escaping and folding, and whole feeds parsed by
the icalendar library (hostile text comes back as the same text)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import icalendar
import pytest

from widget_server.core.models import Event
from widget_server.serving.calendar import FeedLabels, calendar, escape_text, fold

START = datetime(2027, 3, 14, 9, 0, tzinfo=UTC)
HOSTILE = 'Messe; "Hochzeit", \\n <script>alert(1)</script>\nEND:VEVENT\r\nBEGIN:VEVENT'


def event(**kw: object) -> Event:
    fields: dict[str, object] = {
        "id": 7,
        "slug": "hochzeitsmesse-2027-03-14",
        "theme_id": 1,
        "title": "Hochzeitsmesse",
        "description": "Alles für den großen Tag",
        "starts_at": START,
        "ends_at": START + timedelta(hours=7),
        "place_name": "Festscheune Wulfshof",
        "street": "Wulfshof 1",
        "postal_code": "25746",
        "town": "Heide",
        "participants": (1, 2),
        "sequence": 2,
        "created_at": datetime(2027, 1, 2, 8, 0, tzinfo=UTC),
        "updated_at": datetime(2027, 1, 5, 8, 30, tzinfo=UTC),
    }
    fields.update(kw)
    return Event(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("plain", "plain"),
        ("a,b", "a\\,b"),
        ("a;b", "a\\;b"),
        ("back\\slash", "back\\\\slash"),
        ("two\nlines", "two\\nlines"),
        ("crlf\r\nline", "crlf\\nline"),
        ("cr\rline", "cr\\nline"),
        ("\\n literal", "\\\\n literal"),
        ("bell\x07 gone\x7f", "bell gone"),
        ("Grüße: ok", "Grüße: ok"),
    ],
)
def test_text_values_are_escaped(text: str, escaped: str) -> None:
    assert escape_text(text) == escaped


@pytest.mark.parametrize(
    "line",
    [
        "SUMMARY:short",
        "SUMMARY:" + "x" * 67,  # exactly 75 octets: not folded
        "SUMMARY:" + "x" * 68,
        "DESCRIPTION:" + "y" * 400,
        "SUMMARY:" + "ä" * 100,  # two octets each: never split inside one
        "SUMMARY:" + "€" * 60 + "a",  # three octets each
        "SUMMARY:" + "💍" * 40,  # four octets each
    ],
)
def test_folding_keeps_lines_within_75_octets_and_characters_whole(line: str) -> None:
    folded = fold(line)
    parts = folded.split("\r\n")
    assert all(len(p.encode()) <= 75 for p in parts)
    assert all(p.startswith(" ") for p in parts[1:])
    assert folded.replace("\r\n ", "") == line
    if len(line.encode()) <= 75:
        assert folded == line


def test_feed_has_crlf_lines_within_75_octets() -> None:
    long = event(description="Sehr lange Beschreibung " * 30, title="Ä" * 80)
    feed = calendar([long], name="Hochzeit", host="partnerkreis.example")
    assert feed.endswith("END:VCALENDAR\r\n")
    assert "\n" not in feed.replace("\r\n", "")
    assert all(len(line.encode()) <= 75 for line in feed.split("\r\n"))


def parsed(feed: str) -> list[icalendar.Event]:
    cal = icalendar.Calendar.from_ical(feed)
    assert str(cal["VERSION"]) == "2.0"
    return list(cal.walk("VEVENT"))


def test_feed_parses_with_every_field() -> None:
    feed = calendar(
        [event(registration_url="https://scheune.example/anmeldung?a=1&b=2")],
        name="Hochzeit in Heide",
        host="partnerkreis.example",
        names={1: "Blumenhaus am Markt", 2: "Küstenküche Boie"},
        labels=FeedLabels(participants="With", registration="Registration"),
    )
    (vevent,) = parsed(feed)
    assert str(vevent["UID"]) == "event-7@partnerkreis.example"
    assert vevent["DTSTART"].dt == START
    assert vevent["DTEND"].dt == START + timedelta(hours=7)
    assert vevent["DTSTAMP"].dt == datetime(2027, 1, 5, 8, 30, tzinfo=UTC)
    assert int(vevent["SEQUENCE"]) == 2
    assert str(vevent["STATUS"]) == "CONFIRMED"
    assert str(vevent["SUMMARY"]) == "Hochzeitsmesse"
    assert str(vevent["LOCATION"]) == "Festscheune Wulfshof, Wulfshof 1, 25746 Heide"
    assert str(vevent["URL"]) == "https://scheune.example/anmeldung?a=1&b=2"
    assert str(vevent["DESCRIPTION"]) == (
        "Alles für den großen Tag\n\nWith: Blumenhaus am Markt, Küstenküche Boie"
        "\n\nRegistration: https://scheune.example/anmeldung?a=1&b=2"
    )


def test_hostile_text_survives_as_text_in_one_event() -> None:
    hostile = event(title=HOSTILE, description=HOSTILE, place_name=HOSTILE, town="Heide, Holstein")
    feed = calendar([hostile, event(id=8)], name=HOSTILE, host="partnerkreis.example")
    first, second = parsed(feed)
    clean = HOSTILE.replace("\r\n", "\n")
    assert str(first["SUMMARY"]) == clean
    assert str(first["DESCRIPTION"]) == clean
    assert str(first["LOCATION"]).startswith(clean)
    assert str(second["UID"]) == "event-8@partnerkreis.example"
    # An X- property is unknown to the library: it comes back as written, escaped, one line.
    assert icalendar.Calendar.from_ical(feed)["X-WR-CALNAME"] == escape_text(HOSTILE)


def test_cancelled_is_marked_and_proposals_are_left_out() -> None:
    feed = calendar(
        [
            event(id=1, status="cancelled", sequence=3),
            event(id=2, status="proposed"),
            event(id=3, status="declined"),
        ],
        name="x",
        host="h.example",
    )
    (only,) = parsed(feed)
    assert str(only["UID"]) == "event-1@h.example"
    assert str(only["STATUS"]) == "CANCELLED"
    assert int(only["SEQUENCE"]) == 3


def test_same_events_give_the_same_bytes_and_an_edit_changes_them() -> None:
    one = calendar([event()], name="x", host="h.example")
    assert one == calendar([event()], name="x", host="h.example")
    edited = replace(event(), title="Neu", sequence=3)
    assert one != calendar([edited], name="x", host="h.example")


def test_empty_feed_is_a_valid_calendar_that_says_how_often_to_poll() -> None:
    feed = calendar([], name="Leer", host="h.example")
    assert parsed(feed) == []
    cal = icalendar.Calendar.from_ical(feed)
    assert cal["REFRESH-INTERVAL"].dt == timedelta(hours=1)
