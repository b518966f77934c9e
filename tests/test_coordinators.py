"""Several coordinators: the admin's accounts page, reset links, own password; the CLI's
``admin`` commands and ``init`` doing what its flags ask (issue 11, point 3)."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import httpx
import pytest

from tests.admin_helpers import PASSWORD, USER, csrf_of, login, make_account, post, signed_in
from widget_server.cli import main
from widget_server.core.passwords import verify_password
from widget_server.storage import SQLiteStorage

HOSTILE = '<script>alert("x")</script>'
_LINK = re.compile(r'id="reset-url" class="copy-field" type="text" readonly value="([^"]+)"')


def reset_path(html: str) -> str:
    found = _LINK.search(html)
    assert found, "no reset link on the page"
    return "/" + found.group(1).split("/", 3)[3]


# -- the admin --------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_a_second_coordinator_is_added_sets_a_password_and_acts_under_own_name(
    network: dict[str, int], storage: SQLiteStorage, client: httpx.AsyncClient, app: object
) -> None:
    await make_account(storage)
    await signed_in(client)
    page = await post(client, "/admin/coordinators", {"username": "anna"})
    assert page.status_code == 200
    path = reset_path(page.text)
    assert path.startswith("/admin/reset/")
    assert [a.username for a in await storage.list_accounts()] == [USER, "anna"]
    # anna cannot sign in before she has set a password
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as anna:
        assert (await login(anna, "anna", "")).status_code == 401
        form = await anna.get(path)
        assert form.status_code == 200 and "anna" in form.text
        short = await anna.post(
            path, data={"csrf": csrf_of(form.text), "password": "kurz", "again": "kurz"}
        )
        assert short.status_code == 422
        new = "annas-neues-passwort"
        done = await anna.post(
            path, data={"csrf": csrf_of(form.text), "password": new, "again": new}
        )
        assert done.status_code == 303 and "done=password_set" in done.headers["location"]
        again = await anna.get(path)
        assert again.status_code == 410  # the link worked once
        assert (await login(anna, "anna", new)).status_code == 303
        changed = await post(
            anna,
            "/admin/members/blumen",
            {"name": "Blumen Anna", "website": "https://blumen.example/"},
        )
        assert changed.status_code == 303
    entries = await storage.list_audit_entries()
    actors = {(e.actor, e.action) for e in entries}
    assert ("admin:koordination", "coordinator.add") in actors
    assert ("admin:anna", "coordinator.password_reset") in actors
    assert ("admin:anna", "member.edit") in actors


@pytest.mark.asyncio
async def test_a_deactivated_coordinator_is_signed_out_and_cannot_sign_in(
    network: dict[str, int], storage: SQLiteStorage, client: httpx.AsyncClient, app: object
) -> None:
    await make_account(storage)
    await make_account(storage, "ben")
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as ben:
        assert (await login(ben, "ben")).status_code == 303
        assert (await ben.get("/admin/")).status_code == 200
        await signed_in(client)
        own = await post(client, f"/admin/coordinators/{USER}", {"action": "deactivate"})
        assert own.status_code == 409  # never oneself
        done = await post(client, "/admin/coordinators/ben", {"action": "deactivate"})
        assert done.status_code == 303
        assert (await ben.get("/admin/")).status_code == 303  # to the login
        assert (await login(ben, "ben")).status_code == 401
    listed = await client.get("/admin/coordinators")
    assert "Wieder freischalten" in listed.text or "Activate again" in listed.text
    assert (await storage.get_account("ben")).active is False


@pytest.mark.asyncio
async def test_changing_ones_own_password_needs_the_current_one_and_ends_sessions(
    network: dict[str, int], storage: SQLiteStorage, client: httpx.AsyncClient
) -> None:
    await make_account(storage)
    await signed_in(client)
    wrong = await post(
        client, "/admin/account", {"current": "falsch", "password": "x" * 12, "again": "x" * 12}
    )
    assert wrong.status_code == 422
    differ = await post(
        client, "/admin/account", {"current": PASSWORD, "password": "x" * 12, "again": "y" * 12}
    )
    assert differ.status_code == 422
    done = await post(
        client, "/admin/account", {"current": PASSWORD, "password": "x" * 12, "again": "x" * 12}
    )
    assert done.status_code == 303
    assert (await client.get("/admin/")).status_code == 303  # signed out
    account = await storage.get_account(USER)
    assert verify_password("x" * 12, account.password_hash)


@pytest.mark.asyncio
async def test_a_hostile_user_name_is_refused_and_shown_inert(
    network: dict[str, int], storage: SQLiteStorage, client: httpx.AsyncClient
) -> None:
    await make_account(storage)
    await signed_in(client)
    page = await post(client, "/admin/coordinators", {"username": HOSTILE})
    assert page.status_code == 422
    assert HOSTILE not in page.text and "&lt;script&gt;" in page.text
    assert len(await storage.list_accounts()) == 1


@pytest.mark.asyncio
async def test_the_reset_page_needs_no_login_but_a_genuine_unused_link(
    network: dict[str, int], storage: SQLiteStorage, client: httpx.AsyncClient
) -> None:
    await make_account(storage)
    forged = await client.get("/admin/reset/not-a-token")
    assert forged.status_code == 410
    assert "content-security-policy" in forged.headers
    # without the CSRF token, nothing happens
    refused = await client.post("/admin/reset/not-a-token", data={"password": "x" * 12})
    assert refused.status_code == 403


# -- the CLI ----------------------------------------------------------------------------------


def run(
    db: Path, capsys: pytest.CaptureFixture[str], *argv: str, stdin: str | None = None
) -> tuple[int, str, str]:
    capsys.readouterr()
    if stdin is not None:
        pytest.MonkeyPatch().setattr("sys.stdin", io.StringIO(stdin))
    code = main(list(argv), environ={"WIDGET_DATABASE_URL": f"sqlite:///{db}"})
    out = capsys.readouterr()
    return code, out.out, out.err


def test_init_does_what_its_flags_ask_or_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "net.db"
    code, out, err = run(
        db, capsys, "init", "--password-stdin", "--json", stdin="erstes-passwort-1\n"
    )
    assert code == 0, err
    assert json.loads(out)["coordinator"] == "koordination"
    code, out, err = run(
        db, capsys, "init", "--admin", "anna", "--password-stdin", stdin="annas-passwort-2\n"
    )
    assert code == 0, err
    code, out, err = run(db, capsys, "init", "--admin", "anna")
    assert code == 1 and "anna" in err and "exists" in err
    code, out, err = run(db, capsys, "init", "--password-stdin", stdin="noch-ein-passwort\n")
    assert code == 2 and "--password-stdin" in err
    code, out, err = run(db, capsys, "init")
    assert code == 0, err  # migrating an existing database is what a bare init asks
    code, out, _ = run(db, capsys, "admin", "list", "--json")
    users = {row["user"]: row["active"] for row in json.loads(out)}
    assert users == {"koordination": True, "anna": True}

    import sqlite3

    with sqlite3.connect(db) as conn:
        hashes = dict(conn.execute("SELECT username, password_hash FROM accounts"))
    assert verify_password("erstes-passwort-1", hashes["koordination"])
    assert verify_password("annas-passwort-2", hashes["anna"])


def test_admin_commands_add_deactivate_and_make_reset_links(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "net.db"
    assert run(db, capsys, "init")[0] == 0
    code, out, err = run(db, capsys, "admin", "add", "ben", "--json")
    assert code == 0, err
    assert len(json.loads(out)["password"]) >= 10
    code, out, err = run(db, capsys, "admin", "add", "ben")
    assert code == 1 and "ben" in err
    code, out, err = run(db, capsys, "admin", "add", "Böse Name")
    assert code == 2 and "Böse Name" in err
    code, out, err = run(
        db, capsys, "admin", "reset-link", "ben", "--base-url", "https://p.example", "--json"
    )
    assert code == 0, err
    assert json.loads(out)["url"].startswith("https://p.example/admin/reset/")
    code, out, err = run(db, capsys, "admin", "reset-link", "ben")  # no public URL: no guess
    assert code == 2 and "WIDGET_PUBLIC_URL" in err and out == ""
    assert run(db, capsys, "admin", "deactivate", "ben")[0] == 0
    code, out, err = run(
        db, capsys, "admin", "reset-link", "ben", "--base-url", "https://p.example"
    )
    assert code == 1 and "deactivated" in err
    code, out, err = run(db, capsys, "admin", "deactivate", "koordination")
    assert code == 1 and "last active" in err
    code, out, _ = run(db, capsys, "admin", "list")
    assert re.search(r"ben\s+deactivated", out)
    import sqlite3

    with sqlite3.connect(db) as conn:
        actions = [r[0] for r in conn.execute("SELECT action FROM audit_log WHERE actor = 'cli'")]
    assert actions.count("coordinator.add") == 2  # init's and ben
    assert "coordinator.deactivate" in actions and "coordinator.reset_link" in actions
