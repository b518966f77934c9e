"""Joining the network without anybody's help: ``/join`` (issue 11, docs/admin.md).

``/join`` is the public "Mitglied werden" page, for the themes the
coordinators opened; ``/join/i/{token}`` the same form for one theme through
an invitation link.  The business fills in its profile, sees its card as it
will appear in its partners' blocks (rendered by the server on "Preview",
updated as it types by ``static/join.js``), and sends it: it lands as a
pending member, shown nowhere until a coordinator approves it.  Then its
status link (``/join/status/{token}``) shows the decision, the coordinators'
note and, once approved, its code and a way into its member area.

No cookie is set.  Every form carries a signed form token (what it is for,
valid ``FORM_HOURS``); a hidden honeypot field that people leave empty
(``HONEYPOT``): a form with it filled is thanked and dropped; and per
process at most ``PER_ADDRESS`` applications per address and hour (the
address is kept in memory only, as a keyed hash) and ``PER_HOUR`` in all.
The pages send the public pages' security headers and ``no-store``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from widget_server.core.collation import sorted_german
from widget_server.core.errors import BadTokenError, NotFoundError, ValidationError
from widget_server.core.i18n import translator
from widget_server.core.models import Invitation, Member, Theme
from widget_server.core.signing import SALT_INVITATION
from widget_server.counting.events import RateLimiter
from widget_server.network import audit, categories, invitations
from widget_server.network import services as network
from widget_server.network.logos import MAX_BYTES, check_logo
from widget_server.network.portal_links import DEFAULT_DAYS, issue_link
from widget_server.serving.blocks import HEADINGS, logo_path
from widget_server.serving.snippets import placement_snippet
from widget_server.web.endpoints.admin.base import read_body, replay
from widget_server.web.endpoints.public import PAGE_HEADERS, request_language
from widget_server.web.reasons import reason_text
from widget_server.web.runtime import runtime_of

HEADERS = {**PAGE_HEADERS, "Cache-Control": "no-store"}
FIELDS = ("name", "website", "category", "town", "postal_code", "description")
HONEYPOT = "fax"  # hidden from people; bots fill in every field
FORM_HOURS = 6
PER_ADDRESS = 5  # applications per address and hour
PER_HOUR = 100  # applications per process and hour
MAX_BODY = 1024 * 1024


class JoinLimits:
    """Per process: applications per address (keyed hash, memory only) and in all."""

    def __init__(self) -> None:
        self.key = secrets.token_bytes(16)
        self.address = RateLimiter(PER_ADDRESS, 3600)
        self.total = RateLimiter(PER_HOUR, 3600)

    def allow(self, address: str, now: float) -> bool:
        hashed = hmac.new(self.key, address.encode(), hashlib.blake2b).digest()[:16]
        return self.address.allow(hashed, now) and self.total.allow(b"all", now)


def _limits(request: Request) -> JoinLimits:
    found: JoinLimits | None = getattr(request.app.state, "join_limits", None)
    if found is None:
        found = request.app.state.join_limits = JoinLimits()
    return found


def _page(request: Request, template: str, context: dict[str, Any], status: int = 200) -> Response:
    runtime = runtime_of(request)
    lang = context.get("lang") or request_language(request)
    return runtime.templates.TemplateResponse(
        request,
        f"public/{template}",
        {"lang": lang, "reason": lambda text: reason_text(lang, text), **context},
        status_code=status,
        headers=HEADERS,
    )


def _form_token(request: Request, purpose: str) -> str:
    signer = runtime_of(request).signer
    assert signer is not None
    return signer.dumps(SALT_INVITATION, {"f": purpose})


def _form_token_ok(request: Request, form: FormData, purpose: str) -> bool:
    signer = runtime_of(request).signer
    value = form.get("form")
    if signer is None or not isinstance(value, str):
        return False
    try:
        data = signer.loads(SALT_INVITATION, value, max_age=FORM_HOURS * 3600)
    except BadTokenError:
        return False
    return isinstance(data, dict) and data.get("f") == purpose


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value[:2000] if isinstance(value, str) else ""


def _preview(request: Request, theme: Theme, values: dict[str, str], lang: str) -> dict[str, Any]:
    """The block with the applicant's card first and up to two current partners."""
    runtime = runtime_of(request)
    assert runtime.snapshots is not None
    snapshot = runtime.snapshots.current
    base_url = runtime.base_url(request).rstrip("/")
    others = list(snapshot.active_members.get(theme.id, ())[:2])  # two made, not thousands
    own = {
        "name": values.get("name", "").strip() or translator(lang).gettext("Your business"),
        "description": " ".join(values.get("description", "").split())[:300],
        "category": categories.category_label(values.get("category", ""), lang),
        "town": values.get("town", "").strip()[:100],
        "url": base_url + "/join",
        "logo": None,
        "rel": "nofollow",
    }
    partners = [own] + [
        {
            "name": m.name,
            "description": m.description,
            "category": categories.category_label(m.category, lang),
            "town": m.town,
            "url": m.website,
            "logo": f"{base_url}{logo_path(m)}" if logo_path(m) else None,
        }
        for m in others
    ]
    t = translator(lang)
    return {
        "lang": lang,
        "layout": "cards",
        "scheme": "light",
        "heading": t.gettext(HEADINGS[theme.kind], theme=theme.name(lang)),
        "label": t.gettext("Partners in the %(theme)s network", theme=theme.name(lang)),
        "partners": partners,
        "fallback": False,
        "more": None,
    }


async def _form(
    request: Request,
    *,
    themes: list[Theme],
    theme: Theme | None,
    purpose: str,
    invitation: Invitation | None = None,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    lang = request_language(request)
    values = values or {}
    shown = theme or (themes[0] if themes else None)
    return _page(
        request,
        "join.html",
        {
            "lang": lang,
            "themes": themes,
            "theme": theme,
            "invitation": invitation,
            "values": values,
            "errors": errors or {},
            "categories": categories.choices(lang, values.get("category", "")),
            "form_token": _form_token(request, purpose),
            "honeypot": HONEYPOT,
            "preview": _preview(request, shown, values, lang) if shown else None,
            "logo_max_kb": MAX_BYTES // 1024,
        },
        status=status,
    )


async def _open_themes(request: Request) -> list[Theme]:
    storage = runtime_of(request).storage
    lang = request_language(request)
    slugs = set(await invitations.open_themes(storage))
    themes = [t for t in await storage.list_themes() if t.slug in slugs]
    return sorted_german(themes, key=lambda t: t.name(lang))


async def _invitation(request: Request) -> Invitation | None:
    runtime = runtime_of(request)
    assert runtime.signer is not None
    try:
        return await invitations.read(
            runtime.storage, runtime.signer, request.path_params["token"], runtime.clock()
        )
    except BadTokenError:
        return None


async def join_page(request: Request) -> Response:
    themes = await _open_themes(request)
    if not themes:
        return _page(request, "join_closed.html", {}, status=404)
    wanted = request.query_params.get("theme")
    theme = next((t for t in themes if t.slug == wanted), None)
    return await _form(request, themes=themes, theme=theme, purpose="open")


async def invitation_page(request: Request) -> Response:
    invitation = await _invitation(request)
    if invitation is None:
        return _page(request, "join_closed.html", {"invalid": True}, status=410)
    theme = await _theme_by_id(request, invitation.theme_id)
    return await _form(
        request, themes=[theme], theme=theme, purpose=f"i:{invitation.id}", invitation=invitation
    )


async def _theme_by_id(request: Request, theme_id: int) -> Theme:
    for theme in await runtime_of(request).storage.list_themes():
        if theme.id == theme_id:
            return theme
    raise NotFoundError(f"no theme with id {theme_id}")


async def _read_form(request: Request) -> FormData | None:
    body = await read_body(request.receive)
    if body is None:
        return None
    return await Request(request.scope, replay(body)).form(
        max_files=1, max_fields=30, max_part_size=MAX_BYTES + 4096
    )


async def join_post(request: Request) -> Response:
    themes = await _open_themes(request)
    if not themes:
        return _page(request, "join_closed.html", {}, status=404)
    form = await _read_form(request)
    if form is None:
        return _page(request, "join_closed.html", {"too_large": True}, status=413)
    theme = next((t for t in themes if t.slug == _text(form, "theme")), None)
    return await _apply(request, form, themes=themes, theme=theme, purpose="open", invitation=None)


async def invitation_post(request: Request) -> Response:
    invitation = await _invitation(request)
    if invitation is None:
        return _page(request, "join_closed.html", {"invalid": True}, status=410)
    form = await _read_form(request)
    if form is None:
        return _page(request, "join_closed.html", {"too_large": True}, status=413)
    theme = await _theme_by_id(request, invitation.theme_id)
    return await _apply(
        request,
        form,
        themes=[theme],
        theme=theme,
        purpose=f"i:{invitation.id}",
        invitation=invitation,
    )


async def _apply(
    request: Request,
    form: FormData,
    *,
    themes: list[Theme],
    theme: Theme | None,
    purpose: str,
    invitation: Invitation | None,
) -> Response:
    runtime = runtime_of(request)
    assert runtime.signer is not None
    try:
        values = {f: _text(form, f) for f in FIELDS}
        again: dict[str, Any] = {
            "themes": themes,
            "theme": theme,
            "purpose": purpose,
            "invitation": invitation,
            "values": values,
        }
        if not _form_token_ok(request, form, purpose):
            return await _form(request, **again, errors={"form": "form_expired"}, status=403)
        if theme is None:
            return await _form(request, **again, errors={"theme": "choose_theme"}, status=422)
        if _text(form, "action") == "preview":
            return await _form(request, **again)
        if _text(form, HONEYPOT):
            return _page(request, "join_done.html", {"status_url": None})  # dropped
        try:
            invitations.check_application(invitations.ApplicationInput(**values))
        except ValidationError as exc:
            return await _form(request, **again, errors={exc.field: exc.reason}, status=422)
        upload = form.get("logo")
        logo = b""
        if isinstance(upload, UploadFile) and upload.filename:
            logo = await upload.read(MAX_BYTES + 1)
            try:
                check_logo(0, logo)
            except ValidationError as exc:
                return await _form(request, **again, errors={"logo": exc.reason}, status=422)
        client = request.client.host if request.client else ""
        if not _limits(request).allow(client, runtime.clock()):
            return _page(request, "join_closed.html", {"limited": True}, status=429)
        try:
            member = await invitations.submit(
                runtime.storage,
                invitations.ApplicationInput(**values),
                theme,
                invitation,
                runtime.clock(),
            )
        except BadTokenError:
            return _page(request, "join_closed.html", {"invalid": True}, status=410)
        if logo:
            await network.set_logo(runtime.storage, member.slug, logo)
        source = f"invitation {invitation.id[:6]}…" if invitation else "public page"
        await _audit(runtime.storage, member, theme, source)
        token = invitations.status_token(runtime.signer, member.id)
        url = request.url_for("join_status", token=token).path
        return RedirectResponse(f"{url}?new=1", status_code=303)
    finally:
        await form.close()


async def _audit(storage: Any, member: Member, theme: Theme, source: str) -> None:
    await audit.record(
        storage,
        f"applicant:{member.slug}",
        "application.submit",
        f"member:{member.slug}",
        f"theme {theme.slug}, from the {source}",
    )


async def status_page(request: Request) -> Response:
    runtime = runtime_of(request)
    assert runtime.signer is not None
    try:
        member_id = invitations.read_status_token(runtime.signer, request.path_params["token"])
        member = await runtime.storage.get_member_by_id(member_id)
        application = await runtime.storage.get_application(member_id)
    except (BadTokenError, NotFoundError):
        return _page(request, "join_closed.html", {"invalid": True}, status=410)
    codes = []
    if application.decision == "approved" and member.status in ("active", "paused"):
        base_url = runtime.base_url(request).rstrip("/")
        for ms in await runtime.storage.list_memberships(member_id=member.id):
            if ms.status == "left":
                continue
            theme = await _theme_by_id(request, ms.theme_id)
            _, _, placement = await network.placement_for(runtime.storage, member.slug, theme.slug)
            token = runtime.signer.embed_token(placement.id)
            codes.append({"theme": theme, "snippet": placement_snippet(base_url, token, theme)})
        if codes and runtime.snapshots is not None:
            await runtime.snapshots.refresh()
    return _page(
        request,
        "join_status.html",
        {
            "member": member,
            "application": application,
            "codes": codes,
            "new": request.query_params.get("new") == "1",
            "token": request.path_params["token"],
        },
    )


async def status_portal(request: Request) -> Response:
    """An approved applicant's way into its member area: a fresh portal link, then there."""
    runtime = runtime_of(request)
    assert runtime.signer is not None
    try:
        member_id = invitations.read_status_token(runtime.signer, request.path_params["token"])
        member = await runtime.storage.get_member_by_id(member_id)
        application = await runtime.storage.get_application(member_id)
    except (BadTokenError, NotFoundError):
        return _page(request, "join_closed.html", {"invalid": True}, status=410)
    if application.decision != "approved" or member.status == "removed":
        return _page(request, "join_closed.html", {"invalid": True}, status=410)
    link = await issue_link(
        runtime.storage,
        runtime.signer,
        member.id,
        DEFAULT_DAYS,
        runtime.clock(),
        runtime.base_url(request),
    )
    return RedirectResponse(
        link.url,
        status_code=303,
        headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
    )
