"""The block's joint slot through the SDK against the real app: ``show``, cards, placements."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from starlette.applications import Starlette

from partnerkreis import AsyncClient, ValidationError

from .conftest import THEME, client_for

pytestmark = [pytest.mark.asyncio, pytest.mark.app]


async def live_offer(app: Starlette, coordinator: AsyncClient, member: AsyncClient) -> str:
    """A live joint offer of blumenhaus and catering, read into the server's joint board."""
    today = datetime.now(UTC).date()
    offer = await member.offers.create(
        theme=THEME,
        title="Hochzeitspaket <b>",
        price_text="zusammen 10 % günstiger",
        text="Blumen & Torte",
        valid_from=today,
        valid_until=today + timedelta(days=30),
        participants=["catering"],
    )
    catering_key = await coordinator.keys.create(scope="member:catering", name="catering cms")
    assert catering_key.key
    async with client_for(app, catering_key.key) as catering:
        assert (await catering.offers.confirm(offer.slug)).live
    runtime = app.state.runtime
    await runtime.joint.load(runtime.storage, runtime.clock())  # what its 30 s reader does
    return offer.slug


async def test_a_block_with_show_has_the_offer_as_its_last_card(
    app: Starlette, coordinator: AsyncClient, member: AsyncClient
) -> None:
    plain = await coordinator.blocks.get(THEME, member="fotos", raise_errors=True)
    await live_offer(app, coordinator, member)
    again = await coordinator.blocks.get(THEME, member="fotos", raise_errors=True)
    assert [p.kind for p in again.partners] == [None] * len(plain.partners)
    block = await coordinator.blocks.get(
        THEME, member="fotos", show="partners,offer", raise_errors=True
    )
    slot = block.partners[-1]
    assert slot.kind == "offer"
    assert slot.name == "Hochzeitspaket <b>"
    assert slot.category == "Gemeinsames Angebot"
    assert slot.url.startswith("http://testserver/c/")
    assert all(p.kind is None for p in block.partners[:-1])
    assert len(block.partners) == 3
    html = str(block)
    assert 'class="pk-item pk-offer"' in html
    assert "Hochzeitspaket &lt;b&gt;" in html and "<b>" not in html


async def test_a_participating_host_shows_its_joint_offer(
    app: Starlette, coordinator: AsyncClient, member: AsyncClient
) -> None:
    await live_offer(app, coordinator, member)
    own = await member.blocks.get(THEME, member="blumenhaus", show="offer", raise_errors=True)
    # blumenhaus takes part with catering: it shows the offer, crediting catering.
    assert own.partners[-1].kind == "offer"
    catering = await coordinator.blocks.get(
        THEME, member="catering", show="offer", raise_errors=True
    )
    assert catering.partners[-1].kind == "offer"


async def test_an_unknown_show_value_is_refused(member: AsyncClient) -> None:
    with pytest.raises(ValidationError) as caught:
        await member.blocks.get(THEME, member="blumenhaus", show="partners,ads", raise_errors=True)
    assert "ads" in str(caught.value)


async def test_a_placement_keeps_its_show_option(
    app: Starlette, coordinator: AsyncClient, member: AsyncClient
) -> None:
    placement = await member.placements.create("blumenhaus", theme=THEME, show="offer")
    assert placement.show == "partners,offer"
    again = await member.placements.create("blumenhaus", theme=THEME, show="partners,offer")
    assert again.id == placement.id  # equal options, the same placement
    with pytest.raises(ValidationError) as caught:
        await member.placements.create("blumenhaus", theme=THEME, show="everything")
    assert "show" in str(caught.value)
