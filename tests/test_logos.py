"""Logo checks: format by magic bytes, size and dimensions; and how logos are served."""

from __future__ import annotations

import hashlib
import io
import struct

import httpx
import pytest
from PIL import Image
from starlette.applications import Starlette

from tests.images import image, pixels, png
from widget_server.core.errors import ValidationError
from widget_server.core.signing import Signer
from widget_server.network.logos import MAX_BYTES, check_logo
from widget_server.network.services import set_logo
from widget_server.storage import SQLiteStorage


def header_only_gif(width: int, height: int) -> bytes:
    """A GIF header and nothing else: the size is read before anything is decoded."""
    return b"GIF89a" + struct.pack("<HH", width, height) + b"\x00\x00\x00;"


@pytest.mark.parametrize(
    ("data", "content_type", "size"),
    [
        (png(64, 32), "image/png", (64, 32)),
        (image(100, 50, "GIF"), "image/png", (100, 50)),  # GIF is stored as PNG
        (image(300, 200, "JPEG"), "image/jpeg", (300, 200)),
        (image(128, 96, "WEBP"), "image/webp", (128, 96)),
    ],
)
def test_logo_format_and_size_are_read_from_the_bytes(
    data: bytes, content_type: str, size: tuple[int, int]
) -> None:
    logo, stored = check_logo(7, data)
    assert (logo.content_type, (logo.width, logo.height)) == (content_type, size)
    assert logo.member_id == 7
    assert logo.digest == hashlib.sha256(stored).hexdigest()
    assert pixels(stored)[1] == size


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "not a PNG"),
        (b"", "not a PNG"),
        (b"\x89PNG\r\n\x1a\n", "not a PNG"),  # truncated header
        (png(8, 64), "8×64 pixels"),
        (header_only_gif(4000, 100), "4000×100 pixels"),
        (b"GIF89a" + b"\x00" * (MAX_BYTES + 1), "bytes"),
        (header_only_gif(64, 64), "could not be read"),  # a header with no image behind it
        (png(64, 64)[:60], "could not be read"),  # cut off
    ],
)
def test_bad_logos_are_rejected_with_a_reason(data: bytes, reason: str) -> None:
    with pytest.raises(ValidationError) as caught:
        check_logo(1, data)
    assert caught.value.field == "logo"
    assert reason in caught.value.reason


POLYGLOT_TAIL = b"<script>alert(document.domain)</script><html><body onload=alert(1)>"


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "GIF", "WEBP"])
def test_only_the_pixels_of_an_upload_are_stored(fmt: str) -> None:
    """A polyglot (an image that is also HTML or script) keeps nothing but its picture."""
    upload = image(64, 48, fmt) + POLYGLOT_TAIL
    _, stored = check_logo(1, upload)
    assert b"<script" not in stored and b"onload" not in stored
    assert pixels(stored)[1] == (64, 48)


def test_exif_and_comments_of_a_photo_are_dropped() -> None:
    exif = Image.Exif()
    exif[0x010E] = "Hochzeit bei Familie Muster, Deichstraße 7"  # ImageDescription
    exif[0x8825] = {2: (54.0, 11.0, 0.0)}  # GPS latitude
    upload = image(200, 100, "JPEG", exif=exif.tobytes(), comment=b"camera owner: Anna")
    assert b"Deichstra" in upload
    _, stored = check_logo(1, upload)
    assert b"Deichstra" not in stored and b"Anna" not in stored
    with Image.open(io.BytesIO(stored)) as picture:
        assert not picture.getexif()


def test_an_animated_gif_keeps_its_first_frame() -> None:
    frames = [Image.new("RGB", (32, 32), colour) for colour in ("red", "blue", "green")]
    out = io.BytesIO()
    frames[0].save(out, format="GIF", save_all=True, append_images=frames[1:], duration=100)
    logo, stored = check_logo(1, out.getvalue())
    assert logo.content_type == "image/png"
    with Image.open(io.BytesIO(stored)) as picture:
        assert getattr(picture, "n_frames", 1) == 1
        assert picture.convert("RGB").getpixel((5, 5)) == (255, 0, 0)


@pytest.mark.asyncio
async def test_logo_is_served_by_us_and_shown_in_blocks(
    network: dict[str, int],
    storage: SQLiteStorage,
    app: Starlette,
    client: httpx.AsyncClient,
    signer: Signer,
) -> None:
    upload = png(48, 48)
    for slug in network:
        await set_logo(storage, slug, upload)
    await app.state.runtime.snapshots.refresh()
    block = (await client.get(f"/w/{signer.embed_token(network['blumen'])}")).json()
    logo_url = block["partners"][0]["logo"]
    assert logo_url.startswith("http://testserver/logos/")
    response = await client.get(logo_url)
    assert response.status_code == 200
    assert pixels(response.content) == pixels(upload)
    assert response.headers["content-type"] == "image/png"
    assert "immutable" in response.headers["cache-control"]
    assert "sandbox" in response.headers["content-security-policy"]
    stale = logo_url.rsplit("-", 1)[0] + "-0000000000000000.png"
    assert (await client.get(stale)).status_code == 404
