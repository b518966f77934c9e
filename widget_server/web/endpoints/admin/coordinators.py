"""Coordinator accounts in the admin: the list, adding, deactivating, reset links, own password.

A coordinator added here starts without a password: the page shows a one-time
link (once, like a portal link) with which the new coordinator sets one; the
same link resets a forgotten password.  ``/admin/reset/{token}`` is public
(the guard lets it through without a session) and works once.  Every change
is written to the audit log under the acting coordinator (``actor``).
"""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import Response

from widget_server.core.errors import BadTokenError, ConflictError, ValidationError
from widget_server.core.passwords import hash_password, verify_password
from widget_server.network import audit
from widget_server.network import coordinators as accounts
from widget_server.web.endpoints.admin.base import actor, render, session_of
from widget_server.web.endpoints.guards import form_of, form_text, redirect
from widget_server.web.runtime import runtime_of


async def coordinator_list(
    request: Request,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    link: accounts.ResetLink | None = None,
    status: int = 200,
) -> Response:
    storage = runtime_of(request).storage
    rows = await storage.list_accounts()
    return render(
        request,
        "coordinators.html",
        {
            "section": "coordinators",
            "accounts": rows,
            "errors": errors or {},
            "values": values or {},
            "link": link,
            "history": [
                line
                for line in await audit.entries(storage, limit=200)
                if line.subject.startswith("coordinator:")
            ][:20],
        },
        status=status,
    )


async def _link(request: Request, username: str) -> accounts.ResetLink:
    runtime = runtime_of(request)
    assert runtime.signer is not None
    return await accounts.issue_reset_link(
        runtime.storage, runtime.signer, username, runtime.clock(), runtime.base_url(request)
    )


async def coordinator_add(request: Request) -> Response:
    storage = runtime_of(request).storage
    username = form_text(form_of(request), "username").strip()[:100]
    try:
        account = await accounts.add_coordinator(storage, username, None)
    except ValidationError as exc:
        return await coordinator_list(
            request, errors={"username": exc.reason}, values={"username": username}, status=422
        )
    except ConflictError:
        return await coordinator_list(
            request, errors={"username": "user_taken"}, values={"username": username}, status=409
        )
    await audit.record(
        storage, actor(request), "coordinator.add", f"coordinator:{account.username}"
    )
    link = await _link(request, account.username)
    await audit.record(
        storage,
        actor(request),
        "coordinator.reset_link",
        f"coordinator:{account.username}",
        f"valid until {link.expires_iso.replace('T', ' ')} UTC",
    )
    return await coordinator_list(request, link=link)


async def coordinator_change(request: Request) -> Response:
    """Deactivate, activate, or make a reset link for one coordinator."""
    storage = runtime_of(request).storage
    username = request.path_params["user"]
    action = form_text(form_of(request), "action")
    await storage.get_account(username)  # 404 for an unknown name
    if action in ("deactivate", "activate"):
        if action == "deactivate" and username == session_of(request).username:
            return await coordinator_list(request, errors={"account": "not_yourself"}, status=409)
        try:
            await accounts.set_active(storage, username, action == "activate")
        except ConflictError:
            return await coordinator_list(
                request, errors={"account": "last_coordinator"}, status=409
            )
        await audit.record(
            storage, actor(request), f"coordinator.{action}", f"coordinator:{username}"
        )
        return redirect(request, "admin_coordinators", done=f"coordinator_{action}")
    if action == "reset":
        try:
            link = await _link(request, username)
        except ConflictError:
            return await coordinator_list(request, errors={"account": "deactivated"}, status=409)
        await audit.record(
            storage,
            actor(request),
            "coordinator.reset_link",
            f"coordinator:{username}",
            f"valid until {link.expires_iso.replace('T', ' ')} UTC",
        )
        return await coordinator_list(request, link=link)
    return await coordinator_list(request, errors={"account": "unknown action"}, status=422)


async def account_page(
    request: Request, *, errors: dict[str, str] | None = None, status: int = 200
) -> Response:
    return render(
        request, "account.html", {"section": "coordinators", "errors": errors or {}}, status=status
    )


async def account_save(request: Request) -> Response:
    """Change one's own password: the current one, the new one twice; other sessions end."""
    runtime = runtime_of(request)
    form = form_of(request)
    username = session_of(request).username
    assert username is not None
    current, new, again = (
        form_text(form, "current")[:1000],
        form_text(form, "password")[:1001],
        form_text(form, "again")[:1001],
    )
    account = await runtime.storage.get_account(username)
    if not await asyncio.to_thread(verify_password, current, account.password_hash):
        return await account_page(request, errors={"current": "wrong_password"}, status=422)
    try:
        accounts.check_password(new)
    except ValidationError as exc:
        return await account_page(request, errors={"password": exc.reason}, status=422)
    if new != again:
        return await account_page(request, errors={"again": "passwords_differ"}, status=422)
    hashed = await asyncio.to_thread(hash_password, new)
    await runtime.storage.set_password(username, hashed)  # ends every session, this one too
    await audit.record(
        runtime.storage, actor(request), "coordinator.password", f"coordinator:{username}"
    )
    return redirect(request, "admin_login", done="password_changed")


async def _reset_claim(request: Request) -> tuple[str, str] | None:
    runtime = runtime_of(request)
    assert runtime.signer is not None
    try:
        username, link_id = accounts.read_reset_token(
            runtime.signer, request.path_params["token"], runtime.clock()
        )
    except BadTokenError:
        return None
    if not await runtime.storage.password_reset_active(link_id, username, runtime.clock()):
        return None
    return username, link_id


async def reset_form(request: Request) -> Response:
    claim = await _reset_claim(request)
    if claim is None:
        return render(request, "reset.html", {"invalid": True}, status=410)
    return render(request, "reset.html", {"username": claim[0]})


async def reset_save(request: Request) -> Response:
    runtime = runtime_of(request)
    claim = await _reset_claim(request)
    if claim is None:
        return render(request, "reset.html", {"invalid": True}, status=410)
    username, link_id = claim
    form = form_of(request)
    new, again = form_text(form, "password")[:1001], form_text(form, "again")[:1001]
    try:
        accounts.check_password(new)
    except ValidationError as exc:
        return render(
            request,
            "reset.html",
            {"username": username, "errors": {"password": exc.reason}},
            status=422,
        )
    if new != again:
        return render(
            request,
            "reset.html",
            {"username": username, "errors": {"again": "passwords_differ"}},
            status=422,
        )
    hashed = await asyncio.to_thread(hash_password, new)
    if not await runtime.storage.use_password_reset(link_id, username, hashed, runtime.clock()):
        return render(request, "reset.html", {"invalid": True}, status=410)
    await audit.record(
        runtime.storage,
        f"admin:{username}",
        "coordinator.password_reset",
        f"coordinator:{username}",
    )
    return redirect(request, "admin_login", done="password_set")
