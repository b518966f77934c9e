"""Real images for the logo tests, made with Pillow (what the server decodes)."""

from __future__ import annotations

import io

from PIL import Image


def image(width: int, height: int, fmt: str = "PNG", **options: object) -> bytes:
    """A decodable image of ``width`` x ``height`` in ``fmt`` (PNG, JPEG, WEBP, GIF)."""
    picture = Image.new("RGB", (width, height), (204, 51, 102))
    out = io.BytesIO()
    picture.save(out, format=fmt, **options)
    return out.getvalue()


def png(width: int, height: int) -> bytes:
    return image(width, height)


def pixels(data: bytes) -> tuple[str | None, tuple[int, int], bytes]:
    """(format, size, RGBA pixels) of an encoded image: what a browser would show."""
    with Image.open(io.BytesIO(data)) as picture:
        return picture.format, picture.size, picture.convert("RGBA").tobytes()
