"""Every text the admin pages show exists in German and English."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from widget_server.core.models import MEMBER_STATUSES, THEME_KINDS
from widget_server.web.endpoints.admin.members import ACTIONS
from widget_server.web.endpoints.admin.rules import KNOBS
from widget_server.web.ui_texts import TEXTS, reason_text, translate

TEMPLATES = Path(__file__).parents[1] / "widget_server" / "templates" / "admin"
AUDIT_ACTIONS = (
    "rules.change",
    "member.approve",
    "member.pause",
    "member.resume",
    "member.remove",
    "member.edit",
    "member.domains",
    "member.logo",
    "member.theme",
    "portal.link",
    "theme.create",
    "theme.edit",
)


def used_keys() -> set[str]:
    keys = set()
    for path in TEMPLATES.glob("*.html"):
        keys |= set(re.findall(r"\bt\('([a-z0-9_.\-]+)'[,)]", path.read_text("utf-8")))
    keys |= {f"status.{s}" for s in (*MEMBER_STATUSES, "left")}
    keys |= {f"home.members_{s}" for s in MEMBER_STATUSES}
    keys |= {f"member.status_text.{s}" for s in MEMBER_STATUSES}
    keys |= {f"member.action.{a}" for a in ACTIONS}
    keys |= {f"done.status_{a}" for a in ACTIONS}
    keys |= {f"theme.kind.{k}" for k in THEME_KINDS}
    keys |= {f"knob.{k}" for k in KNOBS} | {f"knob_hint.{k}" for k in KNOBS}
    keys |= {f"choice.{k}.{c}" for k, (_, choices, _) in KNOBS.items() for c in choices or ()}
    keys |= {f"action.{a}" for a in AUDIT_ACTIONS}
    keys |= {
        f"error.{p}.{part}"
        for p in ("csrf", "not_found", "too_large", "unavailable")
        for part in ("title", "text")
    }
    keys |= {f"rules.fallback.{f}" for f in ("directory", "hide")}
    keys |= {f"nav.{n}" for n in ("home", "members", "themes", "stats", "audit")}
    return keys


def test_every_key_the_pages_use_exists() -> None:
    missing = sorted(used_keys() - set(TEXTS))
    assert not missing, missing


def test_every_text_has_both_languages_with_the_same_placeholders() -> None:
    for key, (german, english) in TEXTS.items():
        if key.startswith("knob_hint."):  # hints may be left out, in both languages
            assert bool(german) == bool(english), key
            continue
        assert german and english, key
        fields = set(re.findall(r"\{(\w+)\}", german))
        assert fields == set(re.findall(r"\{(\w+)\}", english)), key


def test_an_unknown_key_shows_as_itself() -> None:
    assert translate("de", "no.such.key") == "no.such.key"


@pytest.mark.parametrize(
    ("reason", "german"),
    [
        ("must not be empty", "darf nicht leer sein"),
        (
            "pins[0].position: 5 is not between 1 and 3",
            "pins[0].position: 5 liegt nicht zwischen 1 und 3",
        ),
        ("'x' is not a whole number", "„x“ ist keine ganze Zahl"),
        ("stale", "Jemand anderes hat die Regeln inzwischen geändert."),
    ],
)
def test_reasons_are_given_in_german(reason: str, german: str) -> None:
    assert reason_text("de", reason).startswith(german)
    assert reason_text("en", reason) != reason or reason not in ("stale",)
