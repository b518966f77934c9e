"""The worker: sends what the outbox holds, with retries and back-off.

Every server process runs one (``web/runtime.py``, next to the ledger job);
``widget-server mail send`` runs one pass from the command line.  Workers
claim mails in the database (``Storage.claim_mails``), so with several
processes each mail is sent by one of them.  A temporary failure (no
connection, a timeout, a 4xx answer) is tried again after 1, 2, 4 … minutes,
at most 6 hours apart, up to ``MAX_ATTEMPTS`` times; a permanent one (5xx,
such as a refused recipient) is recorded at once and not tried again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from widget_server.core.mailconfig import SmtpTarget, smtp_target
from widget_server.core.settings import Settings
from widget_server.mail.smtp import DeliveryError, deliver
from widget_server.storage import Storage

log = logging.getLogger("widget_server.mail")

HOLD = 300.0  # seconds a worker holds the mails it claimed (longer than a slow send)
BATCH = 20  # mails claimed at once
MAX_ATTEMPTS = 10  # about 1 + 2 + … + 256 minutes, then every 6 hours: about two days
FIRST_RETRY = 60.0  # seconds
LONGEST_RETRY = 6 * 3600.0  # seconds
INTERVAL = 15.0  # seconds between looks at the outbox


def retry_delay(attempts: int) -> float:
    """Seconds to wait after the ``attempts``-th failed attempt."""
    return float(min(FIRST_RETRY * 2 ** (attempts - 1), LONGEST_RETRY))


@dataclass(frozen=True)
class Outcome:
    sent: int = 0
    retrying: int = 0
    failed: int = 0


async def send_due(
    storage: Storage,
    target: SmtpTarget,
    sender: str,
    now: float,
    *,
    limit: int = BATCH,
) -> Outcome:
    """Send the mails due at ``now`` that no other worker holds, one batch."""
    sent = retrying = failed = 0
    for mail in await storage.claim_mails(now, HOLD, limit):
        try:
            await deliver(target, sender, mail.recipient, mail.message)
        except DeliveryError as exc:
            attempts = mail.attempts + 1
            final = exc.permanent or attempts >= MAX_ATTEMPTS
            retry_at = None if final else now + retry_delay(attempts)
            await storage.mail_failed(mail.id, exc.reason, retry_at)
            log.warning(
                "mail not delivered",
                extra={"mail_id": mail.id, "attempt": attempts, "final": final},
            )
            failed += final
            retrying += not final
            continue
        await storage.mail_sent(mail.id)
        sent += 1
    return Outcome(sent, retrying, failed)


async def send_all_due(storage: Storage, settings: Settings, clock: Callable[[], float]) -> Outcome:
    """Batches until nothing is due (the CLI's one pass)."""
    target = smtp_target(str(settings.smtp_url))
    total = Outcome()
    while True:
        outcome = await send_due(storage, target, settings.mail_from, clock())
        total = Outcome(
            total.sent + outcome.sent,
            total.retrying + outcome.retrying,
            total.failed + outcome.failed,
        )
        if outcome == Outcome():
            return total


async def run(
    storage: Storage,
    settings: Settings,
    clock: Callable[[], float],
    stop: asyncio.Event,
    jobs: Callable[[], Awaitable[object]],
    interval: float = INTERVAL,
) -> None:
    """Until ``stop``: the scheduled jobs, then the due mails, every ``interval`` seconds.

    Like the count flusher it is asked to stop, never cancelled, so a mail being
    handed to the server is recorded as sent.
    """
    target = smtp_target(str(settings.smtp_url))
    while not stop.is_set():
        try:
            await jobs()
            while (await send_due(storage, target, settings.mail_from, clock())).sent:
                if stop.is_set():
                    break
        except Exception:  # a database hiccup must not end mail for this process
            log.exception("mail worker pass failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval)
