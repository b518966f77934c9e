"""Delivering one message through the operator's SMTP server (aiosmtplib).

Failures are sorted into two kinds: permanent ones (the server answered 5xx,
such as a refused recipient) are recorded and never tried again; everything
else (no connection, a timeout, 4xx "try later") is tried again with back-off.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import parseaddr

import aiosmtplib

from widget_server.core.mailconfig import SmtpTarget

TIMEOUT = 30.0  # seconds per SMTP command


@dataclass(frozen=True)
class DeliveryError(Exception):
    """A delivery that failed; ``permanent`` ones are not tried again."""

    reason: str
    permanent: bool

    def __str__(self) -> str:
        return self.reason


def _code_of(exc: BaseException) -> int | None:
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        codes = [r.code for r in exc.recipients]
        return min(codes) if codes else None
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return exc.code
    return None


async def deliver(target: SmtpTarget, sender: str, recipient: str, message: str) -> None:
    """Send ``message`` to ``recipient`` alone; ``DeliveryError`` when it was not accepted."""
    envelope_from = parseaddr(sender)[1] or sender
    try:
        _, answer = await aiosmtplib.send(
            message.encode("ascii"),
            sender=envelope_from,
            recipients=[recipient],
            hostname=target.host,
            port=target.port,
            username=target.username,
            password=target.password,
            use_tls=target.implicit_tls,
            start_tls=target.starttls,
            timeout=TIMEOUT,
        )
    except aiosmtplib.SMTPException as exc:
        code = _code_of(exc)
        # 5xx is the server's final word; 4xx and everything without a code is worth a retry.
        permanent = code is not None and 500 <= code < 600
        raise DeliveryError(f"{type(exc).__name__}: {exc}"[:300], permanent) from exc
    except OSError as exc:
        raise DeliveryError(f"{type(exc).__name__}: {exc}"[:300], False) from exc
    del answer
