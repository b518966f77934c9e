"""User-facing text in German (default) and English."""

from __future__ import annotations

from collections.abc import Callable

from .models import LANGUAGES

DEFAULT_LANG = "de"

MESSAGES: dict[str, dict[str, str]] = {
    "de": {
        "heading.topic": "Unsere Partner zum Thema {theme}",
        "heading.local": "Unsere Partner aus {theme}",
        "label": "Partner im Netzwerk {theme}",
        "more": "Alle Partner ansehen",
        "directory.title": "Partner im Netzwerk {theme}",
        "directory.empty": "Noch keine aktiven Partner.",
        "directory.website": "Website",
        "directory.about_title": "Was ist Partnerkreis?",
        "directory.about": (
            "Kleine Unternehmen empfehlen sich gegenseitig: Jedes zeigt auf seiner Website"
            " seine Partner, und alle werden gemeinsam besser gefunden. Besucher werden dabei"
            " nicht verfolgt: keine Cookies, keine gespeicherten IP-Adressen."
        ),
        "directory.lang": "Sprache",
        "frame.title": "Partner im Netzwerk {theme}",
    },
    "en": {
        "heading.topic": "Our partners for {theme}",
        "heading.local": "Our partners from {theme}",
        "label": "Partners in the {theme} network",
        "more": "See all partners",
        "directory.title": "Partners in the {theme} network",
        "directory.empty": "No active partners yet.",
        "directory.website": "Website",
        "directory.about_title": "What is Partnerkreis?",
        "directory.about": (
            "Small businesses recommend each other: each one shows its partners on its"
            " website, and together they are found more easily. Visitors are not tracked:"
            " no cookies, no stored IP addresses."
        ),
        "directory.lang": "Language",
        "frame.title": "Partners in the {theme} network",
    },
}


def pick_language(*candidates: str | None) -> str:
    """The first supported language among ``candidates``, else German."""
    for lang in candidates:
        if lang and lang[:2].lower() in LANGUAGES:
            return lang[:2].lower()
    return DEFAULT_LANG


def translate(lang: str, key: str, **values: object) -> str:
    table = MESSAGES.get(lang, MESSAGES[DEFAULT_LANG])
    text = table.get(key) or MESSAGES[DEFAULT_LANG][key]
    return text.format(**values) if values else text


def translator(lang: str) -> Callable[..., str]:
    """``t(key, **values)`` bound to one language, for templates."""

    def t(key: str, **values: object) -> str:
        return translate(lang, key, **values)

    return t
