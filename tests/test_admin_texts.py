"""Every text the admin pages choose by a value exists, in German and English."""

from __future__ import annotations

import pytest

from widget_server.core.i18n import translator
from widget_server.core.models import MEMBER_STATUSES, THEME_KINDS
from widget_server.web import labels, rule_labels
from widget_server.web.endpoints.admin.members import ACTIONS, PROFILE_FIELDS
from widget_server.web.endpoints.admin.rules import KNOBS
from widget_server.web.reasons import reason_text

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


def test_every_value_the_pages_show_has_a_text() -> None:
    assert {*MEMBER_STATUSES, "left"} <= set(labels.STATUS)
    assert set(MEMBER_STATUSES) <= set(labels.MEMBER_STATUS_TEXT)
    assert set(ACTIONS) <= set(labels.MEMBER_ACTION)
    assert {f"status_{a}" for a in ACTIONS} <= set(labels.DONE)
    assert set(THEME_KINDS) <= set(labels.THEME_KIND)
    assert set(KNOBS) <= set(rule_labels.KNOB)
    assert set(rule_labels.KNOB_HINT) <= set(KNOBS)
    choices = {f"{k}.{c}" for k, (_, options, _) in KNOBS.items() for c in options or ()}
    assert choices <= set(rule_labels.CHOICE)
    assert set(AUDIT_ACTIONS) <= set(labels.AUDIT_ACTION)
    assert {"csrf", "not_found", "too_large", "unavailable"} <= set(labels.ERROR)
    assert {"directory", "hide"} <= set(rule_labels.FALLBACK)
    assert set(PROFILE_FIELDS) <= set(labels.FIELD)


def test_the_labels_are_translated() -> None:
    de, en = translator("de"), translator("en")
    assert de.gettext(labels.STATUS["paused"]) == "Pausiert"
    assert en.gettext(labels.STATUS["paused"]) == "Paused"
    assert de.gettext(rule_labels.CHOICE["strategy.fair-exchange"]) == "Fairer Austausch"


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
        ("logo: is 4000000 bytes, at most 300000 allowed", "logo: ist 4000000 Bytes groß"),
    ],
)
def test_reasons_are_given_in_german(reason: str, german: str) -> None:
    assert reason_text("de", reason).startswith(german)
    assert reason_text("en", reason) != reason or reason not in ("stale",)
