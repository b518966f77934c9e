"""The demo's joint offer: the wedding cluster's "Hochzeitspaket" (dress, flowers, cake, car).

Proposed and confirmed through the same service functions members use in
their portals, so the demo shows a live offer at ``/o/hochzeitspaket``.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from widget_server.demo.data import WEDDING
from widget_server.network import offers
from widget_server.storage import Storage

PROPOSER = "brautmoden-carstens"
PARTNERS = ("blumenhaus-am-markt", "konditorei-rathje", "hochzeitsautos-thiessen")
WEDDING_PACKAGE = offers.Proposal(
    theme=WEDDING,
    title="Hochzeitspaket",
    price_text="Kleid, Brautstrauß, Torte und Hochzeitsauto zusammen 10 % günstiger",
    text=(
        "Brautkleid von Brautmoden Carstens, Brautstrauß und Tischschmuck vom Blumenhaus "
        "am Markt, die Hochzeitstorte der Konditorei Rathje und der Oldtimer von "
        "Hochzeitsautos Thiessen – aufeinander abgestimmt, mit einem Termin für alles.\n\n"
        "Sagen Sie bei Ihrem ersten Besuch in einem der vier Betriebe einfach "
        "„Hochzeitspaket“."
    ),
    valid_from=date.min,  # replaced by the seeding day
    valid_until=date.min,
    participants=PARTNERS,
)


async def seed_offers(storage: Storage, today: date) -> None:
    """The Hochzeitspaket, live from a fortnight before ``today`` for almost a year."""
    proposal = replace(
        WEDDING_PACKAGE,
        valid_from=today - timedelta(days=14),
        valid_until=today + timedelta(days=offers.MAX_DAYS - 20),
    )
    proposer = await storage.get_member(PROPOSER)
    offer = await offers.propose(storage, proposer, proposal, today)
    for slug in PARTNERS:
        await offers.confirm(storage, offer.id, await storage.get_member(slug), True)
