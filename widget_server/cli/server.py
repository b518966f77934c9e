"""Running a network: init, serve, demo, migrate-db."""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import signal
import socket
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

from widget_server.cli.common import Progress, UsageError, emit, texts
from widget_server.cli.coordinators import read_password
from widget_server.core.errors import ConflictError, NotFoundError
from widget_server.core.i18n import Translator
from widget_server.core.models import Account
from widget_server.core.passwords import generate_password, hash_password
from widget_server.core.settings import Settings
from widget_server.core.signing import Signer
from widget_server.demo.history import DAY, play_history
from widget_server.demo.seed import PORTAL_MEMBER, is_demo_database, seed_demo
from widget_server.network import audit
from widget_server.network.coordinators import check_password, check_username
from widget_server.network.database import (
    DEMO_DAYS_META,
    check_database,
    check_database_file,
    ensure_secret_keys,
    open_storage,
    rotation_key,
)
from widget_server.network.portal_links import MAX_DAYS, issue_link
from widget_server.network.transfer import TableCount, transfer
from widget_server.storage import Storage, sqlite_path, storage_from_url


async def cmd_init(args: argparse.Namespace, storage: Storage, settings: Settings) -> int:
    """Create or migrate the database; create the coordinator the flags ask for.

    On a database without coordinators ``--admin`` (default ``koordination``) is
    created.  On one with coordinators, ``--admin NAME`` adds that coordinator,
    and an existing name or a ``--password-stdin`` with nobody to create is an
    error (exit status 1 or 2): nothing the flags ask is silently skipped.
    """
    applied = await storage.migrate()
    await ensure_secret_keys(storage, settings, create=True)
    password = None
    first = await storage.count_accounts() == 0
    name = args.admin if args.admin is not None else ("koordination" if first else None)
    if name is None and args.password_stdin:
        raise UsageError(
            "--password-stdin: the database has coordinators already and no --admin NAME"
            " names a new one; to change a password run `widget-server password USER`"
        )
    if name is not None:
        name = check_username(name)
        try:
            await storage.get_account(name)
        except NotFoundError:
            password = read_password(args)
            check_password(password)
            await storage.create_account(Account(0, name, hash_password(password), "coordinator"))
            await audit.record(storage, "cli", "coordinator.add", f"coordinator:{name}")
        else:
            raise ConflictError(
                f"coordinator {name!r} exists already; to change its password run"
                f" `widget-server password {name}`"
            )
    data = {
        "database": settings.database_url,
        "migrations_applied": applied,
        "schema_version": await storage.schema_version(),
        "coordinator": name if password else None,
        "password": password if password and not args.password_stdin else None,
    }
    t = texts(settings)
    values = {"database": settings.database_url, "version": data["schema_version"]}
    lines = [
        t.gettext(
            "Database %(database)s is at schema version %(version)s (applied %(applied)s).",
            applied=", ".join(map(str, applied)),
            **values,
        )
        if applied
        else t.gettext(
            "Database %(database)s is at schema version %(version)s (up to date).", **values
        )
    ]
    if password:
        lines.append(t.gettext("Coordinator account: %(name)s", name=name))
        if not args.password_stdin:
            lines.append(t.gettext("Password (shown once): %(password)s", password=password))
    emit(args, data, "\n".join(lines))
    return 0


async def cmd_password(args: argparse.Namespace, storage: Storage, settings: Settings) -> int:
    """``widget-server password USER``: a new password; every session of the account ends."""
    password = check_password(read_password(args))
    await storage.set_password(args.user, hash_password(password))
    await audit.record(storage, "cli", "coordinator.password", f"coordinator:{args.user}")
    shown = None if args.password_stdin else password
    text = f"Password of {args.user} changed; its sessions have ended."
    emit(
        args,
        {"user": args.user, "password": shown},
        text + (f"\nPassword: {shown}" if shown else ""),
    )
    return 0


def bind(host: str, port: int) -> socket.socket:
    """The listening socket, bound before anything is printed; a taken port is one sentence.

    Its connections send without Nagle's delay (``TCP_NODELAY``): an answer is
    written as its head and then its body, and with the delay the body waited for
    the client's delayed acknowledgement of the head, about 40 ms per request on a
    kept-alive connection.  uvloop sets the option on every connection; asyncio's
    own loop (where uvloop is not installed) only on a socket whose protocol is
    named TCP, so it is named here, and the listener's option is inherited by its
    connections where the platform does that."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        raise UsageError(
            f"cannot listen on {host}:{port}: {exc.strerror or exc};"
            " is another server running there? Choose another port with --port"
        ) from None
    sock.set_inheritable(True)
    return sock


def serve(
    settings: Settings,
    host: str,
    port: int,
    workers: int = 1,
    *,
    log_format: str = "auto",
    sock: socket.socket | None = None,
) -> int:
    import uvicorn

    from widget_server.core.logs import configure_logging
    from widget_server.web.app import create_app

    if workers < 1:
        raise UsageError(f"--workers must be at least 1, got {workers}")
    configure_logging(settings.log_level, log_format)
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "access_log": False,  # our request log leaves out client addresses
        "log_config": None,
        "server_header": False,
        "timeout_graceful_shutdown": 10,
        "proxy_headers": True,
        "forwarded_allow_ips": settings.trusted_proxies,
    }
    if workers > 1:
        # Several workers: each process builds its own app from the environment.
        uvicorn.run("widget_server.web.app:create_app", factory=True, workers=workers, **options)
        return 0
    server = uvicorn.Server(uvicorn.Config(create_app(settings), **options))
    server.run(sockets=[sock if sock is not None else bind(host, port)])
    return 0


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    # Checked here first: a database the server cannot use ends `serve` at once,
    # with one sentence, instead of a failed startup in every worker.
    asyncio.run(check_database(settings.database_url, settings))
    if args.workers > 1:
        return serve(settings, args.host, args.port, args.workers, log_format=args.log_format)
    sock = bind(args.host, args.port)
    try:
        return serve(settings, args.host, args.port, log_format=args.log_format, sock=sock)
    finally:
        sock.close()


def _stop_on_sigterm(signum: int, frame: FrameType | None) -> None:
    # Outside uvicorn (while the demo is prepared, and when uvicorn hands the
    # signal back after its graceful stop): leave through the ``finally`` blocks.
    raise SystemExit(128 + signum)


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    """A fresh demo network on a temporary database, served; the folder goes on every exit."""
    explicit = sqlite_path(settings.database_url) if settings.database_url_given else None
    if settings.database_url_given and explicit is None:
        raise UsageError(f"demo needs a sqlite:/// database URL, got {settings.database_url!r}")
    if explicit is not None:
        check_database_file(explicit, create=True)
        if explicit.exists() and explicit.stat().st_size > 0:
            asyncio.run(_refuse_other_database(explicit))
    previous = signal.signal(signal.SIGTERM, _stop_on_sigterm)
    folder = None if explicit else Path(tempfile.mkdtemp(prefix="partnerkreis-demo-"))
    sock = None
    try:
        sock = bind(args.host, args.port)
        shown_host = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host  # noqa: S104
        if ":" in shown_host:
            shown_host = f"[{shown_host}]"
        url = f"http://{shown_host}:{sock.getsockname()[1]}"
        path = explicit if explicit is not None else Path(str(folder)) / "demo.db"
        settings = settings.with_changes(database_url=f"sqlite:///{path}")
        t = texts(settings)
        password, portal = asyncio.run(_prepare_demo(settings, path, url, args.days, t))
        login = "koordination / " + password
        # Both: the commands that print code or links (snippet, portal-link) need the URL.
        command_line = f"export WIDGET_DATABASE_URL={settings.database_url} WIDGET_PUBLIC_URL={url}"
        print(
            t.gettext("Partnerkreis demo network, with %(days)s days of history", days=args.days),
            t.gettext("  Start here (a guided tour):  %(url)s", url=url + "/demo/"),
            t.gettext("  Coordinator login:           %(login)s", login=login),
            t.gettext("  A member's portal:           %(url)s", url=portal),
            t.gettext("  For the command line:        %(command)s", command=command_line),
            t.gettext("The database is temporary and removed when the demo stops.")
            if folder is not None
            else t.gettext("The database stays at %(path)s.", path=path),
            t.gettext("Press Ctrl+C to stop."),
            sep="\n",
            flush=True,
        )
        return serve(settings, args.host, args.port, log_format=args.log_format, sock=sock)
    except KeyboardInterrupt:
        return 130
    finally:
        if sock is not None:
            sock.close()
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)
        signal.signal(signal.SIGTERM, previous)


async def _refuse_other_database(path: Path) -> None:
    existing = storage_from_url(f"sqlite:///{path}")
    await open_storage(existing, create=True)
    try:
        is_demo = await existing.schema_version() > 0 and await is_demo_database(existing)
    finally:
        await existing.close()
    if not is_demo:
        raise UsageError(f"{path} holds a database that is not a demo; refusing to overwrite it")


async def _prepare_demo(
    settings: Settings, path: Path, url: str, days: int, t: Translator
) -> tuple[str, str]:
    """Seed the network, play its history; the coordinator's password and a portal link."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)  # noqa: ASYNC240
    storage = storage_from_url(settings.database_url)
    await storage.open()
    try:
        await storage.migrate()
        keys = await ensure_secret_keys(storage, settings, create=True)
        now = time.time()
        joined = datetime.fromtimestamp(now - (days + 1) * DAY, UTC).isoformat(timespec="seconds")
        await seed_demo(storage, url, joined=joined, now=now, zone=settings.time_zone)
        if days:
            progress = Progress(t.gettext("Playing %(days)s days of visitors", days=days))
            await play_history(
                storage, keys, rotation_key(keys), days=days, now=now, progress=progress.update
            )
            progress.done()
        await storage.set_meta(DEMO_DAYS_META, str(days))
        password = generate_password()
        await storage.create_account(
            Account(0, "koordination", hash_password(password), "coordinator")
        )
        member = await storage.get_member(PORTAL_MEMBER)
        link = await issue_link(storage, Signer(keys), member.id, MAX_DAYS, now, url)
    finally:
        await storage.close()
    return password, link.url


def add_migrate_db_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--from", dest="source", required=True, metavar="URL", help="the database to copy"
    )
    parser.add_argument(
        "--to", dest="target", required=True, metavar="URL", help="an empty database"
    )


async def _migrate_db(
    source_url: str, target_url: str, progress: Progress | None = None
) -> list[TableCount]:
    if source_url == target_url:
        raise ValueError("--from and --to name the same database")
    source, target = storage_from_url(source_url), storage_from_url(target_url)
    await open_storage(source)
    try:
        await open_storage(target, create=True)
        try:
            return await transfer(source, target, progress.update if progress else None)
        finally:
            await target.close()
    finally:
        await source.close()


def cmd_migrate_db(args: argparse.Namespace, settings: Settings) -> int:
    """Copy, print the rows of every table on both sides; exit status 1 on any difference."""
    progress = Progress(texts(settings).gettext("Copying rows"))
    counts = asyncio.run(_migrate_db(args.source, args.target, progress))
    progress.done()
    ok = all(c.matches for c in counts)
    if args.json:
        rows = [{"table": c.table, "source": c.source, "target": c.target} for c in counts]
        print(json.dumps({"tables": rows, "ok": ok}, indent=2))
    else:
        print(f"{'table':<18} {'source':>10} {'target':>10}")
        for c in counts:
            print(f"{c.table:<18} {c.source:>10} {c.target:>10}{'' if c.matches else '  MISMATCH'}")
        t = texts(settings)
        print(
            t.gettext("All rows copied.")
            if ok
            else t.gettext(
                "Row counts differ: was the source written to during the copy?"
                " Stop every server, empty the target and run migrate-db again."
            )
        )
    return 0 if ok else 1
