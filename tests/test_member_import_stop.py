"""``member import`` stopped in the middle of its write: nothing of it is stored, and
the same file imported again stores all of it.

The import is one transaction (storage/member_import.py).  On PostgreSQL the test
holds it at its last statement, deterministically: it locks the data version's row
first, so the import writes every member, domain, membership and placement and then
waits for that row (the bump that ends every network write).  The process is stopped
there, killed or interrupted as with Ctrl-C, and the lock let go.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

import pytest

from . import postgres

needs_postgres = pytest.mark.skipif(postgres.server_url() is None, reason=postgres.HINT)

MEMBERS = 12_000  # three of the import's chunks, and more than it logs one by one
TABLES = ("members", "member_domains", "memberships", "placements")


def _sigint_default() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def environ(url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WIDGET_")}
    return env | {"WIDGET_DATABASE_URL": url}


async def cli(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "widget_server",
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def stored(conn: Any) -> dict[str, int]:
    """Rows per table and the data version, as another connection sees them."""
    found = {t: await conn.fetchval(f"SELECT count(*) FROM {t}") for t in TABLES}
    found["data_version"] = int(
        await conn.fetchval("SELECT value FROM meta WHERE key = 'data_version'")
    )
    return found


@needs_postgres
@pytest.mark.asyncio
@pytest.mark.parametrize("stop", [signal.SIGKILL, signal.SIGINT], ids=["kill", "ctrl-c"])
async def test_an_import_stopped_before_its_commit_stores_nothing_and_runs_again(
    tmp_path: Path, stop: signal.Signals
) -> None:
    import asyncpg

    server = postgres.server_url()
    assert server is not None
    members = tmp_path / "members.json"
    members.write_text(
        json.dumps(
            [
                {
                    "slug": f"m{i}",
                    "name": f"Betrieb {i}",
                    "website": f"https://m{i}.example/",
                    "domains": [f"shop.m{i}.example"],
                    "themes": ["hochzeit", "stadt"] if i % 2 else ["hochzeit"],
                }
                for i in range(MEMBERS)
            ]
        )
    )
    async with postgres.fresh_schema(server) as url:
        env = environ(url)
        assert (await cli(env, "init"))[0] == 0
        for slug in ("hochzeit", "stadt"):
            assert (await cli(env, "theme", "add", slug, "--name-de", slug.title()))[0] == 0
        holder = await asyncpg.connect(url)
        watcher = await asyncpg.connect(url)
        try:
            before = await stored(watcher)
            lock = holder.transaction()
            await lock.start()
            await holder.execute("SELECT value FROM meta WHERE key = 'data_version' FOR UPDATE")
            proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "widget_server",
                "member",
                "import",
                str(members),
                env=env,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                # Ctrl-C reaches it whatever this process inherited: a run started in the
                # background by a non-interactive shell ignores SIGINT, and so would the
                # import, which then never left (seen in CI started so).
                preexec_fn=_sigint_default,
            )
            # Until the import's own connection waits for the held row: every row of it
            # is written by then (a deadline only against a hang, never the verdict).
            blocked = "SELECT count(*) FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))"
            waited = 0.0
            while not await watcher.fetchval(blocked, holder.get_server_pid()):
                assert proc.returncode is None, (await proc.communicate())[1].decode()
                assert waited < 300, "the import never reached the data version's row"
                await asyncio.sleep(0.05)
                waited += 0.05
            assert await stored(watcher) == before  # written, not committed: not seen

            proc.send_signal(stop)
            if stop == signal.SIGINT:  # the command leaves by itself, the row still locked
                _, said = await asyncio.wait_for(proc.communicate(), 60)
                assert proc.returncode == 130, said
                await lock.rollback()
            else:
                await lock.rollback()
                _, said = await proc.communicate()
            assert await stored(watcher) == before
            # It had written every chunk when it was stopped: one transaction, not one each.
            lines = said.decode().splitlines()
            assert f"written {MEMBERS}/{MEMBERS} rows" in lines
            if stop == signal.SIGINT:  # a line, no traceback
                assert (
                    lines[-1] == "widget-server: interrupted" and "Traceback" not in said.decode()
                )

            code, out, err = await cli(env, "member", "import", str(members))
            assert (code, out) == (0, f"{MEMBERS} members imported.\n"), err
            after = await stored(watcher)
            assert after["members"] == before["members"] + MEMBERS
            # Each member's website host, its www. twin and its shop's domain.
            assert after["member_domains"] == before["member_domains"] + 3 * MEMBERS
            assert after["memberships"] == before["memberships"] + MEMBERS * 3 // 2
            assert after["placements"] == after["memberships"]
            assert after["data_version"] == before["data_version"] + 1  # one bump, one commit
        finally:
            await holder.close()
            await watcher.close()
