"""Admin pages for members: the list, approving, editing, domains, logos, portal links.

Every change goes through the service functions of ``network/services.py`` (which
validate first and write nothing on bad input) and is then written to the
audit log.  A form with bad input is shown again with the message next to
the field and the values as typed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response

from widget_server.core.collation import sort_name, sorted_german
from widget_server.core.errors import ConflictError, NotFoundError, ValidationError
from widget_server.core.models import MEMBER_STATUSES, Application, Member, MemberStatus
from widget_server.counting.events import day_of
from widget_server.mail import contacts, notices
from widget_server.network import audit, categories, invitations, portal_links
from widget_server.network import services as network
from widget_server.network.categories import category_label
from widget_server.network.logos import MAX_BYTES
from widget_server.network.lookalike import mixed_scripts
from widget_server.network.portal_links import DEFAULT_DAYS, MAX_DAYS, issue_link
from widget_server.serving.blocks import logo_path
from widget_server.serving.slots import SHOW_ALL as JOINT_SHOW
from widget_server.serving.snippets import placement_snippet
from widget_server.web.endpoints.admin import figures as admin_figures
from widget_server.web.endpoints.admin import review
from widget_server.web.endpoints.admin.base import (
    actor,
    lang_of,
    page_count,
    page_number,
    render,
    render_long,
)
from widget_server.web.endpoints.guards import form_of, form_text, redirect, refresh
from widget_server.web.runtime import mailer_of, runtime_of

MAX_NOTE = 1000  # characters of a coordinator's note in a decision mail
PAGE = 200  # members a page of the list shows
MAX_QUERY = 100  # characters of a search
PROFILE_FIELDS = ("name", "website", "description", "category", "town", "postal_code")
# status action -> (from statuses, to status, audit action)
ACTIONS: dict[str, tuple[tuple[MemberStatus, ...], MemberStatus]] = {
    "approve": (("pending",), "active"),
    "pause": (("active",), "paused"),
    "resume": (("paused",), "active"),
    "remove": (("pending", "active", "paused"), "removed"),
}


async def member_list(request: Request) -> Response:
    storage = runtime_of(request).storage
    lang = lang_of(request)
    status = request.query_params.get("status")
    query = request.query_params.get("q", "").strip()[:MAX_QUERY]
    stored = await storage.member_status_counts()
    counts = {s: stored.get(s, 0) for s in MEMBER_STATUSES}
    total = sum(stored.values())
    wanted = status if status in MEMBER_STATUSES else None
    needle = sort_name(query)
    await storage.fill_sort_names()  # rows another tool (or an older server) wrote
    matching, number, ids = await storage.listed_members(wanted, needle, page_number(request), PAGE)
    by_id = {m.id: m for m in await storage.members_with_ids(ids)}
    shown: Sequence[Member] = [by_id[i] for i in ids if i in by_id]
    themes = {t.id: t for t in await storage.list_themes()}
    memberships: dict[int, list[str]] = {}
    for ms in await storage.memberships_of(ids):
        if ms.status != "left" and ms.theme_id in themes:
            memberships.setdefault(ms.member_id, []).append(themes[ms.theme_id].name(lang))
    rows = [
        {
            "member": m,
            "category": category_label(m.category, lang),
            "themes": sorted_german(memberships.get(m.id, [])),
            "mixed": mixed_scripts(m.name),
        }
        for m in shown
    ]
    return await render_long(
        request,
        "members.html",
        {
            "section": "members",
            "rows": rows,
            "status": status if status in MEMBER_STATUSES else "",
            "query": query,
            "counts": counts,
            "total": total,
            "statuses": MEMBER_STATUSES,
            "matching": matching,
            "page": number,
            "pages": page_count(matching, PAGE),
            "first": (number - 1) * PAGE + 1,
            "last": (number - 1) * PAGE + len(rows),
        },
    )


async def _open_application(storage: Any, member_id: int) -> Application | None:
    try:
        application: Application = await storage.get_application(member_id)
    except NotFoundError:
        return None
    return application if application.decision is None else None


async def _codes(request: Request, member: Member, found: list[Any]) -> list[dict[str, Any]]:
    """The paste-ready code per theme the member takes part in (as the portal shows it)."""
    runtime = runtime_of(request)
    if runtime.signer is None or member.status == "removed":
        return []
    base_url = runtime.base_url(request).rstrip("/")
    by_id = {t.id: t for t in await runtime.storage.list_themes()}
    codes = []
    for ms in found:
        theme = by_id[ms.theme_id]
        _, _, placement = await network.placement_for(runtime.storage, member.slug, theme.slug)
        token = runtime.signer.embed_token(placement.id)
        codes.append(
            {
                "theme": theme,
                "snippet": placement_snippet(base_url, token, theme),
                # With the block's joint slot (serving/slots.py), as the portal offers it.
                "joint": placement_snippet(base_url, token, theme, show=JOINT_SHOW),
            }
        )
    snapshots = runtime.snapshots
    if codes and snapshots is not None:
        await snapshots.refresh()  # a placement made just now is served at once
    return codes


def _values(member: Member) -> dict[str, str]:
    return {f: getattr(member, f) for f in PROFILE_FIELDS}


async def member_page(
    request: Request,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    portal: Any = None,
    status: int = 200,
) -> Response:
    runtime = runtime_of(request)
    storage = runtime.storage
    lang = lang_of(request)
    member = await storage.get_member(request.path_params["slug"])
    themes = await storage.list_themes()
    by_id = {t.id: t for t in themes}
    found = [
        ms for ms in await storage.list_memberships(member_id=member.id) if ms.theme_id in by_id
    ]
    memberships = [{"theme": by_id[ms.theme_id], "status": ms.status} for ms in found]
    joined = {ms.theme_id for ms in found if ms.status != "left"}
    own = set(network.domains_for(member.website))
    today = day_of(runtime.clock())
    chart = await admin_figures.member_history(
        storage, member, today - timedelta(days=29), today, lang
    )
    return render(
        request,
        "member.html",
        {
            "section": "members",
            "member": member,
            "mixed": mixed_scripts(member.name),
            "values": {**_values(member), **(values or {})},
            "errors": errors or {},
            "categories": categories.choices(lang, member.category),
            "own_domains": sorted(own),
            "extra_domains": (values or {}).get(
                "domains", "\n".join(d for d in member.domains if d not in own)
            ),
            "logo": logo_path(member),
            "logo_max_kb": MAX_BYTES // 1024,
            "memberships": memberships,
            "other_themes": sorted_german(
                (t for t in themes if t.id not in joined), key=lambda t: t.name(lang)
            ),
            "codes": await _codes(request, member, [ms for ms in found if ms.status != "left"]),
            "counted": sum(row.count for row in await storage.member_counts(member.id)),
            "actions": [a for a, (froms, _) in ACTIONS.items() if member.status in froms],
            "portal": portal,
            "portal_days": DEFAULT_DAYS,
            "portal_max_days": MAX_DAYS,
            "chart": chart,
            "history": await audit.entries(storage, subject=f"member:{member.slug}", limit=20),
            "changes": await review.member_entries(request, storage, member),
            "mail": await contacts.get_contact(storage, member),
            "application": await _open_application(storage, member.id),
        },
        status=status,
    )


async def member_save(request: Request) -> Response:
    storage = runtime_of(request).storage
    form = form_of(request)
    slug = request.path_params["slug"]
    before = await storage.get_member(slug)
    changes = {f: form_text(form, f) for f in PROFILE_FIELDS}
    try:
        after = await network.update_member(storage, slug, changes)
    except ValidationError as exc:
        return await member_page(
            request, errors={exc.field: exc.reason}, values=changes, status=422
        )
    detail = audit.member_changes(before, after)
    if detail:
        await audit.record(storage, actor(request), "member.edit", f"member:{slug}", detail)
        await refresh(request)
    return redirect(request, "admin_member", slug=slug, done="saved")


async def domains_save(request: Request) -> Response:
    storage = runtime_of(request).storage
    text = form_text(form_of(request), "domains")
    slug = request.path_params["slug"]
    before = await storage.get_member(slug)
    extra = [line.strip() for line in text.replace(",", "\n").splitlines() if line.strip()]
    try:
        after = await network.update_member(storage, slug, {"domains": extra})
    except ValidationError as exc:
        return await member_page(
            request, errors={"domains": exc.reason}, values={"domains": text}, status=422
        )
    detail = audit.member_changes(before, after)
    if detail:
        await audit.record(storage, actor(request), "member.domains", f"member:{slug}", detail)
        await refresh(request)
    return redirect(request, "admin_member", slug=slug, done="domains_saved")


async def status_change(request: Request) -> Response:
    storage = runtime_of(request).storage
    form = form_of(request)
    slug = request.path_params["slug"]
    action = form_text(form, "action")
    if action not in ACTIONS:
        return await member_page(request, errors={"status": "unknown action"}, status=422)
    froms, target = ACTIONS[action]
    if action == "remove" and form_text(form, "confirm") != "yes":
        return await member_page(request, errors={"confirm": "confirm_remove"}, status=422)
    before = await storage.get_member(slug)
    if before.status not in froms:
        return await member_page(
            request, errors={"status": f"is {before.status}, cannot {action}"}, status=409
        )
    note = form_text(form, "note").strip()[:MAX_NOTE]
    application = await _open_application(storage, before.id)

    async def write() -> Member:
        if application is not None and action in ("approve", "remove"):
            # an application is decided with it, so the applicant's status page says so
            decision = "approved" if action == "approve" else "declined"
            member, _ = await invitations.decide(storage, slug, decision, note, actor(request))
            return member
        return await network.change_member_status(storage, slug, target)

    approved = {"active": True, "removed": False}.get(target)
    try:
        after = await notices.decide_application(mailer_of(request), before, approved, note, write)
    except ConflictError as exc:
        return await member_page(request, errors={"status": str(exc)}, status=409)
    await audit.record(
        storage,
        actor(request),
        f"member.{action}",
        f"member:{slug}",
        f"{before.status} → {after.status}",
    )
    await refresh(request)
    return redirect(request, "admin_member", slug=slug, done=f"status_{action}")


async def logo_upload(request: Request) -> Response:
    storage = runtime_of(request).storage
    upload = form_of(request).get("logo")
    slug = request.path_params["slug"]
    await storage.get_member(slug)  # 404 before anything else
    if not isinstance(upload, UploadFile) or not upload.filename:
        return await member_page(request, errors={"logo": "no_file"}, status=422)
    data = await upload.read(MAX_BYTES + 1)  # one byte more tells "too large"
    try:
        member = await network.set_logo(storage, slug, data)
    except ValidationError as exc:
        return await member_page(request, errors={"logo": exc.reason}, status=422)
    assert member.logo is not None
    logo = member.logo
    detail = f"{logo.content_type}, {logo.width}×{logo.height}, sha256 {logo.digest[:12]}"
    await audit.record(storage, actor(request), "member.logo", f"member:{slug}", detail)
    await refresh(request)
    return redirect(request, "admin_member", slug=slug, done="logo_saved")


async def membership_change(request: Request) -> Response:
    storage = runtime_of(request).storage
    form = form_of(request)
    slug = request.path_params["slug"]
    theme, status = form_text(form, "theme"), form_text(form, "status")
    try:
        await network.set_membership_status(storage, slug, theme, status)
    except ValidationError as exc:
        return await member_page(request, errors={"membership": exc.reason}, status=422)
    await audit.record(
        storage, actor(request), "member.theme", f"member:{slug}", f"{theme}: {status}"
    )
    await refresh(request)
    return redirect(request, "admin_member", slug=slug, done="membership_saved")


async def portal_link_create(request: Request) -> Response:
    """Make a portal link and show it once; only the fact is kept (audit log), not the link."""
    runtime = runtime_of(request)
    assert runtime.signer is not None
    slug = request.path_params["slug"]
    member = await runtime.storage.get_member(slug)
    if form_text(form_of(request), "action") == "revoke":
        ended = await portal_links.revoke(runtime.storage, member.id)
        await audit.record(
            runtime.storage, actor(request), "portal.revoke", f"member:{slug}", f"{ended} links"
        )
        return redirect(request, "admin_member", slug=slug, done="portal_revoked")
    raw = form_text(form_of(request), "days").strip()
    try:
        days = int(raw)
    except ValueError:
        reason = f"{raw[:20]!r} is not a whole number"
        return await member_page(request, errors={"days": reason}, values={"days": raw}, status=422)
    if member.status == "removed":
        return await member_page(request, errors={"days": "member_removed"}, status=422)
    try:
        link = await issue_link(
            runtime.storage,
            runtime.signer,
            member.id,
            days,
            runtime.clock(),
            runtime.base_url(request),
        )
    except ValidationError as exc:
        return await member_page(
            request, errors={"days": exc.reason}, values={"days": raw}, status=422
        )
    await audit.record(
        runtime.storage,
        actor(request),
        "portal.link",
        f"member:{slug}",
        f"valid {days} days, until {link.expires_iso[:16].replace('T', ' ')} UTC",
    )
    return await member_page(request, portal=link)
