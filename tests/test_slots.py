"""The joint slot's pure rules (serving/slots.py): show values, choice, place, ledger shares."""

from __future__ import annotations

import math
from collections import Counter
from datetime import date
from types import SimpleNamespace
from typing import Any, cast

import pytest

from widget_server.core.models import SHOW_VALUES, Member, Placement, PlacementOptions
from widget_server.counting.events import CounterBuffer, ViewedSlot, credit_view
from widget_server.rotation import Slot
from widget_server.rotation.fairness import exposure
from widget_server.serving import slots
from widget_server.serving.indexed import Members
from widget_server.serving.snapshot import Snapshot

KEY = b"k" * 32
HOST = 1


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        ("partners", ()),
        ("", ()),
        ("offer", ("offer",)),
        ("partners,offer,event", ("offer", "event")),
        (" event , offer ,", ("offer", "event")),
        ("event,event", ("event",)),
    ],
)
def test_show_values_are_read_in_a_fixed_order(text: str, kinds: tuple[str, ...]) -> None:
    assert slots.parse_show(text) == kinds


@pytest.mark.parametrize("text", ["ads", "partners,Offer", "offer;event", "partners,<b>"])
def test_an_unknown_show_value_is_named(text: str) -> None:
    with pytest.raises(slots.ShowError) as caught:
        slots.parse_show(text)
    assert caught.value.value in text and caught.value.value not in SHOW_VALUES


def network(removed: tuple[int, ...] = ()) -> Snapshot:
    members = Members.of(
        Member(i, f"m{i}", f"M{i}", "", status="removed" if i in removed else "active")
        for i in range(1, 8)
    )
    return cast(Snapshot, SimpleNamespace(members=members))


def offer(ref: int, members: tuple[int, ...], theme: int = 1) -> slots.JointItem:
    return slots.JointItem("offer", ref, f"o{ref}", theme, "T", "", "", members)


def event(ref: int, members: tuple[int, ...], theme: int = 1) -> slots.JointItem:
    return slots.JointItem("event", ref, f"e{ref}", theme, "T", "", "", members)


def board(*items: slots.JointItem) -> slots.JointBoard:
    made = slots.JointBoard()
    made.install(items)
    return made


def placement(host: int = HOST, max_partners: int = 3, show: str | None = None) -> Placement:
    return Placement(10 + host, host, 1, PlacementOptions(max_partners=max_partners, show=show))


def test_each_candidate_is_shown_equally_often_on_every_host() -> None:
    joint = board(offer(1, (2, 3)), offer(2, (4, 5)), event(3, (6,)))
    for host in (1, 2, 7):
        shown = Counter(
            cast(
                slots.Chosen,
                slots.choose(joint, network(), placement(host), ("offer", "event"), b, KEY),
            ).item.id
            for b in range(3 * 40)
        )
        assert shown == {1: 40, 2: 40, 3: 40}


def test_the_choice_is_deterministic_and_follows_show() -> None:
    joint = board(offer(1, (2, 3)), event(3, (6,)))
    first = [
        slots.choose(joint, network(), placement(), ("offer", "event"), b, KEY) for b in range(6)
    ]
    again = [
        slots.choose(joint, network(), placement(), ("offer", "event"), b, KEY) for b in range(6)
    ]
    assert first == again
    only_offers = {
        cast(
            slots.Chosen, slots.choose(joint, network(), placement(), ("offer",), b, KEY)
        ).item.kind
        for b in range(6)
    }
    assert only_offers == {"offer"}
    assert slots.choose(joint, network(), placement(), (), 0, KEY) is None


def test_receivers_are_the_other_participants_still_members() -> None:
    item = offer(1, (HOST, 3, 2, 3, 6))
    assert slots.receivers(item, HOST, network(removed=(6,))) == (2, 3)


def test_an_offer_of_the_host_alone_is_not_its_slot_but_an_event_of_nobody_is() -> None:
    alone = board(offer(1, (HOST,)))
    assert slots.choose(alone, network(), placement(), ("offer",), 0, KEY) is None
    assert slots.choose(alone, network(), placement(host=2), ("offer",), 0, KEY) is not None
    own_event = board(event(1, (HOST,)))
    assert slots.choose(own_event, network(), placement(), ("event",), 0, KEY) is None
    open_event = board(event(1, ()))
    chosen = slots.choose(open_event, network(), placement(), ("event",), 0, KEY)
    assert chosen is not None and chosen.receivers == ()


def test_another_themes_items_are_not_candidates() -> None:
    joint = board(offer(1, (2, 3), theme=2))
    assert slots.choose(joint, network(), placement(), ("offer",), 0, KEY) is None


def drawn(n: int) -> tuple[Slot, ...]:
    return tuple(Slot(member_id=100 + i, position=i + 1) for i in range(n))


@pytest.mark.parametrize(
    ("partners", "max_partners", "kept", "position"),
    [
        (3, 3, 2, 3),  # full: the last partner gives its place
        (2, 3, 2, 3),  # a place free: the slot takes it
        (0, 3, 0, 1),  # no partners: the slot alone
        (1, 1, 1, 2),  # one place: the partner stays, the slot is added
        (6, 6, 5, 6),
    ],
)
def test_the_slot_takes_the_last_place(
    partners: int, max_partners: int, kept: int, position: int
) -> None:
    assert slots.place(drawn(partners), max_partners) == (drawn(kept), position)


def test_the_receivers_share_the_slots_exposure_in_the_ledger() -> None:
    chosen = slots.Chosen(offer(1, (2, 3, 4)), (2, 3, 4))
    partners = (Slot(5, 1), Slot(6, 2, pinned=True, counts=False))
    entries = slots.view_entries(partners, chosen, 3)
    assert entries == [(5, 1, 1), (6, 2, 0), (2, 3, 3), (3, 3, 3), (4, 3, 3)]
    buffer = CounterBuffer()
    day = date(2027, 1, 15)
    credit_view(buffer, day, 1, HOST, [ViewedSlot(*e) for e in entries])
    rows = {r.partner_id: r for r in buffer.drain()}
    assert rows[5].exposure == exposure(1)
    assert rows[6].exposure == 0.0
    for member_id in (2, 3, 4):
        assert rows[member_id].count == 1
        assert math.isclose(rows[member_id].exposure, exposure(3) / 3)
    given = sum(r.exposure for r in rows.values())
    assert math.isclose(given, exposure(1) + exposure(3))  # the host gave the slot's place once


def test_the_kind_label_is_the_cards_category_in_its_language() -> None:
    chosen = slots.Chosen(offer(1, (2,)), (2,))
    card: dict[str, Any] = slots.slot_card(
        chosen, lang="en", zone="Europe/Berlin", url="u", base_url="b", rel="r"
    )
    assert card["category"] == "Joint offer" and card["kind"] == "offer"
    assert card["description"] == ""
