"""The ledger computation in a process of its own, for a large network.

At 100,000 members a computation is seconds of CPU a minute.  In the serving
process its worker threads and the event loop share one GIL: under request
traffic the loop waited for it up to 140 ms, and the computation's transient
objects left the heap larger after each run (bench/README.md, session 11).  A
serving process whose network has ``LARGE`` memberships or more therefore runs
each computation as a child process on the same database
(``python -m widget_server.serving.ledger_process NOW STALE_BEFORE``; the
database URL in the child's environment, never on its command line) and then
installs what the child stored, as it installs what another process stored.
The child claims the computation as the server would (the advisory lock, or
the lease in ``meta``) and, having no versions installed, reads the previous
ones it makes its deltas against from the database.  A smaller network computes
in the serving process: a child's start would cost more than the computation.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import sys
from pathlib import Path

from widget_server.serving.ledger import compute_ledger_update
from widget_server.storage import Storage, sqlite_path, storage_from_url
from widget_server.storage.ledger import LEDGER_LEASE

COMMAND = "widget_server.serving.ledger_process"
LARGE = 20_000  # memberships from which a serving process computes in a child
STDERR_KEPT = 2_000  # characters of a failed child's error output in the error
# The child's scheduling priority below the server's (os.nice): the computation is
# background work, and on a machine with few cores it must not delay the answers.
NICENESS = 10


def database_url(storage: Storage) -> str:
    """The URL a child process opens ``storage``'s database with."""
    path = getattr(storage, "path", None)
    if path is not None:  # SQLite
        return f"sqlite:///{Path(path).resolve()}"
    url: str = getattr(storage, "url")  # noqa: B009  (PostgreSQL; no other storage exists)
    return url


class LedgerProcessError(RuntimeError):
    """The child process computing the ledger failed; what it wrote is in the message."""


async def compute_in_child(database_url: str, now: float, stale_before: float) -> None:
    """Run one computation (as of ``now``; none when the stored one is newer than
    ``stale_before``) in a child process and wait for it; ``LedgerProcessError`` when
    it fails.  A child still running after the computation's lease is killed."""
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        COMMAND,
        repr(now),
        repr(stale_before),
        env={**os.environ, "WIDGET_DATABASE_URL": database_url},
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        _, errors = await asyncio.wait_for(child.communicate(), LEDGER_LEASE)
    except BaseException:  # timed out, or the server is stopping: no child left behind
        child.kill()
        await child.wait()
        raise
    if child.returncode != 0:
        said = errors.decode("utf-8", "replace").strip()[-STDERR_KEPT:]
        raise LedgerProcessError(f"the ledger process ended with status {child.returncode}: {said}")


async def _compute(database_url: str, now: float, stale_before: float) -> None:
    storage = storage_from_url(database_url)
    await storage.open()
    try:
        themes = await storage.list_themes()
        # The themes and their rule sets: all the computation reads of the network.
        data = await storage.load_network_part((), [t.id for t in themes], ())
        await storage.publish_ledger(
            lambda: compute_ledger_update(storage, now, data),
            stale_before=stale_before,
            now=now,
        )
    finally:
        await storage.close()


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    try:
        now, stale_before = (float(value) for value in args)
    except ValueError:
        print(
            f"usage: python -m {COMMAND} NOW STALE_BEFORE (seconds since the epoch), got {args!r}",
            file=sys.stderr,
        )
        return 2
    if not math.isfinite(now):
        print(f"NOW must be a finite time, got {args[0]!r}", file=sys.stderr)
        return 2
    url = os.environ.get("WIDGET_DATABASE_URL", "")
    path = sqlite_path(url)
    if not url or (path is not None and not path.is_file()):
        # Never a new, empty database: the child computes on the server's.
        print(f"no database to compute the ledger on: WIDGET_DATABASE_URL={url!r}", file=sys.stderr)
        return 2
    with contextlib.suppress(OSError):  # a platform or sandbox without it: as is
        os.nice(NICENESS)
    try:
        asyncio.run(_compute(url, now, stale_before))
    except Exception as exc:  # noqa: BLE001  (one line for the server's log, not a traceback)
        print(f"the ledger computation failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
