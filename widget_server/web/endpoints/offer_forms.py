"""What the admin's and the portal's offer pages share: the list rows, the edit form.

The rows show an offer's days in the one format of ``core/dates.py``.  The
edit form is the proposal's form without the theme (an offer stays in its
theme); its participants are ticked from the theme's other active members;
it carries the offer's ``revision``, so a change made on a stale page is
refused (409) and the page shown anew.  Saving writes the audit log and asks
the participants whose confirmation a material change reset by mail.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import Response

from widget_server.core.collation import sorted_german
from widget_server.core.dates import days_text
from widget_server.core.errors import ConflictError, ValidationError
from widget_server.core.models import Member, Offer, Theme
from widget_server.mail import notices
from widget_server.network import audit, offer_edits, offers
from widget_server.network.logos import MAX_BYTES
from widget_server.network.offer_edits import Edit, OfferChanges
from widget_server.storage import Storage
from widget_server.web.endpoints.guards import (
    PICK_ALL,
    form_of,
    form_text,
    participants_of,
    redirect,
)
from widget_server.web.endpoints.offer_page import today_of
from widget_server.web.runtime import mailer_of, runtime_of

TEXT_FIELDS = ("title", "price_text", "text", "valid_from", "valid_until")


async def theme_others(
    storage: Storage, theme_id: int, member_id: int, chosen: Collection[str] = ()
) -> tuple[list[Member], int]:
    """The theme's active members but ``member_id`` to tick, in German order of their
    names, and how many there are: of a theme of more than ``PICK_ALL``, those in
    ``chosen`` (slugs), so thousands of names are neither sorted nor sent."""
    active = {
        ms.member_id
        for ms in await storage.list_memberships(theme_id=theme_id)
        if ms.status == "active"
    }
    members = await storage.list_members(status="active", theme_id=theme_id)
    found = [m for m in members if m.id in active and m.id != member_id]
    total = len(found)
    if total > PICK_ALL:
        found = [m for m in found if m.slug in chosen]
    return sorted_german(found, key=lambda m: m.name), total


async def row(
    storage: Storage, offer: Offer, themes: dict[int, Theme], lang: str, today: Any
) -> dict[str, Any]:
    """One offer as the lists show it (both the admin's and the portal's)."""
    people = await offers.members_of(storage, offer)
    theme = themes.get(offer.theme_id)
    return {
        "offer": offer,
        "state": offers.state(offer, today),
        "theme": theme.name(lang) if theme else "",
        "people": list(zip(people, (p.confirmed for p in offer.participants), strict=True)),
        "days": days_text(offer.valid_from, offer.valid_until, lang),
        "image": offers.image_path(offer),
        "page": offers.page_path(offer, lang),
        "open": offer.status in ("proposed", "active"),
    }


def values_of(offer: Offer, members: Sequence[Member]) -> dict[str, Any]:
    """The edit form's inputs for ``offer`` (``members``: its participants, in order)."""
    values: dict[str, Any] = {f: str(getattr(offer, f)) for f in TEXT_FIELDS}
    values["participants"] = [m.slug for m in members if m.id != offer.proposer_id]
    return values


async def changes_of(form: FormData) -> tuple[OfferChanges, dict[str, Any]]:
    """The form as a change (every field given), and its values to show again."""
    values: dict[str, Any] = {f: form_text(form, f) for f in TEXT_FIELDS}
    values["participants"] = participants_of(form)
    upload = form.get("image")
    image = None
    if isinstance(upload, UploadFile) and upload.filename:
        image = await upload.read(MAX_BYTES + 1)  # one byte more tells "too large"
    changes = OfferChanges(
        **{f: values[f] for f in TEXT_FIELDS},
        participants=values["participants"],
        image=image,
        remove_image=form_text(form, "remove_image") == "yes",
    )
    return changes, values


def revision_of(form: FormData) -> int | None:
    raw = form_text(form, "revision")
    return int(raw) if raw.isdigit() and len(raw) < 10 else None


async def after_edit(request: Request, edit: Edit, actor: str, editor: Member | None) -> None:
    """The audit entry of a stored change, and the mails asking to confirm again."""
    if not edit.changed:
        return
    storage = runtime_of(request).storage
    offer = edit.after
    await audit.record(storage, actor, "offer.edit", f"offer:{offer.slug}", edit.describe())
    asked = offer_edits.asked_again(edit, editor)
    if asked:
        members = await offers.members_of(storage, offer)
        await notices.offer_changed(mailer_of(request), offer, members, asked, editor)


Render = Callable[..., Response]


@dataclass(frozen=True)
class EditPage:
    """The offer's edit page as the admin or the portal serves it.

    ``render``: the side's page renderer; ``save_route``, ``end_route``: the routes
    the forms post to (``end_route`` None: no "end the offer" form); ``list_route``:
    where a stored change leads; ``editor``: the member editing, None for coordinators.
    """

    render: Render
    save_route: str
    end_route: str | None
    list_route: str
    editor: Member | None
    actor: str

    async def form(
        self,
        request: Request,
        offer: Offer,
        *,
        values: dict[str, Any] | None = None,
        errors: dict[str, str] | None = None,
        status: int = 200,
    ) -> Response:
        storage = runtime_of(request).storage
        theme = next(t for t in await storage.list_themes() if t.id == offer.theme_id)
        if values is None:
            values = values_of(offer, await offers.members_of(storage, offer))
        others, total = await theme_others(
            storage, theme.id, offer.proposer_id, values["participants"]
        )
        end = self.end_route
        context: dict[str, Any] = {
            "section": "offers",
            "offer": offer,
            "offer_image": offers.image_path(offer),
            "groups": [(theme, others, "", total)],
            "values": values,
            "errors": errors or {},
            "image_max_kb": MAX_BYTES // 1024,
            "action": request.url_for(self.save_route, offer_id=offer.id).path,
            "end_action": request.url_for(end, offer_id=offer.id).path if end else None,
            "back": request.url_for(self.list_route).path,
        }
        return self.render(request, "offer_form.html", context, status=status)

    async def save(
        self, request: Request, before: Offer, closed: Callable[[], Awaitable[Response]]
    ) -> Response:
        """Check and store the posted change; the form again (422, 409) if it cannot be.

        ``closed``: the answer when the offer was closed meanwhile.
        """
        storage = runtime_of(request).storage
        form = form_of(request)
        changes, values = await changes_of(form)
        revision = revision_of(form)
        try:
            if revision is None:
                raise ConflictError("stale_offer")
            edit = await offer_edits.edit(
                storage, before.id, changes, revision, today=today_of(request), editor=self.editor
            )
        except ValidationError as exc:
            errors = {exc.field: exc.reason}
            return await self.form(request, before, values=values, errors=errors, status=422)
        except ConflictError as exc:
            if str(exc) != "stale_offer":
                return await closed()
            fresh = await storage.get_offer(before.id)
            errors = {"offer": "stale_offer"}
            return await self.form(request, fresh, values=values, errors=errors, status=409)
        await after_edit(request, edit, self.actor, self.editor)
        done = "offer_saved_asked" if edit.material else "offer_saved"
        return redirect(request, self.list_route, done=done if edit.changed else None)
