"""Prose the coordinators write (a theme page's introduction): plain text in paragraphs.

No markup language at all, not even a "safe subset": the text is stored as
typed and every page escapes it like any other text.  Structure comes from the
lines alone: a blank line starts a new paragraph, a single line break stays a
line break.  So there is nothing to sanitise and nothing a hostile text could
smuggle through; a ``<b>`` shows as the characters ``<b>``.
"""

from __future__ import annotations

import re
import unicodedata

from widget_server.core.errors import ValidationError

MAX_INTRO = 3000  # characters: a few paragraphs, not a web site
MAX_PARAGRAPHS = 20

_BLANK_LINES = re.compile(r"\n[ \t\f\v]*(?:\n[ \t\f\v]*)+")
# Bidirectional controls: stripped as from every other text (network/services.py).
_BIDI = dict.fromkeys([0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)])


def check_prose(field: str, value: str, *, limit: int = MAX_INTRO) -> str:
    """``value`` tidied: lines without outer or repeated spaces, paragraphs one blank line
    apart, no control characters but the line breaks, at most ``limit`` characters."""
    text = value.translate(_BIDI).replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\u2028", "\n").replace("\u2029", "\n\n")
    text = _BLANK_LINES.sub("\n\n", text)
    lines = [" ".join(line.split()) for line in text.split("\n")]
    text = "\n".join(lines).strip("\n")
    if any(unicodedata.category(ch) in ("Cc", "Cs") for ch in text if ch != "\n"):
        raise ValidationError(field, "contains control characters")
    if len(text) > limit:
        raise ValidationError(field, f"is {len(text)} characters long, at most {limit} allowed")
    if len(paragraphs(text)) > MAX_PARAGRAPHS:
        raise ValidationError(field, f"has more than {MAX_PARAGRAPHS} paragraphs")
    return text


def paragraphs(text: str) -> list[list[str]]:
    """The paragraphs of a checked text, each a list of its lines."""
    return [block.split("\n") for block in text.split("\n\n") if block.strip()]
