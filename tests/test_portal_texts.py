"""Every text the portal (and the admin's review of its changes) shows exists in German and
English."""

from __future__ import annotations

import re
from pathlib import Path

from widget_server.core.models import MEMBERSHIP_STATUSES
from widget_server.web.endpoints.portal.pages import SELF_SERVICE
from widget_server.web.portal_texts import PORTAL_REASONS, PORTAL_TEXTS
from widget_server.web.ui_texts import DONE_KEYS, TEXTS, reason_text

TEMPLATES = Path(__file__).parents[1] / "widget_server" / "templates"
PAGES = [*(TEMPLATES / "portal").glob("*.html"), TEMPLATES / "admin" / "_profile_changes.html"]
ACTIONS = ("profile.submit", "profile.approve", "profile.reject", "profile.withdraw")


def used_keys() -> set[str]:
    keys = set()
    for path in PAGES:
        text = path.read_text("utf-8")
        keys |= set(re.findall(r"\bt\('([a-z0-9_.\-]+)'[,)]", text))
        keys |= set(re.findall(r"'(portal_[a-z_]+\.[a-z_.]*[a-z])'", text))  # keys in a tuple
    keys |= {
        f"portal_link.{p}.{part}"
        for p in ("expired", "invalid", "removed", "signed_out", "logged_out")
        for part in ("title", "text")
    }
    keys |= {f"portal_nav.{n}" for n in ("home", "code", "figures", "profile", "themes")}
    keys |= {f"portal_home.card.{n}" for n in ("code", "figures", "profile", "themes")}
    keys |= {f"portal_home.status.{s}" for s in ("pending", "paused")}
    keys |= {f"portal_themes.{s}_text" for s in MEMBERSHIP_STATUSES}
    keys |= {f"done.theme_{s}" for s in SELF_SERVICE}
    keys |= {f"action.{a}" for a in ACTIONS}
    keys |= {"done.change_approved", "done.change_rejected", "done.logged_out"}
    return keys


def test_every_key_the_portal_uses_exists() -> None:
    missing = sorted(used_keys() - set(TEXTS))
    assert not missing, missing


def test_every_portal_text_has_both_languages_with_the_same_placeholders() -> None:
    for key, (german, english) in PORTAL_TEXTS.items():
        assert german and english, key
        fields = set(re.findall(r"\{(\w+)\}", german))
        assert fields == set(re.findall(r"\{(\w+)\}", english)), key


def test_the_portal_adds_texts_without_changing_the_admins() -> None:
    from widget_server.web import ui_texts

    admin_keys = set(TEXTS) - set(PORTAL_TEXTS)
    assert admin_keys and not (set(PORTAL_TEXTS) & admin_keys)
    assert {"profile_saved", "profile_pending", "theme_left"} <= DONE_KEYS
    assert ui_texts.REASONS["confirm_leave"] == PORTAL_REASONS["confirm_leave"]


def test_the_portals_reasons_are_given_in_both_languages() -> None:
    for key, (german, english) in PORTAL_REASONS.items():
        assert reason_text("de", key) == german
        assert reason_text("en", key) == english


def test_the_guides_exist_in_both_languages_with_the_same_builders() -> None:
    builders = []
    for lang in ("de", "en"):
        text = (TEMPLATES / "portal" / f"_guides_{lang}.html").read_text("utf-8")
        builders.append(re.findall(r'<details class="guide" id="guide-([a-z]+)">', text))
    assert builders[0] == builders[1] == ["wordpress", "jimdo", "wix", "ionos", "html"]
