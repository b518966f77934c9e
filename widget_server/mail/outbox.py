"""Writing mails to the outbox: for a member (its address, language and opt-outs) or
for the coordinators, each with its own one-click unsubscribe link.

Nothing is sent here and no request waits for a mail server: the worker
(``worker.py``) sends what the outbox holds.  Without ``WIDGET_SMTP_URL``,
``WIDGET_MAIL_FROM`` and ``WIDGET_PUBLIC_URL`` (the unsubscribe link needs an
address) nothing is queued, and the admin says why (``Mailer.problem``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from widget_server.core.errors import BadTokenError, NotFoundError
from widget_server.core.i18n import N_
from widget_server.core.mailconfig import sender_address
from widget_server.core.models import MailContact, Member, OutboxMail
from widget_server.core.settings import Settings
from widget_server.core.signing import SALT_UNSUBSCRIBE, Signer
from widget_server.mail.message import Draft, build_message
from widget_server.storage import Storage

log = logging.getLogger("widget_server.mail")

UNSUBSCRIBE_MAX_AGE = 400 * 86_400  # seconds: a mail's link works for more than a year

# Why nothing is sent (shown in the admin, translated there).
NO_SMTP = N_("No mail is sent: WIDGET_SMTP_URL and WIDGET_MAIL_FROM are not set.")
NO_PUBLIC_URL = N_(
    "No mail is sent: WIDGET_PUBLIC_URL is not set, and every mail needs its unsubscribe link."
)


@dataclass(frozen=True)
class Unsubscribe:
    """What an unsubscribe link names: an address and a kind of mail."""

    email: str
    kind: str


@dataclass
class Mailer:
    settings: Settings
    storage: Storage
    signer: Signer
    clock: Callable[[], float]

    @property
    def problem(self) -> str | None:
        """Why no mail is sent (a msgid), or None when mail is on."""
        if not self.settings.mail_enabled():
            return NO_SMTP
        if not self.settings.public_url:
            return NO_PUBLIC_URL
        return None

    def unsubscribe_url(self, email: str, kind: str) -> str:
        token = self.signer.dumps(SALT_UNSUBSCRIBE, [email, kind])
        return f"{self.settings.public_url}/mail/unsubscribe/{token}"

    def read_unsubscribe(self, token: str) -> Unsubscribe:
        value = self.signer.loads(SALT_UNSUBSCRIBE, token, UNSUBSCRIBE_MAX_AGE)
        if not (isinstance(value, list) and len(value) == 2):
            raise BadTokenError("token is not valid")
        if not all(isinstance(v, str) for v in value):
            raise BadTokenError("token is not valid")
        return Unsubscribe(value[0], value[1])

    async def contact(self, member: Member) -> MailContact | None:
        try:
            return await self.storage.get_mail_contact(member.id)
        except NotFoundError:
            return None

    async def to_member(
        self,
        member: Member,
        kind: str,
        key: str,
        write: Callable[[str, str], Draft],
        *,
        detached: bool = False,
    ) -> bool:
        """Queue ``write(language, unsubscribe URL)`` for the member.

        False when it has no address, opted out, or mail is off.  A ``detached``
        mail survives the member's removal (the notice of a declined application),
        where the member's other unsent mails are deleted with its address.
        """
        if self.problem is not None or member.status == "removed":
            return False
        contact = await self.contact(member)
        if contact is None or kind in contact.opt_outs:
            return False
        url = self.unsubscribe_url(contact.email, kind)
        draft = write(contact.language, url)
        member_id = None if detached else member.id
        return await self._queue(contact.email, kind, key, draft, member_id, url)

    async def to_coordinators(self, kind: str, key: str, write: Callable[[str, str], Draft]) -> int:
        """Queue the mail for every coordinator address that did not opt out of ``kind``."""
        if self.problem is not None:
            return 0
        queued = 0
        for address in self.settings.coordinator_mail:
            if await self.storage.mail_opted_out(address, kind):
                continue
            url = self.unsubscribe_url(address, kind)
            draft = write(self.settings.language, url)
            queued += await self._queue(address, kind, f"{key}:{address}", draft, None, url)
        return queued

    async def _queue(
        self,
        recipient: str,
        kind: str,
        key: str,
        draft: Draft,
        member_id: int | None,
        unsubscribe_url: str,
    ) -> bool:
        now = self.clock()
        message = build_message(
            draft,
            sender=sender_address(self.settings.mail_from),
            recipient=recipient,
            unsubscribe_url=unsubscribe_url,  # the same link as in the mail's footer
            now=now,
        )
        queued = await self.storage.enqueue_mail(
            OutboxMail(
                id=0,
                key=key,
                kind=kind,
                recipient=recipient,
                message=message,
                next_attempt=now,
                member_id=member_id,
            )
        )
        if queued:
            log.info("mail queued", extra={"kind": kind, "key": key.split(":", 1)[0]})
        return queued

    async def unsubscribe(self, request: Unsubscribe) -> None:
        """Record the opt-out: on the member whose address it is, else by address."""
        found = False
        for contact in await self.storage.list_mail_contacts():
            if contact.email == request.email:
                found = True
                await self.storage.put_mail_contact(
                    MailContact(
                        contact.member_id,
                        contact.email,
                        contact.language,
                        contact.opt_outs | {request.kind},
                    )
                )
        if not found:  # a coordinator's address
            await self.storage.add_mail_opt_out(request.email, request.kind)
