"""Editing the profile in the portal, the themes' approval setting and the admin's review;
pausing and leaving themes."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio
from starlette.applications import Starlette

from tests.admin_helpers import assert_invalid, make_account, post, signed_in
from tests.conftest import Clock
from tests.images import pixels, png
from tests.portal_helpers import open_portal, portal_post
from widget_server.core.errors import ValidationError
from widget_server.core.models import Logo, ProfileChange
from widget_server.core.signing import Signer
from widget_server.network import profile_changes
from widget_server.network.rules import set_rules
from widget_server.network.services import add_theme, set_membership_status
from widget_server.rotation import parse_rules
from widget_server.storage import SQLiteStorage

pytestmark = pytest.mark.asyncio

PROFILE = {
    "name": "Blumenhaus am Markt",
    "website": "https://blumen.example/",
    "description": "Brautsträuße und Tischschmuck",
}
APPROVAL = {"portal": {"approve_profile_changes": True}}


@pytest_asyncio.fixture
async def portal(
    network: dict[str, int],
    storage: SQLiteStorage,
    client: httpx.AsyncClient,
    signer: Signer,
    clock: Clock,
) -> AsyncIterator[httpx.AsyncClient]:
    await open_portal(client, storage, signer, clock, "blumen")
    yield client


@pytest_asyncio.fixture
async def admin(
    network: dict[str, int], storage: SQLiteStorage, app: Starlette
) -> AsyncIterator[httpx.AsyncClient]:
    """A coordinator signed in to the admin, beside the member's portal."""
    await make_account(storage)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        await signed_in(c)
        yield c


async def approval(storage: SQLiteStorage, theme: str = "hochzeit") -> None:
    await set_rules(storage, theme, APPROVAL, "test")


# -- without approval ------------------------------------------------------------------------


async def test_without_approval_a_change_shows_at_once(
    portal: httpx.AsyncClient, storage: SQLiteStorage, app: Starlette
) -> None:
    page = await portal.get("/portal/profile")
    assert "Änderungen sind nach dem Speichern innerhalb weniger Minuten überall zu sehen" in (
        page.text
    )
    assert ">Angaben speichern</button>" in page.text
    response = await portal_post(portal, "/portal/profile", PROFILE)
    assert response.status_code == 303
    assert response.headers["location"] == "/portal/profile?done=profile_saved"
    member = await storage.get_member("blumen")
    assert member.description == "Brautsträuße und Tischschmuck"
    assert app.state.runtime.snapshots.current.members[member.id].description == (
        "Brautsträuße und Tischschmuck"
    )
    [entry] = await storage.list_audit_entries(subject="member:blumen")
    assert (entry.actor, entry.action) == ("member:blumen", "member.edit")
    assert "description:" in entry.detail
    again = await portal_post(portal, "/portal/profile", PROFILE)
    assert again.headers["location"] == "/portal/profile?done=profile_unchanged"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "   ", "darf nicht leer sein"),
        ("website", "ftp://blumen.example", "ist keine http(s)-Adresse"),
        ("description", "x" * 301, "ist 301 Zeichen lang, erlaubt sind höchstens 300"),
    ],
)
async def test_a_bad_value_is_shown_next_to_its_field_as_typed(
    portal: httpx.AsyncClient, storage: SQLiteStorage, field: str, value: str, message: str
) -> None:
    response = await portal_post(portal, "/portal/profile", {**PROFILE, field: value})
    assert response.status_code == 422
    assert_invalid(response.text, f"f-{field}", message)
    assert "Bitte prüfen Sie Ihre Eingaben" in response.text
    assert (await storage.get_member("blumen")).description == "Blumenhaus am Markt in Heide"


async def test_without_approval_a_logo_is_stored_at_once_and_bad_files_are_explained(
    portal: httpx.AsyncClient, storage: SQLiteStorage
) -> None:
    csrf = re.search(r'name="csrf" value="([^"]+)"', (await portal.get("/portal/profile")).text)
    assert csrf
    files = {"logo": ("logo.png", png(64, 32), "image/png")}
    response = await portal.post("/portal/profile/logo", data={"csrf": csrf[1]}, files=files)
    assert response.headers["location"] == "/portal/profile?done=logo_saved"
    logo = (await storage.get_member("blumen")).logo
    assert logo is not None and (logo.width, logo.height) == (64, 32)
    bad = {"logo": ("logo.png", b"GIF-not-really", "image/png")}
    response = await portal.post("/portal/profile/logo", data={"csrf": csrf[1]}, files=bad)
    assert response.status_code == 422
    assert_invalid(response.text, "f-logo", "ist kein PNG-, JPEG-, WebP- oder GIF-Bild")
    empty = await portal.post("/portal/profile/logo", data={"csrf": csrf[1]})
    assert empty.status_code == 422 and "Bitte wählen Sie eine Datei." in empty.text


# -- with approval --------------------------------------------------------------------------


async def test_with_approval_a_change_waits_and_the_member_sees_it_waiting(
    portal: httpx.AsyncClient, storage: SQLiteStorage, app: Starlette
) -> None:
    await approval(storage)
    page = await portal.get("/portal/profile")
    assert "prüft die Koordination Änderungen" in page.text
    assert ">Zur Freigabe einreichen</button>" in page.text
    response = await portal_post(portal, "/portal/profile", PROFILE)
    assert response.headers["location"] == "/portal/profile?done=profile_pending"
    member = await storage.get_member("blumen")
    assert member.description == "Blumenhaus am Markt in Heide"  # visitors see the old one
    change, logo = await storage.get_profile_change(member.id)
    assert change.changes == {"description": "Brautsträuße und Tischschmuck"}
    assert (change.revision, change.logo, logo) == (1, None, None)
    page = await portal.get(response.headers["location"])
    assert "Danke! Ihre Änderungen wurden eingereicht" in page.text
    assert "Wartet auf Freigabe" in page.text
    assert '<td class="new-value">Brautsträuße und Tischschmuck</td>' in page.text
    assert ">Brautsträuße und Tischschmuck</textarea>" in page.text  # the form keeps the proposal
    assert "warten auf die Freigabe" in (await portal.get("/portal/")).text
    [entry] = await storage.list_audit_entries(subject="member:blumen")
    assert entry.action == "profile.submit" and entry.actor == "member:blumen"
    again = await portal_post(portal, "/portal/profile", PROFILE)  # the same proposal
    assert again.headers["location"] == "/portal/profile?done=profile_unchanged"
    assert (await storage.get_profile_change(member.id))[0].revision == 1
    assert len(await storage.list_audit_entries(subject="member:blumen")) == 1


async def test_a_coordinator_approves_a_change_from_the_overview(
    portal: httpx.AsyncClient, admin: httpx.AsyncClient, storage: SQLiteStorage, app: Starlette
) -> None:
    await approval(storage)
    await portal_post(portal, "/portal/profile", {**PROFILE, "name": "Blumenhaus Heide"})
    overview = await admin.get("/admin/")
    assert "Geänderte Angaben prüfen" in overview.text
    assert '<td class="new-value">Blumenhaus Heide</td>' in overview.text
    assert 'name="revision" value="1"' in overview.text
    response = await post(
        admin,
        "/admin/members/blumen/profile-change",
        {"action": "approve", "revision": "1", "back": "home"},
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/admin/?done=change_approved"
    member = await storage.get_member("blumen")
    assert (member.name, member.description) == ("Blumenhaus Heide", PROFILE["description"])
    assert await storage.list_profile_changes() == []
    assert app.state.runtime.snapshots.current.members[member.id].name == "Blumenhaus Heide"
    entry = (await storage.list_audit_entries(subject="member:blumen"))[0]
    assert (entry.actor, entry.action) == ("admin:koordination", "profile.approve")
    assert "„Blumenhaus Heide“" in entry.detail
    assert "Geänderte Angaben prüfen" not in (await admin.get("/admin/")).text
    assert "Wartet auf Freigabe" not in (await portal.get("/portal/profile")).text


async def test_a_coordinator_rejects_a_change_on_the_members_page(
    portal: httpx.AsyncClient, admin: httpx.AsyncClient, storage: SQLiteStorage
) -> None:
    await approval(storage)
    await portal_post(portal, "/portal/profile", PROFILE)
    page = await admin.get("/admin/members/blumen")
    assert "Geänderte Angaben prüfen" in page.text
    response = await post(
        admin, "/admin/members/blumen/profile-change", {"action": "reject", "revision": "1"}
    )
    assert response.headers["location"] == "/admin/members/blumen?done=change_rejected"
    assert (await storage.get_member("blumen")).description == "Blumenhaus am Markt in Heide"
    assert await storage.list_profile_changes() == []
    actions = [e.action for e in await storage.list_audit_entries(subject="member:blumen")]
    assert actions == ["profile.reject", "profile.submit"]


async def test_approving_a_revision_the_member_has_replaced_is_refused(
    portal: httpx.AsyncClient, admin: httpx.AsyncClient, storage: SQLiteStorage
) -> None:
    await approval(storage)
    await portal_post(portal, "/portal/profile", PROFILE)
    await portal_post(portal, "/portal/profile", {**PROFILE, "description": "Zweite Fassung"})
    response = await post(
        admin, "/admin/members/blumen/profile-change", {"action": "approve", "revision": "1"}
    )
    assert response.status_code == 409
    assert "noch einmal geändert" in response.text
    assert (await storage.get_member("blumen")).description == "Blumenhaus am Markt in Heide"
    [change] = await storage.list_profile_changes()
    assert change.revision == 2 and change.changes == {"description": "Zweite Fassung"}
    gone = await post(
        admin, "/admin/members/catering/profile-change", {"action": "approve", "revision": "1"}
    )
    assert gone.status_code == 409 and "gibt es nicht mehr" in gone.text


async def test_a_proposed_logo_waits_is_shown_to_both_sides_and_applied_on_approval(
    portal: httpx.AsyncClient, admin: httpx.AsyncClient, storage: SQLiteStorage
) -> None:
    await approval(storage)
    await portal_post(portal, "/portal/profile", PROFILE)
    csrf = re.search(r'name="csrf" value="([^"]+)"', (await portal.get("/portal/profile")).text)
    assert csrf
    data = png(48, 48)
    response = await portal.post(
        "/portal/profile/logo",
        data={"csrf": csrf[1]},
        files={"logo": ("logo.png", data, "image/png")},
    )
    assert response.headers["location"] == "/portal/profile?done=logo_pending"
    assert (await storage.get_member("blumen")).logo is None
    [change] = await storage.list_profile_changes()
    assert change.revision == 2 and change.logo is not None
    assert change.changes == {"description": PROFILE["description"]}  # kept beside the logo
    own = await portal.get("/portal/profile/logo")
    assert pixels(own.content) == pixels(data) and own.headers["content-type"] == "image/png"
    assert own.headers["x-content-type-options"] == "nosniff"
    assert (
        'src="http://testserver/portal/profile/logo?revision=2"'
        in (await portal.get("/portal/profile")).text
    )
    review = await admin.get("/admin/members/blumen/profile-change/logo")
    assert review.content == own.content
    await post(
        admin, "/admin/members/blumen/profile-change", {"action": "approve", "revision": "2"}
    )
    member = await storage.get_member("blumen")
    assert member.logo is not None and member.logo.width == 48
    assert member.description == PROFILE["description"]
    assert (await portal.get("/portal/profile/logo")).status_code == 404


async def test_the_member_can_withdraw_its_change(
    portal: httpx.AsyncClient, storage: SQLiteStorage
) -> None:
    await approval(storage)
    await portal_post(portal, "/portal/profile", PROFILE)
    response = await portal_post(portal, "/portal/profile/withdraw", {})
    assert response.headers["location"] == "/portal/profile?done=change_withdrawn"
    assert await storage.list_profile_changes() == []
    actions = [e.action for e in await storage.list_audit_entries(subject="member:blumen")]
    assert actions == ["profile.withdraw", "profile.submit"]


async def test_submitting_the_current_values_again_drops_the_pending_change(
    portal: httpx.AsyncClient, storage: SQLiteStorage
) -> None:
    await approval(storage)
    await portal_post(portal, "/portal/profile", PROFILE)
    current = {**PROFILE, "description": "Blumenhaus am Markt in Heide"}
    response = await portal_post(portal, "/portal/profile", current)
    assert response.headers["location"] == "/portal/profile?done=profile_unchanged"
    assert await storage.list_profile_changes() == []


async def test_when_approval_is_switched_off_a_save_applies_and_supersedes_the_pending_text(
    portal: httpx.AsyncClient, storage: SQLiteStorage
) -> None:
    await approval(storage)
    await portal_post(portal, "/portal/profile", PROFILE)
    await set_rules(storage, "hochzeit", {}, "test")
    response = await portal_post(portal, "/portal/profile", {**PROFILE, "description": "Direkt"})
    assert response.headers["location"] == "/portal/profile?done=profile_saved"
    assert (await storage.get_member("blumen")).description == "Direkt"
    assert await storage.list_profile_changes() == []


async def test_the_strictest_theme_decides_and_left_themes_do_not_count(
    network: dict[str, int], storage: SQLiteStorage
) -> None:
    member = await storage.get_member("blumen")
    assert not await profile_changes.approval_required(storage, member)
    await add_theme(storage, slug="innenstadt", name_de="Innenstadt", kind="local")
    await approval(storage, "innenstadt")
    assert not await profile_changes.approval_required(storage, member)  # not in it yet
    await set_membership_status(storage, "blumen", "innenstadt", "paused")
    assert await profile_changes.approval_required(storage, member)
    await set_membership_status(storage, "blumen", "innenstadt", "left")
    assert not await profile_changes.approval_required(storage, member)


async def test_a_member_may_change_only_its_name_website_description_and_logo(
    network: dict[str, int], storage: SQLiteStorage
) -> None:
    member = await storage.get_member("blumen")
    for field in ("town", "category", "slug", "status", "domains"):
        with pytest.raises(ValidationError, match="cannot be changed"):
            await profile_changes.submit_profile(storage, member, {field: "x"}, approval=False)


# -- the setting and the record ----------------------------------------------------------------


async def test_the_setting_is_part_of_the_theme_rules() -> None:
    assert parse_rules({}).approve_profile_changes is False
    assert parse_rules(APPROVAL).approve_profile_changes is True
    with pytest.raises(ValidationError, match=r"portal.approve_profile_changes"):
        parse_rules({"portal": {"approve_profile_changes": "yes"}})
    with pytest.raises(ValidationError, match=r"portal.approve"):
        parse_rules({"portal": {"approve": True}})


async def test_the_rules_editor_offers_the_setting(
    admin: httpx.AsyncClient, storage: SQLiteStorage
) -> None:
    page = await admin.get("/admin/themes/hochzeit/rules")
    assert 'name="portal.approve_profile_changes"' in page.text
    assert "Geänderte Angaben der Mitglieder erst nach Freigabe zeigen" in page.text


async def test_a_pending_change_is_stored_once_per_member_with_a_revision(
    network: dict[str, int], storage: SQLiteStorage
) -> None:
    member = await storage.get_member("blumen")
    first = await storage.put_profile_change(ProfileChange(member.id, {"name": "A"}), None)
    assert (first.revision, first.changes, first.logo) == (1, {"name": "A"}, None)
    assert first.submitted_at
    logo = Logo(member.id, "ab" * 32, "image/png", 20, 20)
    second = await storage.put_profile_change(ProfileChange(member.id, {}, logo), b"png")
    assert (second.revision, second.logo) == (2, logo)
    assert await storage.get_profile_change(member.id) == (second, b"png")
    assert await storage.list_profile_changes() == [second]
    assert not await storage.delete_profile_change(member.id, 1)  # an older revision
    assert await storage.delete_profile_change(member.id, 2)
    assert await storage.list_profile_changes() == []
    with pytest.raises(ValueError, match="needs its bytes"):
        await storage.put_profile_change(ProfileChange(member.id, {}, logo), None)


# -- pausing and leaving ---------------------------------------------------------------------


async def test_a_member_pauses_a_theme_and_is_shown_no_more(
    portal: httpx.AsyncClient, storage: SQLiteStorage, app: Starlette
) -> None:
    page = await portal.get("/portal/themes")
    assert "Niemand muss mitmachen, aber jeder kann" in page.text
    response = await portal_post(
        portal, "/portal/themes", {"theme": "hochzeit", "status": "paused"}
    )
    assert response.headers["location"] == "/portal/themes?done=theme_paused"
    member = await storage.get_member("blumen")
    [membership] = await storage.list_memberships(member_id=member.id)
    assert membership.status == "paused"
    pool = app.state.runtime.snapshots.current.pools[membership.theme_id]
    assert not pool.members[member.id].eligible
    [entry] = await storage.list_audit_entries(subject="member:blumen")
    assert (entry.actor, entry.action, entry.detail) == (
        "member:blumen",
        "member.theme",
        "hochzeit: paused",
    )
    page = await portal.get(response.headers["location"])
    assert "Pausiert: Die anderen zeigen Sie gerade nicht" in page.text
    # resuming is the coordinators' decision
    response = await portal_post(
        portal, "/portal/themes", {"theme": "hochzeit", "status": "active"}
    )
    assert response.status_code == 422 and "Das geht nur über die Koordination" in response.text


async def test_leaving_a_theme_needs_a_confirmation(
    portal: httpx.AsyncClient, storage: SQLiteStorage
) -> None:
    response = await portal_post(portal, "/portal/themes", {"theme": "hochzeit", "status": "left"})
    assert response.status_code == 422
    assert_invalid(response.text, "f-confirm-hochzeit", "Bitte bestätigen Sie")
    member = await storage.get_member("blumen")
    assert (await storage.list_memberships(member_id=member.id))[0].status == "active"
    response = await portal_post(
        portal, "/portal/themes", {"theme": "hochzeit", "status": "left", "confirm": "yes"}
    )
    assert response.headers["location"] == "/portal/themes?done=theme_left"
    assert (await storage.list_memberships(member_id=member.id))[0].status == "left"
    page = await portal.get("/portal/themes")
    assert "Ausgetreten." in page.text and 'value="left"' not in page.text
    again = await portal_post(portal, "/portal/themes", {"theme": "hochzeit", "status": "paused"})
    assert again.status_code == 409  # no way back but through the coordinators
