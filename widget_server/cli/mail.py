"""Mail from the shell: a member's address, the monthly report, the outbox."""

from __future__ import annotations

import argparse
import time
from typing import Any

from widget_server.cli.common import UsageError, emit
from widget_server.core.settings import Settings
from widget_server.core.signing import Signer
from widget_server.mail import contacts, jobs, worker
from widget_server.mail.outbox import Mailer
from widget_server.mail.report import parse_month
from widget_server.network.database import ensure_secret_keys
from widget_server.storage import Storage


async def _mailer(storage: Storage, settings: Settings) -> Mailer:
    keys = await ensure_secret_keys(storage, settings, create=False)
    return Mailer(settings, storage, Signer(keys), time.time)


async def cmd_member_mail(args: argparse.Namespace, storage: Storage, settings: Settings) -> int:
    member = await storage.get_member(args.slug)
    if args.forget:
        contact = await contacts.set_contact(storage, member, email="")
    elif args.email is None and args.language is None and not args.opt_out and not args.opt_in:
        contact = await contacts.get_contact(storage, member)
    else:
        current = await contacts.get_contact(storage, member)
        opt_outs = None
        if args.opt_out or args.opt_in:
            kinds = set(current.opt_outs if current else ())
            opt_outs = (kinds | set(args.opt_out or ())) - set(args.opt_in or ())
        contact = await contacts.set_contact(
            storage, member, email=args.email, language=args.language, opt_outs=opt_outs
        )
    data = {"member": member.slug, **contacts.contact_dict(contact)}
    text = (
        f"{member.slug}: {data['email']} ({data['language']});"
        f" opted out of: {', '.join(data['opt_outs']) or 'nothing'}"  # type: ignore[arg-type]
        if contact
        else f"{member.slug}: no e-mail address"
    )
    emit(args, data, text)
    return 0


async def cmd_report_send(args: argparse.Namespace, storage: Storage, settings: Settings) -> int:
    try:
        month = parse_month(args.month)
    except ValueError as exc:
        raise UsageError(f"--month: {exc}") from None
    mailer = await _mailer(storage, settings)
    if mailer.problem is not None and not args.dry_run:
        raise UsageError(
            "mail is off: set WIDGET_SMTP_URL, WIDGET_MAIL_FROM and WIDGET_PUBLIC_URL"
            " (or use --dry-run)"
        )
    results = await jobs.send_reports(mailer, month, member_slug=args.member, dry_run=args.dry_run)
    rows: list[dict[str, Any]] = [
        {
            "member": r.member.slug,
            "queued": r.queued,
            "reason": r.reason or ("dry run" if args.dry_run else ""),
        }
        for r in results
    ]
    lines = [
        f"{r['member']:<30} {'queued' if r['queued'] else 'not queued: ' + r['reason']}"
        for r in rows
    ]
    queued = sum(r["queued"] for r in rows)
    lines.append(f"{queued} of {len(rows)} reports for {month:%Y-%m} queued")
    emit(args, {"month": f"{month:%Y-%m}", "members": rows}, "\n".join(lines))
    return 0


async def cmd_mail_send(args: argparse.Namespace, storage: Storage, settings: Settings) -> int:
    """One pass of the worker: send what is due (with several processes, each mail once)."""
    if not settings.mail_enabled():
        raise UsageError("mail is off: set WIDGET_SMTP_URL and WIDGET_MAIL_FROM")
    outcome = await worker.send_all_due(storage, settings, time.time)
    data = {"sent": outcome.sent, "retrying": outcome.retrying, "failed": outcome.failed}
    emit(
        args,
        data,
        f"{outcome.sent} sent, {outcome.retrying} to be tried again, {outcome.failed} given up",
    )
    return 0


async def cmd_mail_status(args: argparse.Namespace, storage: Storage, settings: Settings) -> int:
    mailer = await _mailer(storage, settings)
    counts = await storage.mail_counts()
    failed = [
        {"id": m.id, "kind": m.kind, "attempts": m.attempts, "error": m.last_error}
        for m in await storage.list_mails(status="failed", limit=20)
    ]
    data = {"problem": mailer.problem, **counts, "recent_failures": failed}
    lines = [
        mailer.problem or "mail is on",
        f"queued {counts['queued']} (retrying {counts['retrying']}), sent {counts['sent']},"
        f" failed {counts['failed']}",
        *(f"  failed #{f['id']} {f['kind']}: {f['error']}" for f in failed),
    ]
    emit(args, data, "\n".join(lines))
    return 0
