"""Logo checks: format by magic bytes, size and dimensions; and how logos are served."""

from __future__ import annotations

import struct
import zlib

import httpx
import pytest
from starlette.applications import Starlette

from widget_server.core.errors import ValidationError
from widget_server.core.signing import Signer
from widget_server.network.logos import MAX_BYTES, check_logo
from widget_server.network.services import set_logo
from widget_server.storage import SQLiteStorage


def png(width: int, height: int) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body)
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    raw = b"".join(b"\x00" + b"\xcc\x33\x66" * width for _ in range(height))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def gif(width: int, height: int) -> bytes:
    return b"GIF89a" + struct.pack("<HH", width, height) + b"\x00\x00\x00;"


def jpeg(width: int, height: int) -> bytes:
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    sof0 = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00"
    return b"\xff\xd8" + app0 + sof0 + b"\xff\xd9"


def webp(width: int, height: int) -> bytes:
    vp8x = b"VP8X" + struct.pack("<I", 10) + b"\x00\x00\x00\x00"
    vp8x += (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    return b"RIFF" + struct.pack("<I", 4 + len(vp8x)) + b"WEBP" + vp8x


@pytest.mark.parametrize(
    ("data", "content_type", "size"),
    [
        (png(64, 32), "image/png", (64, 32)),
        (gif(100, 50), "image/gif", (100, 50)),
        (jpeg(300, 200), "image/jpeg", (300, 200)),
        (webp(128, 96), "image/webp", (128, 96)),
    ],
)
def test_logo_format_and_size_are_read_from_the_bytes(
    data: bytes, content_type: str, size: tuple[int, int]
) -> None:
    logo = check_logo(7, data)
    assert (logo.content_type, (logo.width, logo.height)) == (content_type, size)
    assert logo.member_id == 7
    assert len(logo.digest) == 64


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "not a PNG"),
        (b"", "not a PNG"),
        (b"\x89PNG\r\n\x1a\n", "not a PNG"),  # truncated header
        (png(8, 64), "8×64 pixels"),
        (gif(4000, 100), "4000×100 pixels"),
        (b"GIF89a" + b"\x00" * (MAX_BYTES + 1), "bytes"),
    ],
)
def test_bad_logos_are_rejected_with_a_reason(data: bytes, reason: str) -> None:
    with pytest.raises(ValidationError) as caught:
        check_logo(1, data)
    assert caught.value.field == "logo"
    assert reason in caught.value.reason


@pytest.mark.asyncio
async def test_logo_is_served_by_us_and_shown_in_blocks(
    network: dict[str, int],
    storage: SQLiteStorage,
    app: Starlette,
    client: httpx.AsyncClient,
    signer: Signer,
) -> None:
    image = png(48, 48)
    for slug in network:
        await set_logo(storage, slug, image)
    await app.state.runtime.snapshots.refresh()
    block = (await client.get(f"/w/{signer.embed_token(network['blumen'])}")).json()
    logo_url = block["partners"][0]["logo"]
    assert logo_url.startswith("http://testserver/logos/")
    response = await client.get(logo_url)
    assert response.status_code == 200
    assert response.content == image
    assert response.headers["content-type"] == "image/png"
    assert "immutable" in response.headers["cache-control"]
    assert "sandbox" in response.headers["content-security-policy"]
    stale = logo_url.rsplit("-", 1)[0] + "-0000000000000000.png"
    assert (await client.get(stale)).status_code == 404
