"""Joint offers through the SDK against the real app in-process (``AsyncClient``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from starlette.applications import Starlette

from partnerkreis import AsyncClient, ConflictError, Offer, PermissionDeniedError, ValidationError

from .conftest import THEME, client_for

pytestmark = [pytest.mark.asyncio, pytest.mark.app]


async def test_propose_confirm_approve_and_the_page(
    app: Starlette, coordinator: AsyncClient, member: AsyncClient
) -> None:
    await coordinator.rules.update(THEME, rules={"portal": {"approve_offers": True}})
    today = datetime.now(UTC).date()
    offer = await member.offers.create(
        theme=THEME,
        title="Hochzeitspaket <b>",
        price_text="zusammen 10 % günstiger",
        text="Blumen & Torte",
        valid_from=today,
        valid_until=today + timedelta(days=30),
        participants=["catering"],
        idempotency_key="paket-1",
    )
    assert isinstance(offer, Offer)
    assert (offer.title, offer.proposer, offer.state, offer.needs_approval) == (
        "Hochzeitspaket <b>",
        "blumenhaus",
        "waiting",
        True,
    )
    assert offer.valid_until == (today + timedelta(days=30)).isoformat()
    assert [(p.member, p.confirmed) for p in offer.participants] == [
        ("blumenhaus", True),
        ("catering", False),
    ]
    catering_key = await coordinator.keys.create(scope="member:catering", name="catering cms")
    assert catering_key.key
    async with client_for(app, catering_key.key) as catering:
        confirmed = await catering.offers.confirm(offer.slug)
    assert confirmed.state == "approval" and not confirmed.live
    approved = await coordinator.offers.approve(offer.slug)
    assert approved.live and approved.page_url == f"/o/{offer.slug}"
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as browser:
        page = await browser.get(approved.page_url)
    assert page.status_code == 200 and "Hochzeitspaket &lt;b&gt;" in page.text
    assert [o.slug async for o in member.offers.list()] == [offer.slug]
    assert (await member.offers.get(offer.slug)) == approved
    withdrawn = await member.offers.withdraw(offer.slug)
    assert (withdrawn.state, withdrawn.live) == ("waiting", False)
    removed = await coordinator.offers.remove(offer.slug)
    assert removed.status == "removed"
    with pytest.raises(ConflictError):
        await coordinator.offers.approve(offer.slug)


async def test_errors_name_the_field_and_keys_see_their_own(
    coordinator: AsyncClient, member: AsyncClient
) -> None:
    today = datetime.now(UTC).date()
    with pytest.raises(ValidationError) as bad:
        await member.offers.create(
            theme=THEME,
            title="Paket",
            price_text="10 %",
            valid_from=today,
            valid_until=today - timedelta(days=1),
            participants=["catering"],
        )
    assert bad.value.field == "valid_until"
    other = await coordinator.offers.create(
        theme=THEME,
        title="Fotos und Scheune",
        price_text="5 %",
        valid_from=today,
        valid_until=today,
        participants=["scheune"],
        proposer="fotos",
    )
    assert [o.slug async for o in coordinator.offers.list(status="proposed")] == [other.slug]
    with pytest.raises(PermissionDeniedError):
        await member.offers.get(other.slug)  # blumenhaus takes no part in it
    confirmed = await coordinator.offers.confirm(other.slug, member="scheune")
    assert confirmed.live


def png_bytes(width: int, height: int) -> bytes:
    """A real PNG image, made with Pillow (the server's own dependency)."""
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 90)).save(out, format="PNG")
    return out.getvalue()


async def test_update_with_the_revision_the_image_and_the_end(
    app: Starlette, coordinator: AsyncClient, member: AsyncClient
) -> None:
    today = datetime.now(UTC).date()
    offer = await member.offers.create(
        theme=THEME,
        title="Paket",
        price_text="10 %",
        valid_from=today,
        valid_until=today + timedelta(days=10),
        participants=["catering"],
    )
    await coordinator.offers.confirm(offer.slug, member="catering", revision=offer.revision)
    titled = await member.offers.update(offer.slug, revision=0, title="Das Paket")
    assert (titled.title, titled.revision, titled.live) == ("Das Paket", 1, True)
    with pytest.raises(ConflictError):  # made on an old copy
        await member.offers.update(offer.slug, revision=0, price_text="15 %")
    moved = await member.offers.update(
        offer.slug, revision=1, valid_until=today + timedelta(days=20), price_text="15 %"
    )
    assert (moved.revision, moved.state) == (2, "waiting")  # catering is asked again
    assert moved.valid_until == (today + timedelta(days=20)).isoformat()
    with_image = await member.offers.set_image(offer.slug, data=png_bytes(48, 32), revision=2)
    assert with_image.image_url is not None and with_image.revision == 3
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as browser:
        served = await browser.get(with_image.image_url)
    assert served.status_code == 200 and served.headers["content-type"] == "image/png"
    with pytest.raises(ValidationError) as bad:
        await member.offers.set_image(offer.slug, data=b"<svg/>", content_type="image/svg+xml")
    assert bad.value.field == "image"
    assert (await member.offers.remove_image(offer.slug)).image_url is None
    ended = await member.offers.end(offer.slug)
    assert (ended.status, ended.state) == ("removed", "removed")
