"""Every text the portal (and the admin's review of its changes) chooses by a value exists,
in German and English."""

from __future__ import annotations

import re
from pathlib import Path

from widget_server.core.models import MEMBERSHIP_STATUSES
from widget_server.web import labels
from widget_server.web.endpoints.portal.pages import SELF_SERVICE
from widget_server.web.reasons import reason_text

TEMPLATES = Path(__file__).parents[1] / "widget_server" / "templates"
ACTIONS = ("profile.submit", "profile.approve", "profile.reject", "profile.withdraw")


def test_every_value_the_portal_shows_has_a_text() -> None:
    assert {"expired", "invalid", "removed", "signed_out", "logged_out"} <= set(labels.LINK_PROBLEM)
    assert {"pending", "paused"} <= set(labels.PORTAL_STATUS)
    assert set(MEMBERSHIP_STATUSES) <= set(labels.PARTICIPATION)
    assert {f"theme_{s}" for s in SELF_SERVICE} <= set(labels.DONE)
    assert set(ACTIONS) <= set(labels.AUDIT_ACTION)
    assert {"change_approved", "change_rejected", "logged_out"} <= set(labels.DONE)
    assert {"profile_saved", "profile_pending", "theme_left"} <= set(labels.DONE)


def test_the_portals_reasons_are_given_in_both_languages() -> None:
    assert reason_text("de", "confirm_leave") == "Bitte bestätigen Sie, dass Sie austreten möchten."
    assert reason_text("en", "confirm_leave") == "Please confirm that you want to leave."
    for key in ("confirm_leave", "unknown_theme", "not_allowed", "stale_change", "no_change"):
        assert reason_text("de", key) != reason_text("en", key) != key


def test_the_guides_exist_in_both_languages_with_the_same_builders() -> None:
    builders = []
    for lang in ("de", "en"):
        text = (TEMPLATES / "portal" / f"_guides_{lang}.html").read_text("utf-8")
        builders.append(re.findall(r'<details class="guide" id="guide-([a-z]+)">', text))
    assert builders[0] == builders[1] == ["wordpress", "jimdo", "wix", "ionos", "html"]
