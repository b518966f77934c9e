"""The scheduled mails: the monthly report and the daily checks and digest.

The worker of every process calls :func:`run_due` on each pass; a job runs
once per period for the whole deployment (``Storage.claim_mail_job``), and
every mail it queues has a key naming its event, so nothing is queued twice.
Periods are days and months of the network's time zone (``WIDGET_TIME_ZONE``).

* Monthly: on the first three days of a month (so a server that was down on
  the first still sends), the previous month's report to every active member
  with an address; ``widget-server report send`` does the same by hand.
* Daily: a notice to each member whose widget has not been seen for 14 days
  and to each one the activity gate took out of rotation; a digest to the
  coordinators of what waits for them; sent and failed mails older than
  ``KEEP_DAYS`` are deleted.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from widget_server.core.errors import NotFoundError
from widget_server.core.i18n import translator
from widget_server.core.models import Member, MemberStatus, Theme
from widget_server.core.sorting import sorted_slice
from widget_server.mail import notices, report
from widget_server.mail.message import Draft
from widget_server.mail.notices import Notice
from widget_server.mail.outbox import Mailer
from widget_server.network import services as network
from widget_server.network.rules import theme_rules
from widget_server.serving.snippets import placement_snippet
from widget_server.storage import Storage

KEEP_DAYS = 90  # sent and failed mails are kept this long (docs/privacy.md)
FAILURES_WORTH_TELLING = 3  # failed or retrying mails before the digest mentions them
# A member counts as "going inactive" in the digest for this many days after it crossed
# a threshold (so a day the job did not run loses nothing, and no name repeats for long).
NEWLY_DAYS = 3
PAGE = 500  # active members read a page at a time by the daily check and the reports


def local_day(mailer: Mailer, now: float) -> date:
    return datetime.fromtimestamp(now, ZoneInfo(mailer.settings.time_zone)).date()


async def run_due(mailer: Mailer) -> None:
    if mailer.problem is not None:
        return
    storage = mailer.storage
    now = mailer.clock()
    today = local_day(mailer, now)
    if today.day <= 3:
        month = report.previous_month(today.replace(day=1))
        if await storage.claim_mail_job("report", f"{month:%Y-%m}"):
            await send_reports(mailer, month)
    if await storage.claim_mail_job("daily", today.isoformat()):
        await daily(mailer, today)
        cutoff = datetime.fromtimestamp(now - KEEP_DAYS * 86_400, UTC)
        await storage.purge_mails(cutoff.isoformat(timespec="seconds"))


@dataclass(frozen=True)
class ReportResult:
    member: Member
    queued: bool
    reason: str = ""  # why not: "no address", "opted out", "queued before", "mail is off"


async def send_reports(
    mailer: Mailer, month: date, *, member_slug: str | None = None, dry_run: bool = False
) -> list[ReportResult]:
    """Queue the month's report for every active member (or one); ``dry_run`` queues none."""
    storage = mailer.storage
    results = []
    async for member in _report_members(storage, member_slug):
        contact = await mailer.contact(member)
        key = report.report_key(member, month)
        reason = ""
        if contact is None:
            reason = "no address"
        elif report.KIND in contact.opt_outs:
            reason = "opted out"
        elif await storage.mail_queued(key):
            reason = "queued before"
        elif mailer.problem is not None:
            reason = "mail is off"
        if reason or dry_run:
            results.append(ReportResult(member, False, reason))
            continue
        data = await report.monthly_report(storage, member, month, mailer.settings.public_url or "")
        queued = await mailer.to_member(
            member,
            report.KIND,
            key,
            lambda lang, url, data=data: report.draft(data, lang, url),  # type: ignore[misc]
        )
        results.append(ReportResult(member, queued, "" if queued else "queued before"))
    return results


@dataclass(frozen=True)
class Inactive:
    member: Member
    theme: str
    since: date
    gated: bool
    new: bool  # crossed the threshold in the last NEWLY_DAYS days


async def daily(mailer: Mailer, today: date) -> None:
    inactive = await activity_notices(mailer, today)
    await digest(mailer, today, [i for i in inactive if i.new])


async def _report_members(storage: Storage, slug: str | None) -> AsyncIterator[Member]:
    """The member ``slug``, or every active member (a page at a time)."""
    if slug is not None:
        yield await storage.get_member(slug)
        return
    async for page in member_pages(storage, status="active"):
        for member in page:
            yield member


async def member_pages(
    storage: Storage, *, status: MemberStatus | None = None, size: int = 0
) -> AsyncIterator[list[Member]]:
    """The members (of ``status``, any when None) ``size`` at a time (``PAGE`` when 0),
    in the order of their slugs: read whole, the 100,000 of a large network held the
    event loop for most of a second."""
    size = size or PAGE
    after = None
    while True:
        page = await storage.list_members(status=status, after=after, limit=size)
        if page:
            yield page
        if len(page) < size:
            return
        after = page[-1].slug


async def activity_notices(mailer: Mailer, today: date) -> list[Inactive]:
    storage = mailer.storage
    themes = {t.id: t for t in await storage.list_themes()}
    # The active memberships whose widget was not seen for a while, a page of members
    # at a time: every member, membership and day served read at once (200,000 at
    # 100,000 members) took the event loop for 1.5-2 s each day.
    unseen: list[tuple[int, int, Member, Theme, date, int]] = []
    async for page in member_pages(storage, status="active"):
        members = {m.id: m for m in page}
        served = await storage.last_served_of(list(members))
        for ms in await storage.memberships_of(list(members)):
            theme = themes.get(ms.theme_id)
            if theme is None or ms.status != "active":
                continue
            joined = datetime.fromisoformat(ms.joined).date() if ms.joined else today
            since = served.get((theme.id, ms.member_id), joined)
            days = (today - since).days
            if days >= notices.UNSEEN_DAYS:
                unseen.append((theme.id, ms.member_id, members[ms.member_id], theme, since, days))
    # By theme, then member, as before; a part at a time (after an import, before any
    # widget is embedded, every membership is unseen: one sort of 200,000 would hold
    # the GIL).  Each (theme, member) is there once, so nothing else is compared.
    unseen = await asyncio.to_thread(sorted_slice, unseen, 0, len(unseen))
    found = []
    for _, _, member, theme, since, days in unseen:
        rules = theme_rules(await storage.get_rule_set(theme.id))
        gate = rules.inactive_after_days
        gated = gate is not None and member.slug not in rules.activity_exempt and days > gate
        crossed = days - (gate + 1 if gated and gate is not None else notices.UNSEEN_DAYS)
        name = theme.name(mailer.settings.language)
        found.append(Inactive(member, name, since, gated, crossed < NEWLY_DAYS))
        if gated:
            assert gate is not None
            await notices.out_of_rotation(mailer, member, theme, since, gate)
        else:
            _, _, placement = await network.placement_for(storage, member.slug, theme.slug)
            base = mailer.settings.public_url or ""
            snippet = placement_snippet(base, mailer.signer.embed_token(placement.id), theme)
            await notices.widget_unseen(mailer, member, theme, since, snippet)
    return found


async def digest(mailer: Mailer, today: date, inactive: list[Inactive]) -> int:
    """The coordinators' daily digest, when anything waits for them: applications and
    profile changes waiting, members going inactive, mails that are not delivered."""
    storage = mailer.storage
    pending = await storage.list_members(status="pending")
    changes = []
    for change in await storage.list_profile_changes():
        try:
            changes.append(await storage.get_member_by_id(change.member_id))
        except NotFoundError:
            continue
    counts = await storage.mail_counts()
    # Given up recently (mails written in the last two days), or still being retried.
    recent = (today - timedelta(days=2)).isoformat()
    failed = sum(
        m.created_at[:10] >= recent for m in await storage.list_mails(status="failed", limit=500)
    )
    troubled = failed + counts["retrying"]
    if not (pending or changes or inactive or troubled >= FAILURES_WORTH_TELLING):
        return 0

    def write(lang: str, unsubscribe: str) -> Draft:
        t = translator(lang)
        items = [t.gettext("Application waiting: %(name)s", name=m.name) for m in pending]
        items += [t.gettext("Profile change waiting: %(name)s", name=m.name) for m in changes]
        for entry in inactive:
            values = {"theme": entry.theme, "name": entry.member.name, "day": entry.since}
            if entry.gated:
                items.append(
                    t.gettext(
                        "Out of rotation in %(theme)s: %(name)s (widget not seen since %(day)s)",
                        **values,
                    )
                )
            else:
                items.append(
                    t.gettext("Widget not seen in %(theme)s since %(day)s: %(name)s", **values)
                )
        if troubled >= FAILURES_WORTH_TELLING:
            items.append(
                t.gettext(
                    "Mails not delivered: %(failed)d given up, %(retrying)d being retried."
                    " Check WIDGET_SMTP_URL and the server's log.",
                    failed=failed,
                    retrying=counts["retrying"],
                )
            )
        return Notice(
            t.gettext("Partnerkreis: what waits for you on %(day)s", day=today.isoformat()),
            (t.gettext("Good morning. This is what needs a coordinator today:"),),
            items=tuple(items),
            link=(t.gettext("Open the admin"), f"{mailer.settings.public_url}/admin"),
        ).draft(lang, unsubscribe)

    return await mailer.to_coordinators(notices.DIGEST, f"digest:{today.isoformat()}", write)
