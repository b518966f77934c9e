"""Notices: short mails about one event, to a member or to the coordinators.

To members (kind ``decisions``): an application received, approved or
declined, a profile change approved or declined, each with the
coordinator's note; a joint offer to confirm.  To members (kind
``activity``): the widget not seen for 14 days (with the snippet and a link
to the guide), taken out of rotation by the activity gate.  To coordinators
(kind ``digest``): the daily digest (``jobs.py``).  Each notice's outbox key
names its event, so it is queued once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date

from widget_server.core.dates import days_text
from widget_server.core.i18n import Translator, translator
from widget_server.core.models import Member, Offer, Theme
from widget_server.mail.message import Draft
from widget_server.mail.outbox import Mailer
from widget_server.mail.render import html

DECISIONS = "decisions"
ACTIVITY = "activity"
DIGEST = "digest"
UNSEEN_DAYS = 14


@dataclass(frozen=True)
class Notice:
    subject: str
    paragraphs: tuple[str, ...]
    note: str = ""  # the coordinator's words, shown as they wrote them (escaped)
    items: tuple[str, ...] = ()
    code: str = ""
    link: tuple[str, str] | None = None  # (label, URL)

    def draft(self, lang: str, unsubscribe: str) -> Draft:
        t = translator(lang)
        lines = [self.subject, "", *(p + "\n" for p in self.paragraphs)]
        if self.note:
            lines += [t.gettext("The coordinator's note:"), self.note, ""]
        lines += [f"- {item}" for item in self.items]
        if self.items:
            lines.append("")
        if self.code:
            lines += [self.code, ""]
        if self.link:
            lines += [f"{self.link[0]}: {self.link[1]}", ""]
        lines.append(t.gettext("No more of these mails: %(url)s", url=unsubscribe))
        body = html("notice.html", lang, notice=self, unsubscribe=unsubscribe)
        return Draft(self.subject, "\n".join(lines) + "\n", body)


async def application_received(mailer: Mailer, member: Member) -> bool:
    def write(lang: str, unsubscribe: str) -> Draft:
        t = translator(lang)
        return Notice(
            t.gettext("We have received your application, %(name)s", name=member.name),
            (
                t.gettext(
                    "Thank you for applying to the network. A coordinator will look at your"
                    " application; you will hear from us when it is decided."
                ),
            ),
        ).draft(lang, unsubscribe)

    return await mailer.to_member(member, DECISIONS, f"application:{member.id}:received", write)


async def application_decided(mailer: Mailer, member: Member, approved: bool, note: str) -> bool:
    def write(lang: str, unsubscribe: str) -> Draft:
        t = translator(lang)
        if approved:
            subject = t.gettext("Welcome to the network, %(name)s", name=member.name)
            text = t.gettext(
                "Your application has been approved. Your partners' widgets will show you"
                " from now on; paste your widget's code into your website so that you show"
                " them too."
            )
            link = (t.gettext("Your widget's code"), f"{mailer.settings.public_url}/portal/code")
        else:
            subject = t.gettext("Your application, %(name)s", name=member.name)
            text = t.gettext("We are sorry: your application has been declined.")
            link = None
        return Notice(subject, (text,), note=note, link=link).draft(lang, unsubscribe)

    outcome = "approved" if approved else "declined"
    key = f"application:{member.id}:{outcome}"
    # A declined applicant is removed next, which deletes its unsent mails: not this one.
    return await mailer.to_member(member, DECISIONS, key, write, detached=not approved)


async def decide_application(
    mailer: Mailer,
    before: Member,
    approved: bool | None,
    note: str,
    decide: Callable[[], Awaitable[Member]],
) -> Member:
    """Run ``decide`` (the write) and mail a pending applicant its outcome.

    ``approved`` None: not a decision (no mail). A decline is queued before the write,
    because removing the member forgets its address; an approval after it, because the
    mail names the member as the write left it. Both admin forms (the member's status
    and the applications page) decide through here.
    """
    pending = before.status == "pending" and approved is not None
    if pending and not approved:
        await application_decided(mailer, before, False, note)
    after = await decide()
    if pending and approved:
        await application_decided(mailer, after, True, note)
    return after


async def profile_decided(
    mailer: Mailer, member: Member, approved: bool, revision: int, note: str
) -> bool:
    def write(lang: str, unsubscribe: str) -> Draft:
        t = translator(lang)
        if approved:
            subject = t.gettext("Your profile change has been approved")
            text = t.gettext("Your partners' widgets show your changed profile from now on.")
        else:
            subject = t.gettext("Your profile change has been declined")
            text = t.gettext("Your profile stays as it was.")
        return Notice(subject, (text,), note=note).draft(lang, unsubscribe)

    outcome = "approved" if approved else "declined"
    key = f"profile:{member.id}:{revision}:{outcome}"
    return await mailer.to_member(member, DECISIONS, key, write)


async def widget_unseen(
    mailer: Mailer, member: Member, theme: Theme, since: date, snippet: str
) -> bool:
    def write(lang: str, unsubscribe: str) -> Draft:
        t = translator(lang)
        return Notice(
            t.gettext(
                "Your Partnerkreis widget has not been seen for %(days)d days", days=UNSEEN_DAYS
            ),
            (
                t.gettext(
                    "Your widget for %(theme)s has not been shown on your website since"
                    " %(day)s. While it is missing you give your partners nothing, and the"
                    " network may take you out of rotation.",
                    theme=theme.name(lang),
                    day=since.isoformat(),
                ),
                t.gettext("This is the code to paste into your website:"),
            ),
            code=snippet,
            link=(
                t.gettext("The guide for your website"),
                f"{mailer.settings.public_url}/portal/code",
            ),
        ).draft(lang, unsubscribe)

    key = f"unseen:{member.id}:{theme.id}:{since.isoformat()}"
    return await mailer.to_member(member, ACTIVITY, key, write)


async def out_of_rotation(
    mailer: Mailer, member: Member, theme: Theme, since: date, days: int
) -> bool:
    def write(lang: str, unsubscribe: str) -> Draft:
        t = translator(lang)
        return Notice(
            t.gettext("You are no longer shown in %(theme)s", theme=theme.name(lang)),
            (
                t.gettext(
                    "Your widget has not been seen for more than %(days)d days, so the"
                    " network's rules have taken you out of rotation. Show the widget on"
                    " your website again and you are back as soon as it is seen.",
                    days=days,
                ),
            ),
            link=(t.gettext("Your widget's code"), f"{mailer.settings.public_url}/portal/code"),
        ).draft(lang, unsubscribe)

    key = f"gated:{member.id}:{theme.id}:{since.isoformat()}"
    return await mailer.to_member(member, ACTIVITY, key, write)


def offer_days(offer: Offer, lang: str) -> str:
    return days_text(offer.valid_from, offer.valid_until, lang)


# What a mail asking to confirm an offer says, in the reader's translator: (subject, text).
Wording = Callable[[Translator], tuple[str, str]]


async def _ask_to_confirm(
    mailer: Mailer, offer: Offer, members: Sequence[Member], asked: Sequence[int], wording: Wording
) -> int:
    """Queue a mail asking each member of ``asked`` to confirm ``offer`` (once per revision)."""
    portal = f"{mailer.settings.public_url}/portal"

    def write(lang: str, unsubscribe: str) -> Draft:
        t = translator(lang)
        subject, text = wording(t)
        return Notice(
            subject,
            (text,),
            items=(t.gettext("Valid: %(days)s", days=offer_days(offer, lang)),),
            link=(t.gettext("Your joint offers"), f"{portal}/offers"),
        ).draft(lang, unsubscribe)

    queued = 0
    for member in members:
        if member.id in asked:
            revision = f":r{offer.revision}" if offer.revision else ""
            key = f"offer:{offer.id}:confirm:{member.id}{revision}"
            queued += await mailer.to_member(member, DECISIONS, key, write)
    return queued


async def offer_proposed(mailer: Mailer, offer: Offer, members: Sequence[Member]) -> int:
    """Ask every participant but the proposer to confirm a new joint offer; mails queued."""
    proposer = next((m for m in members if m.id == offer.proposer_id), None)
    if proposer is None:
        return 0

    def wording(t: Translator) -> tuple[str, str]:
        return (
            t.gettext("Please confirm the joint offer “%(title)s”", title=offer.title),
            t.gettext(
                "%(proposer)s has proposed a joint offer you take part in. It is shown"
                " once every member taking part has confirmed it in its member area.",
                proposer=proposer.name,
            ),
        )

    asked = [m.id for m in members if m.id != proposer.id]
    return await _ask_to_confirm(mailer, offer, members, asked, wording)


async def offer_changed(
    mailer: Mailer,
    offer: Offer,
    members: Sequence[Member],
    asked: Sequence[int],
    editor: Member | None,
) -> int:
    """Ask the participants ``asked`` to confirm a materially changed offer again.

    ``editor``: the member that changed it (None: the coordinators).  One mail per
    participant and revision of the offer.
    """

    def wording(t: Translator) -> tuple[str, str]:
        return (
            t.gettext("Please confirm the changed offer “%(title)s”", title=offer.title),
            t.gettext(
                "%(editor)s has changed the joint offer you take part in (its"
                " text, price, days or members). It is shown once every"
                " member taking part has confirmed the new version in its member area.",
                editor=editor.name if editor else t.gettext("The coordinators"),
            ),
        )

    return await _ask_to_confirm(mailer, offer, members, asked, wording)
