"""Checking a member's logo before we store and serve it.

Logos are shown on other members' websites, so we accept only raster formats
browsers render without running anything (no SVG), recognised by their magic
bytes rather than a file name, with the dimensions read from the header before
anything is decoded (no decompression bombs).  Then Pillow decodes the image
and we store what it encodes anew: only pixels, never the uploaded bytes, so a
file that is also HTML or script (a polyglot) or carries metadata (EXIF with a
location, comments) loses all of it.  JPEG stays JPEG and WebP stays WebP;
PNG and GIF become PNG, an animated GIF its first frame.
"""

from __future__ import annotations

import hashlib
import io
import struct
import warnings

from PIL import Image

from widget_server.core.errors import ValidationError
from widget_server.core.models import Logo

MAX_BYTES = 512 * 1024
MIN_SIDE, MAX_SIDE = 16, 2048  # pixels


def _png(data: bytes) -> tuple[int, int] | None:
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        return None
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def _gif(data: bytes) -> tuple[int, int] | None:
    if data[:6] not in (b"GIF87a", b"GIF89a"):
        return None
    width, height = struct.unpack("<HH", data[6:10])
    return int(width), int(height)


def _webp(data: bytes) -> tuple[int, int] | None:
    if data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        return None
    chunk = data[12:16]
    if chunk == b"VP8X":
        width = int.from_bytes(data[24:27], "little") + 1
        height = int.from_bytes(data[27:30], "little") + 1
        return width, height
    if chunk == b"VP8 " and data[23:26] == b"\x9d\x01\x2a":
        width, height = struct.unpack("<HH", data[26:30])
        return int(width) & 0x3FFF, int(height) & 0x3FFF
    if chunk == b"VP8L" and data[20:21] == b"\x2f":
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    return None


def _jpeg(data: bytes) -> tuple[int, int] | None:
    if data[:3] != b"\xff\xd8\xff":
        return None
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:  # no length field
            i += 2
            continue
        (length,) = struct.unpack(">H", data[i + 2 : i + 4])
        # Start-of-frame markers carry the size (C4, C8 and CC are other tables).
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[i + 5 : i + 9])
            return int(width), int(height)
        i += 2 + length
    return None


_FORMATS = (("image/png", _png), ("image/jpeg", _jpeg), ("image/webp", _webp), ("image/gif", _gif))


def identify(data: bytes) -> tuple[str, int, int] | None:
    """(content type, width, height) of a supported image, else None."""
    for content_type, read_size in _FORMATS:
        try:
            size = read_size(data)
        except struct.error:  # truncated header
            size = None
        if size is not None:
            return content_type, size[0], size[1]
    return None


# Uploaded format -> (Pillow's name for it, what we store: Pillow format, content type)
_ENCODE = {
    "image/png": ("PNG", ("PNG", "image/png")),
    "image/gif": ("GIF", ("PNG", "image/png")),
    "image/jpeg": ("JPEG", ("JPEG", "image/jpeg")),
    "image/webp": ("WEBP", ("WEBP", "image/webp")),
}


def _reencode(data: bytes, content_type: str, size: tuple[int, int]) -> tuple[bytes, str]:
    """The image's pixels, encoded anew; ``ValidationError`` if they cannot be decoded."""
    source_format, (target_format, target_type) = _ENCODE[content_type]
    image: Image.Image
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=[source_format])
            if image.size != size:  # the header we checked must be the image decoded
                raise ValidationError("logo", "has a header that does not match its image")
            image.seek(0)  # an animation keeps its first frame
            image.load()
    except ValidationError:
        raise
    except (OSError, ValueError, SyntaxError, Warning, Image.DecompressionBombError) as exc:
        raise ValidationError("logo", "could not be read as an image") from exc
    if target_format == "JPEG":
        image = image.convert("RGB")
    elif image.mode not in ("RGB", "RGBA", "L", "LA", "P"):
        image = image.convert("RGBA")
    image.info = {}  # Pillow would write a JPEG comment, ICC profile or DPI from here
    out = io.BytesIO()
    # No info, exif or icc_profile passed on: nothing of the upload but its pixels.
    options = {"quality": 90} if target_format in ("JPEG", "WEBP") else {"optimize": True}
    image.save(out, format=target_format, **options)
    return out.getvalue(), target_type


def check_logo(member_id: int, data: bytes) -> tuple[Logo, bytes]:
    """The stored form of an uploaded logo and its bytes, or ``ValidationError`` saying why not.

    The bytes are the image encoded anew by us (see the module docstring).
    """
    if len(data) > MAX_BYTES:
        raise ValidationError("logo", f"is {len(data)} bytes, at most {MAX_BYTES} allowed")
    found = identify(data)
    if found is None:
        raise ValidationError("logo", "is not a PNG, JPEG, WebP or GIF image")
    content_type, width, height = found
    if not (MIN_SIDE <= width <= MAX_SIDE and MIN_SIDE <= height <= MAX_SIDE):
        raise ValidationError(
            "logo",
            f"is {width}×{height} pixels; each side must be {MIN_SIDE} to {MAX_SIDE} pixels",
        )
    clean, stored_type = _reencode(data, content_type, (width, height))
    logo = Logo(member_id, hashlib.sha256(clean).hexdigest(), stored_type, width, height)
    return logo, clean
