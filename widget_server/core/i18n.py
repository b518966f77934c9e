"""User-facing text in German (default) and English."""

from __future__ import annotations

from collections.abc import Callable

from widget_server.core.models import LANGUAGES

DEFAULT_LANG = "de"

MESSAGES: dict[str, dict[str, str]] = {
    "de": {
        "heading.topic": "Unsere Partner zum Thema {theme}",
        "heading.local": "Unsere Partner aus {theme}",
        "label": "Partner im Netzwerk {theme}",
        "more": "Alle Partner ansehen",
        "directory.title_suffix": "Partnerverzeichnis · Partnerkreis",
        "directory.skip_link": "Zum Inhalt springen",
        "directory.language": "Sprache",
        "directory.eyebrow": "Partnerverzeichnis",
        "directory.members_heading": "Alle Partner",
        "directory.count_one": "Partner",
        "directory.count_other": "Partner",
        "directory.website_of": "Website von",
        "directory.empty": "In diesem Verzeichnis sind derzeit keine Partner eingetragen.",
        "directory.about_heading": "Was ist Partnerkreis?",
        "directory.about_text": (
            "Partnerkreis verbindet kleine Betriebe, die sich gegenseitig empfehlen. Jedes"
            " Mitglied zeigt auf seiner eigenen Website einen kleinen Block mit passenden"
            " Partnern aus dem Netzwerk – so finden Kundinnen und Kunden vertrauenswürdige"
            " Betriebe in ihrer Nähe, und alle Mitglieder profitieren voneinander. Besucher"
            " werden dabei nicht verfolgt: keine Cookies, keine gespeicherten IP-Adressen."
        ),
        "directory.footer": "Dieses Verzeichnis wird von Partnerkreis bereitgestellt.",
        "index.title": "Partnerkreis",
        "index.intro": "Kooperationsnetzwerke kleiner Unternehmen auf diesem Server:",
        "index.empty": "Noch keine Netzwerke eingerichtet.",
        "index.demo": "Zur Demo mit Beispiel-Websites",
        "frame.title": "Partner im Netzwerk {theme}",
    },
    "en": {
        "heading.topic": "Our partners for {theme}",
        "heading.local": "Our partners from {theme}",
        "label": "Partners in the {theme} network",
        "more": "See all partners",
        "directory.title_suffix": "Partner directory · Partnerkreis",
        "directory.skip_link": "Skip to content",
        "directory.language": "Language",
        "directory.eyebrow": "Partner directory",
        "directory.members_heading": "All partners",
        "directory.count_one": "partner",
        "directory.count_other": "partners",
        "directory.website_of": "Website of",
        "directory.empty": "No partners are listed in this directory at the moment.",
        "directory.about_heading": "What is Partnerkreis?",
        "directory.about_text": (
            "Partnerkreis connects small businesses that recommend each other. Every member"
            " shows a small block with matching partners from the network on its own website"
            " – so customers find trustworthy businesses nearby, and all members benefit from"
            " each other. Visitors are not tracked: no cookies, no stored IP addresses."
        ),
        "directory.footer": "This directory is provided by Partnerkreis.",
        "index.title": "Partnerkreis",
        "index.intro": "Cooperation networks of small businesses on this server:",
        "index.empty": "No networks set up yet.",
        "index.demo": "Open the demo with example websites",
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
