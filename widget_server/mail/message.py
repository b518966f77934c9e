"""One mail as RFC 5322 text: headers, a plain-text part and an HTML part (pure).

Every mail carries a one-click unsubscribe (RFC 8058): ``List-Unsubscribe``
with an HTTPS link whose signed token names the address and the kind of
mail, and ``List-Unsubscribe-Post: List-Unsubscribe=One-Click``.  The message
is kept in the outbox as it will be sent, encoded to ASCII (quoted-printable
or base64 parts, RFC 2047 headers), so its ``Date`` and ``Message-ID`` are
the ones it was written with, however often it is tried.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid


@dataclass(frozen=True)
class Draft:
    """What a mail says, before it has an envelope."""

    subject: str
    text: str
    html: str


def build_message(
    draft: Draft,
    *,
    sender: Address,
    recipient: str,
    unsubscribe_url: str,
    now: float,
) -> str:
    if any(c in draft.subject for c in "\r\n"):
        raise ValueError("a subject is one line")
    message = EmailMessage(policy=SMTP)
    message["From"] = sender
    message["To"] = recipient
    message["Subject"] = draft.subject
    message["Date"] = format_datetime(datetime.fromtimestamp(now, UTC))
    message["Message-ID"] = make_msgid(domain=sender.domain)
    message["List-Unsubscribe"] = f"<{unsubscribe_url}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies, please
    message.set_content(draft.text, charset="utf-8")
    message.add_alternative(draft.html, subtype="html", charset="utf-8")
    return message.as_string()
