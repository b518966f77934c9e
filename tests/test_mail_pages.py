"""Mail where people set it and decide: the API, the admin, the portal, the CLI."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from starlette.applications import Starlette
from starlette.datastructures import Secret

from widget_server.cli import main
from widget_server.core.settings import Settings
from widget_server.core.signing import Signer
from widget_server.mail import contacts
from widget_server.storage import Storage
from widget_server.web.app import create_app
from widget_server.web.endpoints.admin import mail as admin_mail

from .admin_helpers import assert_invalid, make_account, post, signed_in
from .api_auth import make_keys
from .conftest import SECRET, Clock, reopened
from .mail_helpers import PUBLIC_URL, SENDER, SmtpSink
from .portal_helpers import open_portal, portal_post


@pytest.fixture
def sink(tmp_path: Path) -> Iterator[SmtpSink]:
    directory = tmp_path / "arrived"
    directory.mkdir()
    server = SmtpSink(directory)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def mail_settings(settings: Settings, sink: SmtpSink) -> Settings:
    return settings.with_changes(smtp_url=Secret(sink.url), mail_from=SENDER, public_url=PUBLIC_URL)


@pytest_asyncio.fixture
async def mail_client(
    mail_settings: Settings, storage: Storage, clock: Clock, network: dict[str, int]
) -> AsyncIterator[httpx.AsyncClient]:
    await make_account(storage)
    app: Starlette = create_app(mail_settings, storage=reopened(storage), clock=clock)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="https://testserver"
        ) as client,
    ):
        yield client


async def keys_of(storage: Storage, prefix: str) -> list[str]:
    return [m.key for m in await storage.list_mails(limit=1000) if m.key.startswith(prefix)]


@pytest.mark.asyncio
async def test_api_sets_a_members_address_and_refuses_header_injection(
    mail_client: httpx.AsyncClient, storage: Storage
) -> None:
    keys = await make_keys(storage)
    path = "/api/v1/members/blumen/mail"
    bad = await mail_client.put(
        path, json={"email": "a@b.example\r\nBcc: x@evil.example"}, headers=keys.blumen
    )
    assert bad.status_code == 422 and bad.json()["field"] == "email"
    other = await mail_client.put(path, json={"email": "x@y.example"}, headers=keys.fotos)
    assert other.status_code == 403
    ok = await mail_client.put(
        path,
        json={"email": "info@blumenhaus.example", "language": "en", "opt_outs": ["report"]},
        headers=keys.blumen,
    )
    assert ok.json() == {
        "email": "info@blumenhaus.example",
        "language": "en",
        "opt_outs": ["report"],
    }
    unknown = await mail_client.put(path, json={"opt_outs": ["spam"]}, headers=keys.blumen)
    assert unknown.status_code == 422 and unknown.json()["field"] == "opt_outs"
    read = await mail_client.get(path, headers=keys.coordinator)
    assert read.json()["email"] == "info@blumenhaus.example"


@pytest.mark.asyncio
async def test_an_application_through_the_api_is_acknowledged_by_mail(
    mail_client: httpx.AsyncClient, storage: Storage
) -> None:
    keys = await make_keys(storage)
    body = {
        "slug": "neu",
        "name": "Neue Bäckerei",
        "website": "https://neu.example/",
        "email": "kein-gueltiges",
    }
    refused = await mail_client.post("/api/v1/members", json=body, headers=keys.coordinator)
    assert refused.status_code == 422
    with pytest.raises(Exception):  # noqa: B017  nothing was written
        await storage.get_member("neu")
    body["email"] = "hallo@neu.example"
    created = await mail_client.post("/api/v1/members", json=body, headers=keys.coordinator)
    assert created.status_code == 201 and created.json()["status"] == "pending"
    member = await storage.get_member("neu")
    assert await keys_of(storage, "application:") == [f"application:{member.id}:received"]
    removed = await mail_client.delete("/api/v1/members/neu", headers=keys.coordinator)
    assert removed.status_code == 200
    # the decline survives the removal, which deletes the member's other unsent mails
    assert f"application:{member.id}:declined" in await keys_of(storage, "application:")
    assert await contacts.get_contact(storage, member) is None


@pytest.mark.asyncio
async def test_admin_approval_sends_the_coordinators_note(
    mail_client: httpx.AsyncClient, storage: Storage, sink: SmtpSink
) -> None:
    member = await storage.get_member("fotos")
    await storage.set_member_status(member.id, "pending")
    await contacts.set_contact(storage, member, email="info@brandt.example")
    await signed_in(mail_client)
    note = "Willkommen! <b>Bitte</b> das Logo tauschen."
    done = await post(
        mail_client, "/admin/members/fotos/status", {"action": "approve", "note": note}
    )
    assert done.status_code == 303
    (mail,) = [m for m in await storage.list_mails() if m.key.startswith("application:")]
    assert mail.key == f"application:{member.id}:approved"
    from email import message_from_string
    from email.policy import default

    message = message_from_string(mail.message, policy=default)
    assert note in message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "&lt;b&gt;Bitte&lt;/b&gt;" in html


@pytest.mark.asyncio
async def test_admin_keeps_a_bad_address_out_and_says_why(
    mail_client: httpx.AsyncClient, storage: Storage
) -> None:
    await signed_in(mail_client)
    bad = await post(mail_client, "/admin/members/blumen/mail", {"email": '"><script>x</script>@a'})
    assert bad.status_code == 422
    assert "<script>x" not in bad.text
    assert_invalid(bad.text, "f-email")
    ok = await post(
        mail_client,
        "/admin/members/blumen/mail",
        {"email": "info@blumenhaus.example", "mail_language": "en"},
    )
    assert ok.status_code == 303
    contact = await storage.get_mail_contact((await storage.get_member("blumen")).id)
    assert (contact.email, contact.language) == ("info@blumenhaus.example", "en")
    page = await mail_client.get("/admin/members/blumen")
    assert 'value="info@blumenhaus.example"' in page.text


@pytest.mark.asyncio
async def test_admin_previews_the_report_in_a_frame_that_loads_nothing(
    mail_client: httpx.AsyncClient, storage: Storage
) -> None:
    await signed_in(mail_client)
    page = await mail_client.get("/admin/mail/report?member=blumen&month=2026-11")
    assert page.status_code == 200
    assert "Ihr Monat im Partnerkreis: November 2026" in page.text
    frame = await mail_client.get("/admin/mail/report.html?member=blumen&month=2026-11")
    assert frame.status_code == 200 and "<html" in frame.text
    assert frame.headers["content-security-policy"].startswith("default-src 'none'")
    bad = await mail_client.get("/admin/mail/report?member=blumen&month=2026-13")
    assert bad.status_code == 422
    home = await mail_client.get("/admin/")
    assert "Mailversand ist an" in home.text


@pytest.mark.asyncio
async def test_with_many_members_the_report_preview_asks_for_a_slug_and_reads_one_member(
    mail_client: httpx.AsyncClient, storage: Storage, monkeypatch: pytest.MonkeyPatch
) -> None:
    # It read every member on each preview and offered all of them in a list: at
    # 100,000 members a page of megabytes.  Beyond SELECT_UP_TO the slug is typed.
    await signed_in(mail_client)
    listed = await mail_client.get("/admin/mail/report?member=blumen&month=2026-11")
    assert "<select" in listed.text and 'value="blumen" selected' in listed.text
    monkeypatch.setattr(admin_mail, "SELECT_UP_TO", 2)
    whole: list[str] = []
    original = type(storage).list_members

    async def list_members(self: Storage, **filters: Any) -> Any:
        if not filters:
            whole.append("list_members")
        return await original(self, **filters)

    monkeypatch.setattr(type(storage), "list_members", list_members)
    page = await mail_client.get("/admin/mail/report?member=blumen&month=2026-11")
    assert page.status_code == 200 and "<select" not in page.text
    assert 'name="member"' in page.text and 'value="blumen"' in page.text
    assert "Ihr Monat im Partnerkreis: November 2026" in page.text
    # An unknown slug, or none: the first member by slug, as before.
    first = min(m.slug for m in await storage.list_members(status="active"))
    for query in ("member=niemand&", ""):
        shown = await mail_client.get(f"/admin/mail/report?{query}month=2026-11")
        assert shown.status_code == 200 and f'value="{first}"' in shown.text
    assert whole == []


@pytest.mark.asyncio
async def test_admin_says_when_no_mail_is_sent(
    client: httpx.AsyncClient, storage: Storage, network: dict[str, int]
) -> None:
    await make_account(storage)
    await signed_in(client)
    home = await client.get("/admin/")
    assert "Es werden keine Mails verschickt" in home.text


@pytest.mark.asyncio
async def test_portal_member_sets_its_address_and_what_it_wants(
    mail_client: httpx.AsyncClient, storage: Storage, clock: Clock
) -> None:
    await open_portal(mail_client, storage, Signer([SECRET], clock=clock), clock, "blumen")
    bad = await portal_post(mail_client, "/portal/profile/mail", {"email": "nope"})
    assert bad.status_code == 422
    ok = await portal_post(
        mail_client,
        "/portal/profile/mail",
        {"email": "info@blumenhaus.example", "mail_language": "de", "want_report": "true"},
    )
    assert ok.status_code == 303
    contact = await storage.get_mail_contact((await storage.get_member("blumen")).id)
    assert contact.opt_outs == {"decisions", "activity"}
    page = await mail_client.get("/portal/profile")
    assert 'value="info@blumenhaus.example"' in page.text


def test_cli_report_send_dry_run_and_member_mail(
    mail_settings: Settings,
    storage: Storage,
    network: dict[str, int],
    capsys: pytest.CaptureFixture[str],
) -> None:
    env = {
        "WIDGET_DATABASE_URL": mail_settings.database_url,
        "WIDGET_SECRET_KEYS": SECRET,
        "WIDGET_SMTP_URL": str(mail_settings.smtp_url),
        "WIDGET_MAIL_FROM": SENDER,
        "WIDGET_PUBLIC_URL": PUBLIC_URL,
        "LANG": "C",
    }
    assert main(["member", "mail", "blumen", "--email", "info@blumenhaus.example"], env) == 0
    capsys.readouterr()
    assert main(["report", "send", "--month", "2026-11", "--dry-run", "--json"], env) == 0
    rows = {r["member"]: r for r in json.loads(capsys.readouterr().out)["members"]}
    assert rows["blumen"]["queued"] is False and rows["blumen"]["reason"] == "dry run"
    assert rows["fotos"]["reason"] == "no address"
    assert main(["report", "send", "--month", "2026-13"], env) == 2
    assert "2026-13" in capsys.readouterr().err
    assert main(["report", "send", "--month", "2026-11", "--member", "blumen"], env) == 0
    assert "1 of 1 reports for 2026-11 queued" in capsys.readouterr().out
    assert main(["member", "mail", "blumen", "--email", "a@b"], env) == 2
    assert "'a@b' is not an e-mail address" in capsys.readouterr().err
