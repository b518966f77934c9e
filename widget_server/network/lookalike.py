"""Names that mix alphabets, the trick of a look-alike ("Blumеnhaus" with a Cyrillic е).

Latin, Cyrillic and Greek share letters that look alike; a business name that
mixes them is almost always an imitation of another name.  It is not refused
(a real name may do it), but flagged for the coordinator.
"""

from __future__ import annotations

import unicodedata

CONFUSABLE_SCRIPTS = ("LATIN", "CYRILLIC", "GREEK")


def mixed_scripts(text: str) -> tuple[str, ...]:
    """The confusable alphabets the letters of ``text`` come from, when more than one."""
    found = set()
    for char in text:
        if unicodedata.category(char).startswith("L"):
            script = unicodedata.name(char, "").split(" ", 1)[0]
            if script in CONFUSABLE_SCRIPTS:
                found.add(script)
    return tuple(s for s in CONFUSABLE_SCRIPTS if s in found) if len(found) > 1 else ()
