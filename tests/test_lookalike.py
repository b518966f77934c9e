"""Names that mix alphabets are flagged for the coordinator (a look-alike of another business)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio

from tests.admin_helpers import make_account, signed_in
from widget_server.network.lookalike import mixed_scripts
from widget_server.network.services import MemberInput, add_member
from widget_server.storage import SQLiteStorage

LOOKALIKE = "Blum\u0435nhaus am Markt"  # a Cyrillic е among Latin letters


@pytest.mark.parametrize(
    ("name", "scripts"),
    [
        ("Blumenhaus am Markt", ()),
        ("Bäckerei Öztürk & Söhne", ()),  # accents are Latin
        ("Küstenküche 2000 – Catering", ()),
        (LOOKALIKE, ("LATIN", "CYRILLIC")),
        ("Ρizzeria Roma", ("LATIN", "GREEK")),  # a Greek capital rho
        ("Магазин", ()),  # all Cyrillic is a name, not a trick
        ("Café 東京", ()),  # other scripts beside Latin are not look-alikes
        ("", ()),
    ],
)
def test_mixed_alphabets_are_found(name: str, scripts: tuple[str, ...]) -> None:
    assert mixed_scripts(name) == scripts


@pytest_asyncio.fixture
async def admin(
    network: dict[str, int], storage: SQLiteStorage, client: httpx.AsyncClient
) -> AsyncIterator[httpx.AsyncClient]:
    await add_member(
        storage,
        MemberInput(
            slug="blumen-2",
            name=LOOKALIKE,
            website="https://blumen-2.example/",
            category="flowers",
            themes=("hochzeit",),
        ),
    )
    await make_account(storage)
    await signed_in(client)
    yield client


@pytest.mark.asyncio
async def test_the_admin_flags_a_look_alike_name_in_the_list_and_on_its_page(
    admin: httpx.AsyncClient,
) -> None:
    listing = (await admin.get("/admin/members")).text
    assert listing.count("Gemischte Alphabete") == 1  # only the look-alike, not the original
    row = listing[listing.index(LOOKALIKE) :]
    assert "Gemischte Alphabete" in row[: row.index("</tr>")]
    page = (await admin.get("/admin/members/blumen-2")).text
    assert "lateinisch, kyrillisch" in page
    english = (await admin.get("/admin/members/blumen-2?lang=en")).text
    assert "Mixed alphabets" in english and "Latin, Cyrillic" in english
    assert "Gemischte Alphabete" not in (await admin.get("/admin/members/blumen")).text
