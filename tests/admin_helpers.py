"""Helpers of the admin tests: an account, signing in, CSRF tokens, checking fields."""

from __future__ import annotations

import html as html_lib
import re

import httpx

from widget_server.core.models import Account
from widget_server.core.passwords import hash_password
from widget_server.storage import SQLiteStorage

USER = "koordination"
PASSWORD = "ein-sehr-geheimes-passwort"  # noqa: S105  (a test account)
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


async def make_account(storage: SQLiteStorage, username: str = USER) -> None:
    await storage.create_account(Account(0, username, hash_password(PASSWORD), "coordinator"))


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "no CSRF field on the page"
    return found.group(1)


async def token(client: httpx.AsyncClient, path: str = "/admin/") -> str:
    """The session's CSRF token, read from a page as a browser would."""
    page = await client.get(path)
    assert page.status_code == 200, (path, page.status_code)
    return csrf_of(page.text)


async def login(
    client: httpx.AsyncClient, username: str = USER, password: str = PASSWORD
) -> httpx.Response:
    form = await client.get("/admin/login")
    return await client.post(
        "/admin/login",
        data={"csrf": csrf_of(form.text), "username": username, "password": password},
    )


async def signed_in(client: httpx.AsyncClient) -> str:
    """Sign in and return the new session's CSRF token."""
    response = await login(client)
    assert response.status_code == 303, response.text
    return await token(client)


async def post(
    client: httpx.AsyncClient, path: str, data: dict[str, str], **kwargs: object
) -> httpx.Response:
    """POST a form with the session's CSRF token (taken from the page at ``path``)."""
    csrf = await token(client)
    return await client.post(path, data={"csrf": csrf, **data}, **kwargs)  # type: ignore[arg-type]


def assert_invalid(html: str, input_id: str, text: str | None = None) -> None:
    """The input is marked invalid and described by a message right below it."""
    tag = re.search(rf'<(?:input|textarea|select)[^>]*id="{re.escape(input_id)}"[^>]*>', html)
    assert tag, f"no input {input_id}"
    assert 'aria-invalid="true"' in tag.group(0), tag.group(0)
    assert f"{input_id}-error" in tag.group(0), tag.group(0)
    message = re.search(rf'<p class="field-error" id="{re.escape(input_id)}-error">(.*?)</p>', html)
    assert message, f"no message for {input_id}"
    if text is not None:
        assert text in html_lib.unescape(message.group(1)), message.group(1)
