"""Portal: the member edits its name, website, description and logo.

Whether a change shows at once or waits for a coordinator is the themes'
setting (``profile_changes.approval_required``).  A waiting change is shown
above the form with the values before and after, and can be withdrawn; the
form shows the proposed values, so the member keeps editing its proposal.
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response

from widget_server.core.errors import ValidationError
from widget_server.core.models import MEMBER_MAIL_KINDS, Member, ProfileChange
from widget_server.mail import contacts
from widget_server.network import audit, profile_changes
from widget_server.network.categories import category_label
from widget_server.network.logos import MAX_BYTES
from widget_server.serving.blocks import logo_path
from widget_server.web.endpoints.guards import form_of, form_text, redirect, refresh
from widget_server.web.endpoints.portal.base import actor, lang_of, member_of, render
from widget_server.web.labels import MAIL_KINDS
from widget_server.web.runtime import runtime_of

FIELDS = profile_changes.EDITABLE


def pending_rows(member: Member, change: ProfileChange | None) -> list[tuple[str, str, str]]:
    """(field, before, after) of a pending change, in form order."""
    return profile_changes.change_rows(member, change)


async def profile_page(
    request: Request,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    mail_values: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    storage = runtime_of(request).storage
    member = member_of(request)
    contact = await contacts.get_contact(storage, member)
    lang = lang_of(request)
    pending = await profile_changes.pending_change(storage, member)
    proposed = profile_changes.proposed(member, pending.changes) if pending else member
    context: dict[str, Any] = {
        "section": "profile",
        "approval": await profile_changes.approval_required(storage, member),
        "pending": pending,
        "pending_rows": pending_rows(member, pending),
        "values": {**{f: getattr(proposed, f) for f in FIELDS}, **(values or {})},
        "errors": errors or {},
        "logo": logo_path(member),
        "logo_max_kb": MAX_BYTES // 1024,
        "category": category_label(member.category, lang) if member.category else "–",
        "mail_values": mail_values or contacts.contact_dict(contact),
        "mail_kinds": [(k, MAIL_KINDS[k]) for k in MEMBER_MAIL_KINDS],
    }
    return render(request, "profile.html", context, status=status)


async def profile_save(request: Request) -> Response:
    storage = runtime_of(request).storage
    member = member_of(request)
    form = form_of(request)
    fields = {f: form_text(form, f) for f in FIELDS}
    approval = await profile_changes.approval_required(storage, member)
    try:
        outcome = await profile_changes.submit_profile(storage, member, fields, approval=approval)
    except ValidationError as exc:
        return await profile_page(
            request, errors={exc.field: exc.reason}, values=fields, status=422
        )
    await record_outcome(request, member, outcome)
    if outcome.submitted:  # the website always waits, so part of a change may have applied
        return redirect(request, "portal_profile", done="profile_pending")
    if outcome.applied:
        return redirect(request, "portal_profile", done="profile_saved")
    return redirect(request, "portal_profile", done="profile_unchanged")


async def record_outcome(
    request: Request, member: Member, outcome: profile_changes.Outcome
) -> None:
    """Audit what a member's submission did (applied, waiting or both); serve it at once."""
    storage = runtime_of(request).storage
    subject = f"member:{member.slug}"
    if outcome.applied:
        detail = audit.member_changes(member, outcome.member)
        await audit.record(storage, actor(request), "member.edit", subject, detail)
        await refresh(request)
    if outcome.submitted and outcome.pending is not None:
        detail = profile_changes.describe(member, outcome.pending)
        await audit.record(storage, actor(request), "profile.submit", subject, detail)


async def mail_save(request: Request) -> Response:
    """The member's own address, mail language and the kinds of mail it wants."""
    storage = runtime_of(request).storage
    member = member_of(request)
    form = form_of(request)
    email = form_text(form, "email")
    language = form_text(form, "mail_language") or "de"
    opt_outs = [k for k in MEMBER_MAIL_KINDS if not form_text(form, f"want_{k}")]
    before = await contacts.get_contact(storage, member)
    try:
        after = await contacts.set_contact(
            storage, member, email=email, language=language, opt_outs=opt_outs
        )
    except ValidationError as exc:
        typed = {"email": email, "language": language, "opt_outs": opt_outs}
        return await profile_page(
            request, errors={exc.field: exc.reason}, mail_values=typed, status=422
        )
    if after != before:
        detail = "address deleted" if after is None else "mail settings changed"
        await audit.record(storage, actor(request), "member.mail", f"member:{member.slug}", detail)
    return redirect(request, "portal_profile", done="mail_saved")


async def logo_upload(request: Request) -> Response:
    storage = runtime_of(request).storage
    member = member_of(request)
    upload = form_of(request).get("logo")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return await profile_page(request, errors={"logo": "no_file"}, status=422)
    data = await upload.read(MAX_BYTES + 1)  # one byte more tells "too large"
    approval = await profile_changes.approval_required(storage, member)
    try:
        outcome = await profile_changes.submit_logo(storage, member, data, approval=approval)
    except ValidationError as exc:
        return await profile_page(request, errors={"logo": exc.reason}, status=422)
    subject = f"member:{member.slug}"
    if outcome.submitted and outcome.pending is not None:
        detail = profile_changes.describe(member, outcome.pending)
        await audit.record(storage, actor(request), "profile.submit", subject, detail)
        return redirect(request, "portal_profile", done="logo_pending")
    logo = outcome.member.logo
    assert logo is not None
    detail = f"{logo.content_type}, {logo.width}×{logo.height}, sha256 {logo.digest[:12]}"
    await audit.record(storage, actor(request), "member.logo", subject, detail)
    await refresh(request)
    return redirect(request, "portal_profile", done="logo_saved")


async def withdraw(request: Request) -> Response:
    storage = runtime_of(request).storage
    member = member_of(request)
    change = await profile_changes.withdraw(storage, member)
    if change is not None:
        detail = profile_changes.describe(member, change)
        subject = f"member:{member.slug}"
        await audit.record(storage, actor(request), "profile.withdraw", subject, detail)
    return redirect(request, "portal_profile", done="change_withdrawn")


async def pending_logo(request: Request) -> Response:
    """The member's own proposed logo (the portal's pages are all it is shown on)."""
    storage = runtime_of(request).storage
    logo, data = await profile_changes.pending_logo(storage, member_of(request))
    return Response(
        data,
        media_type=logo.content_type,
        headers={
            "Content-Security-Policy": "default-src 'none'",
            "X-Content-Type-Options": "nosniff",
        },
    )
