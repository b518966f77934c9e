"""Mail through a real SMTP server process: the report, notices, faults, unsubscribe."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
import pytest_asyncio
from starlette.datastructures import Secret

from widget_server.core.mailconfig import smtp_target
from widget_server.core.models import CounterRow, OutboxMail
from widget_server.core.settings import Settings
from widget_server.core.signing import Signer
from widget_server.mail import contacts, jobs, notices, worker
from widget_server.mail.outbox import Mailer
from widget_server.mail.report import parse_month
from widget_server.storage import Storage
from widget_server.web.app import create_app

from .conftest import SECRET, WEDDING_MEMBERS, Clock, reopened
from .mail_helpers import PUBLIC_URL, ROOT, SENDER, SmtpSink
from .storage_calls import record_calls, whole_table

MARCH = date(2026, 3, 1)


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
    return settings.with_changes(
        smtp_url=Secret(sink.url),
        mail_from=SENDER,
        public_url=PUBLIC_URL,
        coordinator_mail=("koordination@partnerkreis.example",),
    )


@pytest.fixture
def mailer(mail_settings: Settings, storage: Storage, clock: Clock) -> Mailer:
    return Mailer(mail_settings, storage, Signer([SECRET], clock=clock), clock)


async def send(mailer: Mailer, now: float | None = None) -> worker.Outcome:
    target = smtp_target(str(mailer.settings.smtp_url))
    return await worker.send_due(
        mailer.storage, target, mailer.settings.mail_from, now or mailer.clock()
    )


@pytest_asyncio.fixture
async def counted(storage: Storage, network: dict[str, int]) -> dict[str, int]:
    """March and February 2026 traffic in the wedding theme; member ids by slug."""
    theme = await storage.get_theme("hochzeit")
    ids = {m.slug: m.id for m in await storage.list_members()}
    rows = []
    for day, factor in ((date(2026, 2, 10), 1), (date(2026, 3, 10), 2)):
        rows += [
            CounterRow(day, theme.id, ids["catering"], ids["blumen"], "viewed", 40 * factor, 30.0),
            CounterRow(day, theme.id, ids["blumen"], ids["catering"], "viewed", 30 * factor, 20.0),
            CounterRow(day, theme.id, ids["fotos"], ids["catering"], "viewed", 25 * factor, 15.0),
            CounterRow(day, theme.id, ids["fotos"], ids["catering"], "clicked", 7 * factor),
            CounterRow(day, theme.id, ids["blumen"], ids["catering"], "clicked", 3 * factor),
        ]
    await storage.add_counts(rows)
    for slug, address, lang in (
        ("catering", "kueche@boie.example", "de"),
        ("blumen", "info@blumenhaus.example", "en"),
    ):
        member = await storage.get_member(slug)
        await contacts.set_contact(storage, member, email=address, language=lang)
    return ids


@pytest.mark.asyncio
async def test_report_arrives_with_headers_both_parts_and_umlauts(
    mailer: Mailer, sink: SmtpSink, counted: dict[str, int]
) -> None:
    results = await jobs.send_reports(mailer, MARCH)
    assert {r.member.slug for r in results if r.queued} == {"catering", "blumen"}
    assert (await send(mailer)).sent == 2
    arrived = dict(sink.messages())
    assert set(arrived) == {"kueche@boie.example", "info@blumenhaus.example"}
    german = arrived["kueche@boie.example"]
    assert german["Subject"] == "Ihr Monat im Partnerkreis: März 2026"
    assert german["From"] == SENDER
    assert german["To"] == "kueche@boie.example"
    assert german["Date"] and german["Message-ID"].endswith("@partnerkreis.example>")
    unsubscribe = german["List-Unsubscribe"]
    assert unsubscribe.startswith(f"<{PUBLIC_URL}/mail/unsubscribe/")
    assert german["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = german.get_body(("plain",)).get_content()
    html = german.get_body(("html",)).get_content()
    assert "Hallo Küstenküche Boie," in text and "Küstenküche Boie" in html
    # catering received 60 + 50 views and gave 60 in March; fotos sent 14 of its 20 clicks
    assert "Erhaltene Partner-Ansichten: 110" in text
    assert "Fotografie Brandt" in text and "14" in text
    assert "mehr als im Monat davor" in text  # 110 against 55 in February
    assert f"{PUBLIC_URL}/portal/figures" in html
    assert "<img" not in html and "http://" not in html
    english = arrived["info@blumenhaus.example"]
    assert english["Subject"] == "Your month in Partnerkreis: March 2026"
    for rcpt, message in arrived.items():
        others = {"kueche@boie.example", "info@blumenhaus.example"} - {rcpt}
        assert not any(o in message.as_string() for o in others)


@pytest.mark.asyncio
async def test_report_is_queued_once_however_often_asked(
    mailer: Mailer, sink: SmtpSink, counted: dict[str, int]
) -> None:
    await jobs.send_reports(mailer, MARCH)
    again = await jobs.send_reports(mailer, MARCH)
    assert not any(r.queued for r in again)
    assert {r.reason for r in again if r.member.slug == "catering"} == {"queued before"}
    await send(mailer)
    assert len(sink.messages()) == 2


@pytest.mark.asyncio
async def test_smtp_down_then_back_delivers_once(
    mailer: Mailer, sink: SmtpSink, counted: dict[str, int], clock: Clock
) -> None:
    sink.stop()
    await jobs.send_reports(mailer, MARCH, member_slug="catering")
    first = await send(mailer)
    assert first == worker.Outcome(retrying=1)
    (mail,) = await mailer.storage.list_mails()
    assert mail.status == "queued" and mail.attempts == 1 and mail.last_error
    assert mail.next_attempt == clock() + worker.retry_delay(1)
    sink.start()
    assert await send(mailer) == worker.Outcome()  # not due yet: back-off
    clock.advance(worker.retry_delay(1))
    assert (await send(mailer)).sent == 1
    clock.advance(3600)
    assert await send(mailer) == worker.Outcome()
    assert [r for r, _ in sink.messages()] == ["kueche@boie.example"]


@pytest.mark.asyncio
async def test_refused_recipient_is_recorded_and_not_tried_again(
    mailer: Mailer, sink: SmtpSink, storage: Storage, network: dict[str, int], clock: Clock
) -> None:
    member = await storage.get_member("fotos")
    await contacts.set_contact(storage, member, email="refused@brandt.example")
    assert await notices.application_decided(mailer, member, True, "Willkommen!")
    assert await send(mailer) == worker.Outcome(failed=1)
    (mail,) = await storage.list_mails()
    assert mail.status == "failed" and mail.attempts == 1 and "550" in mail.last_error
    clock.advance(30 * 86_400)
    assert await send(mailer) == worker.Outcome()
    assert sink.messages() == []
    assert (await storage.mail_counts())["failed"] == 1


@pytest.mark.asyncio
async def test_temporary_failures_end_after_the_last_attempt(
    mailer: Mailer, sink: SmtpSink, storage: Storage, network: dict[str, int], clock: Clock
) -> None:
    sink.stop()
    member = await storage.get_member("fotos")
    await contacts.set_contact(storage, member, email="info@brandt.example")
    await notices.application_received(mailer, member)
    for attempt in range(1, worker.MAX_ATTEMPTS + 1):
        outcome = await send(mailer)
        final = attempt == worker.MAX_ATTEMPTS
        assert outcome == (worker.Outcome(failed=1) if final else worker.Outcome(retrying=1))
        clock.advance(worker.retry_delay(attempt))
    (mail,) = await storage.list_mails()
    assert mail.status == "failed" and mail.attempts == worker.MAX_ATTEMPTS


@pytest.mark.asyncio
async def test_two_processes_send_each_mail_once(
    mailer: Mailer, sink: SmtpSink, storage: Storage, network: dict[str, int], tmp_path: Path
) -> None:
    for n in range(40):
        await storage.enqueue_mail(
            OutboxMail(
                0, f"test:{n}", "decisions", f"m{n}@example.org", _message(n), next_attempt=0.0
            )
        )
    env = {
        "WIDGET_DATABASE_URL": mailer.settings.database_url,
        "WIDGET_SECRET_KEYS": SECRET,
        "WIDGET_SMTP_URL": str(mailer.settings.smtp_url),
        "WIDGET_MAIL_FROM": SENDER,
    }
    command = [sys.executable, "-m", "widget_server", "mail", "send", "--json"]
    procs = [
        await asyncio.create_subprocess_exec(
            *command, cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE
        )
        for _ in range(2)
    ]
    outputs = [await p.communicate() for p in procs]
    assert [p.returncode for p in procs] == [0, 0]
    arrived = sorted(r for r, _ in sink.messages())
    assert arrived == sorted(f"m{n}@example.org" for n in range(40))
    assert all(b'"sent"' in out for out, _ in outputs)
    assert (await storage.mail_counts())["sent"] == 40


def _message(n: int) -> str:
    return (
        f"From: {SENDER}\r\nTo: m{n}@example.org\r\nSubject: test {n}\r\n"
        "Message-ID: <x@partnerkreis.example>\r\n\r\nHallo\r\n"
    )


@pytest.mark.asyncio
async def test_unsubscribe_needs_no_login_and_get_changes_nothing(
    mail_settings: Settings, storage: Storage, clock: Clock, counted: dict[str, int]
) -> None:
    app = create_app(mail_settings, storage=reopened(storage), clock=clock)
    member = await storage.get_member("catering")
    mailer = Mailer(mail_settings, storage, Signer([SECRET], clock=clock), clock)
    url = mailer.unsubscribe_url("kueche@boie.example", "report")
    path = url.removeprefix(PUBLIC_URL)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        ) as client,
    ):
        page = await client.get(path)
        assert page.status_code == 200 and "kueche@boie.example" in page.text
        assert "set-cookie" not in page.headers
        assert "report" not in (await storage.get_mail_contact(member.id)).opt_outs
        done = await client.post(path, content=b"List-Unsubscribe=One-Click")
        assert done.status_code == 200 and "set-cookie" not in done.headers
        assert (await storage.get_mail_contact(member.id)).opt_outs == {"report"}
        bad = await client.post(path[:-3] + "xyz", content=b"List-Unsubscribe=One-Click")
        assert bad.status_code == 400
    results = await jobs.send_reports(mailer, MARCH, member_slug="catering")
    assert [(r.queued, r.reason) for r in results] == [(False, "opted out")]


@pytest.mark.asyncio
async def test_hostile_member_text_is_escaped_in_the_html_part(
    mailer: Mailer, sink: SmtpSink, storage: Storage, network: dict[str, int]
) -> None:
    member = await storage.get_member("fotos")
    await contacts.set_contact(storage, member, email="info@brandt.example")
    note = '<script>alert(1)</script><img src="https://evil.example/x.png">'
    await notices.application_decided(mailer, member, False, note)
    await send(mailer)
    ((_, message),) = sink.messages()
    html = message.get_body(("html",)).get_content()
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;" in html
    assert note in message.get_body(("plain",)).get_content()


@pytest.mark.asyncio
async def test_removing_a_member_forgets_its_address_and_unsent_mails(
    mailer: Mailer, storage: Storage, network: dict[str, int]
) -> None:
    member = await storage.get_member("fotos")
    await contacts.set_contact(storage, member, email="info@brandt.example")
    await notices.application_received(mailer, member)
    await storage.set_member_status(member.id, "removed")
    assert await contacts.get_contact(storage, member) is None
    assert await storage.list_mails() == []


@pytest.mark.asyncio
async def test_scheduled_jobs_run_once_per_period_across_processes(
    mailer: Mailer, storage: Storage, counted: dict[str, int], clock: Clock
) -> None:
    clock.now = 1_806_573_600.0  # 2027-04-01 12:00 in Berlin
    fotos = await storage.get_member("fotos")
    await storage.set_member_status(fotos.id, "pending")  # something for the digest
    await asyncio.gather(jobs.run_due(mailer), jobs.run_due(mailer))
    keys = sorted(m.key for m in await storage.list_mails(limit=1000))
    assert {k for k in keys if k.startswith("report:")} == {
        f"report:2027-03:{counted['blumen']}",
        f"report:2027-03:{counted['catering']}",
    }
    # every member's widget unseen since joining: notices to those with an address
    assert sum(k.startswith("unseen:") for k in keys) == 2
    assert [k for k in keys if k.startswith("digest:")] == [
        "digest:2027-04-01:koordination@partnerkreis.example"
    ]
    assert not await storage.claim_mail_job("daily", "2027-04-01")


@pytest.mark.asyncio
async def test_digest_names_members_going_inactive_once_and_no_digest_when_nothing_waits(
    mailer: Mailer, storage: Storage, network: dict[str, int], clock: Clock, sink: SmtpSink
) -> None:
    (membership, *_) = await storage.list_memberships()
    joined = datetime.fromisoformat(membership.joined).date()
    noon = datetime.combine(joined + timedelta(days=15), time(12), ZoneInfo("Europe/Berlin"))
    clock.now = noon.timestamp()
    await jobs.run_due(mailer)
    await send(mailer)
    ((rcpt, digest),) = sink.messages()
    assert rcpt == "koordination@partnerkreis.example"
    text = digest.get_body(("plain",)).get_content()
    for _, name, _ in WEDDING_MEMBERS:
        assert f"since {joined.isoformat()}: {name}" in text  # WIDGET_LANGUAGE: en
    clock.advance(5 * 86_400)  # still unseen, but no longer news; nothing else waits
    await jobs.run_due(mailer)
    assert await send(mailer) == worker.Outcome()
    assert len(sink.messages()) == 1


@pytest.mark.asyncio
async def test_the_daily_check_and_the_reports_read_a_page_of_members_at_a_time(
    mailer: Mailer, storage: Storage, network: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every active member, membership and day served read at once: 1.5-2 s of the
    # event loop each day at 100,000 members.
    (membership, *_) = await storage.list_memberships()
    today = datetime.fromisoformat(membership.joined).date() + timedelta(days=15)
    # Blumen's widget was served two days ago: the days served count, page by page too.
    theme = await storage.get_theme("hochzeit")
    blumen = (await storage.get_member("blumen")).id
    served = CounterRow(today - timedelta(days=2), theme.id, blumen, blumen, "served", 1)
    await storage.add_counts([served])
    expected = await jobs.activity_notices(mailer, today)
    monkeypatch.setattr(jobs, "PAGE", 2)

    def unbounded(name: str, args: tuple[object, ...], kwargs: dict[str, object]) -> bool:
        if name == "list_members":  # by status, but every one of them
            return kwargs.get("limit") is None
        return whole_table(name, args, kwargs)

    whole = record_calls(
        monkeypatch, storage, ("list_members", "list_memberships", "last_served"), unbounded
    )
    found = await jobs.activity_notices(mailer, today)
    assert found == expected
    assert [i.member.slug for i in found] == [
        slug for slug, _, _ in WEDDING_MEMBERS if slug != "blumen"
    ]
    reports = await jobs.send_reports(mailer, MARCH, dry_run=True)
    assert [r.member.slug for r in reports] == sorted(slug for slug, _, _ in WEDDING_MEMBERS)
    assert whole == []


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"WIDGET_SMTP_URL": "http://mail.example"}, "smtp:// or smtps://"),
        ({"WIDGET_SMTP_URL": "smtp://u:p@mail.example?tls=off"}, "credentials need TLS"),
        ({"WIDGET_SMTP_URL": "smtps://mail.example?tls=off"}, "smtps:// is always TLS"),
        ({"WIDGET_SMTP_URL": "smtp://mail.example:587"}, "WIDGET_MAIL_FROM is not"),
        ({"WIDGET_MAIL_FROM": "not an address"}, "WIDGET_MAIL_FROM is not an address"),
        ({"WIDGET_COORDINATOR_MAIL": "a@b.example, nope"}, "invalid address: 'nope'"),
        ({"WIDGET_TIME_ZONE": "Mars/Olympus"}, "not a time zone"),
    ],
)
def test_bad_mail_settings_are_named(env: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace("?", r"\?")):
        Settings.from_environ({"LANG": "C", **env})


def test_smtp_urls_choose_tls_and_keep_the_password_out_of_descriptions() -> None:
    target = smtp_target("smtp://user%40firma:s3cr%3At@mail.example")
    assert (target.host, target.port, target.starttls, target.implicit_tls) == (
        "mail.example",
        587,
        True,
        False,
    )
    assert (target.username, target.password) == ("user@firma", "s3cr:t")
    assert "s3cr" not in target.describe() and "s3cr" not in repr(target)
    assert smtp_target("smtps://mail.example").port == 465
    assert smtp_target("smtp://127.0.0.1:25?tls=off").starttls is False


def test_month_argument_is_checked() -> None:
    assert parse_month("2026-11") == date(2026, 11, 1)
    for bad in ("2026-13", "11-2026", "2026-1"):
        with pytest.raises(ValueError, match=bad):
            parse_month(bad)


@pytest.mark.asyncio
async def test_member_address_is_validated(storage: Storage, network: dict[str, int]) -> None:
    from widget_server.core.errors import ValidationError

    member = await storage.get_member("fotos")
    for bad in ("kein", "a@b", "x@y.example\r\nBcc: z@evil.example", "a b@c.example"):
        with pytest.raises(ValidationError):
            await contacts.set_contact(storage, member, email=bad)
    saved = await contacts.set_contact(storage, member, email=" Info@Brandt.EXAMPLE ")
    assert saved is not None and saved.email == "Info@brandt.example"
    assert await contacts.set_contact(storage, member, email="") is None
