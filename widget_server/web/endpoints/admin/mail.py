"""Admin: a member's e-mail address, the monthly report's preview, the mail status.

Kept apart from the member pages (``members.py``) so those stay about the
profile; the member page includes ``admin/_member_mail.html`` for the address.
"""

from __future__ import annotations

from datetime import date, timedelta

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from widget_server.core.errors import NotFoundError, ValidationError
from widget_server.core.models import Member
from widget_server.mail import contacts, jobs, report
from widget_server.mail.message import Draft
from widget_server.mail.outbox import Mailer
from widget_server.network import audit
from widget_server.storage import Storage
from widget_server.web.endpoints.admin import members as admin_members
from widget_server.web.endpoints.admin.base import actor, lang_of, render
from widget_server.web.endpoints.guards import form_of, form_text, redirect
from widget_server.web.runtime import mailer_of, runtime_of

# The report's HTML as a mail client gets it: no script, nothing loaded from anywhere.
PREVIEW_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'; sandbox"


async def status(mailer: Mailer) -> dict[str, object]:
    """What the admin's overview says about mail."""
    return {"problem": mailer.problem, "counts": await mailer.storage.mail_counts()}


async def mail_save(request: Request) -> Response:
    storage = runtime_of(request).storage
    form = form_of(request)
    member = await storage.get_member(request.path_params["slug"])
    email, language = form_text(form, "email"), form_text(form, "mail_language") or "de"
    before = await contacts.get_contact(storage, member)
    try:
        after = await contacts.set_contact(storage, member, email=email, language=language)
    except ValidationError as exc:
        return await admin_members.member_page(
            request, errors={exc.field: exc.reason}, values={"email": email}, status=422
        )
    if after != before:
        detail = "address deleted" if after is None else "mail settings changed"
        await audit.record(storage, actor(request), "member.mail", f"member:{member.slug}", detail)
    return redirect(request, "admin_member", slug=member.slug, done="mail_saved")


def _last_month(today: date) -> date:
    return (today.replace(day=1) - timedelta(days=1)).replace(day=1)


SELECT_UP_TO = 500  # members offered in a list to choose from; more: their slug is typed


async def _chosen(request: Request) -> tuple[list[Member], Member | None, date, str]:
    """The members to offer (all but the removed, or none when there are more than
    ``SELECT_UP_TO``: a list of 100,000 was read whole on every preview), the member
    asked for (else the first by slug) and the month."""
    storage = runtime_of(request).storage
    counts = await storage.member_status_counts()
    offered = sum(n for status, n in counts.items() if status != "removed")
    members: list[Member] = []
    if offered <= SELECT_UP_TO:
        members = [m for m in await storage.list_members() if m.status != "removed"]
    slug = request.query_params.get("member", "")
    member = await _member(storage, slug) if slug else None
    if member is None:
        member = await _first_member(storage)
    raw = request.query_params.get("month", "")
    error = ""
    month = _last_month(date.fromtimestamp(runtime_of(request).clock()))
    if raw:
        try:
            month = report.parse_month(raw)
        except ValueError:
            error = raw
    return members, member, month, error


async def _member(storage: Storage, slug: str) -> Member | None:
    try:
        member = await storage.get_member(slug[:100])
    except NotFoundError:
        return None
    return None if member.status == "removed" else member


async def _first_member(storage: Storage) -> Member | None:
    """The first member by slug that is not removed, read 50 at a time."""
    async for batch in jobs.member_pages(storage, size=50):
        for member in batch:
            if member.status != "removed":
                return member
    return None


async def _draft(request: Request, member: Member, month: date) -> Draft:
    runtime = runtime_of(request)
    contact = await contacts.get_contact(runtime.storage, member)
    lang = contact.language if contact else lang_of(request)
    base = runtime.settings.public_url or runtime.base_url(request)
    data = await report.monthly_report(runtime.storage, member, month, base)
    unsubscribe = mailer_of(request).unsubscribe_url(contact.email, report.KIND) if contact else "#"
    return report.draft(data, lang, unsubscribe)


async def report_preview(request: Request) -> Response:
    members, member, month, error = await _chosen(request)
    draft = await _draft(request, member, month) if member is not None else None
    contact = await contacts.get_contact(runtime_of(request).storage, member) if member else None
    return render(
        request,
        "mail_report.html",
        {
            "section": "members",
            "member_options": [(m.slug, m.name) for m in members],
            "member": member,
            "month": f"{month:%Y-%m}",
            "month_error": error,
            "draft": draft,
            "contact": contact,
            "mail": await status(mailer_of(request)),
        },
        status=422 if error else 200,
    )


async def report_html(request: Request) -> Response:
    """The HTML part alone, for the preview's frame."""
    _, member, month, error = await _chosen(request)
    if member is None or error:
        return HTMLResponse("", status_code=404, headers={"Content-Security-Policy": PREVIEW_CSP})
    draft = await _draft(request, member, month)
    return HTMLResponse(draft.html, headers={"Content-Security-Policy": PREVIEW_CSP})
