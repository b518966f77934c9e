"""Running a network: init, serve, demo, migrate-db."""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
from pathlib import Path

from widget_server.cli.common import UsageError, emit, texts
from widget_server.cli.coordinators import read_password
from widget_server.core.errors import ConflictError, NotFoundError
from widget_server.core.models import Account
from widget_server.core.passwords import generate_password, hash_password
from widget_server.core.settings import Settings
from widget_server.network import audit
from widget_server.network.coordinators import check_password, check_username
from widget_server.network.database import (
    check_database,
    check_database_file,
    ensure_secret_keys,
    open_storage,
)
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


def serve(settings: Settings, host: str, port: int, workers: int = 1) -> int:
    import uvicorn

    from widget_server.core.logs import configure_logging
    from widget_server.web.app import create_app

    if workers < 1:
        raise UsageError(f"--workers must be at least 1, got {workers}")
    configure_logging(settings.log_level)
    # Several workers: each process builds its own app from the environment.
    uvicorn.run(
        "widget_server.web.app:create_app" if workers > 1 else create_app(settings),
        factory=workers > 1,
        workers=workers,
        host=host,
        port=port,
        access_log=False,  # our request log leaves out client addresses
        log_config=None,
        server_header=False,
        timeout_graceful_shutdown=10,
        proxy_headers=True,
        forwarded_allow_ips=settings.trusted_proxies,
    )
    return 0


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    # Checked here first: a database the server cannot use ends `serve` at once,
    # with one sentence, instead of a failed startup in every worker.
    asyncio.run(check_database(settings.database_url))
    return serve(settings, args.host, args.port, args.workers)


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from widget_server.demo.seed import is_demo_database, seed_demo

    explicit = sqlite_path(settings.database_url) if settings.database_url_given else None
    if settings.database_url_given and explicit is None:
        raise UsageError(f"demo needs a sqlite:/// database URL, got {settings.database_url!r}")
    if explicit is not None:
        path = explicit
    else:
        path = Path(tempfile.mkdtemp(prefix="partnerkreis-demo-")) / "demo.db"
    settings = settings.with_changes(database_url=f"sqlite:///{path}")
    check_database_file(path, create=True)

    async def prepare() -> str:
        if path.exists():
            existing = storage_from_url(settings.database_url)
            await open_storage(existing, create=True)
            try:
                is_demo = await existing.schema_version() > 0 and await is_demo_database(existing)
            finally:
                await existing.close()
            if not is_demo:
                raise UsageError(
                    f"{path} holds a database that is not a demo; refusing to overwrite it"
                )
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)  # noqa: ASYNC240
        storage = storage_from_url(settings.database_url)
        await storage.open()
        try:
            await storage.migrate()
            await ensure_secret_keys(storage, settings, create=True)
            await seed_demo(storage)
            password = generate_password()
            await storage.create_account(
                Account(0, "koordination", hash_password(password), "coordinator")
            )
        finally:
            await storage.close()
        return password

    password = asyncio.run(prepare())
    shown_host = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host  # noqa: S104
    url = f"http://{shown_host}:{args.port}"
    t = texts(settings)
    sites, login = url + "/demo/", "koordination / " + password
    print(
        t.gettext("Partnerkreis demo network (database: %(path)s)", path=path),
        t.gettext("  Demo member websites:  %(url)s", url=sites),
        t.gettext("  Coordinator login:     %(login)s", login=login),
        t.gettext("Press Ctrl+C to stop."),
        sep="\n",
        flush=True,
    )
    return serve(settings, args.host, args.port)


def add_migrate_db_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--from", dest="source", required=True, metavar="URL", help="the database to copy"
    )
    parser.add_argument(
        "--to", dest="target", required=True, metavar="URL", help="an empty database"
    )


async def _migrate_db(source_url: str, target_url: str) -> list[TableCount]:
    if source_url == target_url:
        raise ValueError("--from and --to name the same database")
    source, target = storage_from_url(source_url), storage_from_url(target_url)
    await open_storage(source)
    try:
        await open_storage(target, create=True)
        try:
            return await transfer(source, target)
        finally:
            await target.close()
    finally:
        await source.close()


def cmd_migrate_db(args: argparse.Namespace, settings: Settings) -> int:
    """Copy, print the rows of every table on both sides; exit status 1 on any difference."""
    counts = asyncio.run(_migrate_db(args.source, args.target))
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
