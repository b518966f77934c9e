"""A database the server cannot use ends every command at once, with one sentence.

Missing, empty, not a database, damaged, or at an old schema: ``serve`` and
the other commands exit non-zero and say what to run; nothing is created on
the way (no file, no directory).  ``serve`` is also run as a real process,
because a failed startup used to leave it hanging.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from widget_server.cli import main
from widget_server.storage import load_migrations

COMMANDS = (
    ("serve", "--port", "1"),
    ("theme", "list"),
    ("member", "list"),
    ("rules", "show", "hochzeit"),
    ("key", "list"),
    ("stats",),
    ("snippet", "fotos", "hochzeit"),
    ("migrate-db", "--from", "{url}", "--to", "sqlite:///{dir}/copy.db"),
)


def initialised(path: Path) -> None:
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(["init"], environ={"WIDGET_DATABASE_URL": f"sqlite:///{path}"}) == 0


def missing(path: Path) -> None:
    pass


def empty(path: Path) -> None:
    path.write_bytes(b"")


def not_a_database(path: Path) -> None:
    path.write_bytes(b"<html>this is not a database</html>\n" * 100)


def damaged(path: Path) -> None:
    initialised(path)
    data = bytearray(path.read_bytes())
    data[16:] = b"\xff" * (len(data) - 16)  # the header stays, the pages are gone
    path.write_bytes(bytes(data))


def old_schema(path: Path) -> None:
    initialised(path)
    conn = sqlite3.connect(path)
    with conn:
        latest = len(load_migrations("sqlite"))
        conn.execute("DELETE FROM schema_migrations WHERE version = ?", (latest,))
    conn.close()


CASES: dict[str, tuple[Callable[[Path], None], str]] = {
    "missing": (missing, "no database at {path}: run `widget-server init`"),
    "empty": (empty, "the database {path} is empty: run `widget-server init`"),
    "not-a-database": (not_a_database, "{path} is not a SQLite database"),
    "damaged": (damaged, "restore it from a backup"),
    "old-schema": (old_schema, "run `widget-server init` to migrate"),
}


def run(argv: tuple[str, ...], path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    url = f"sqlite:///{path}"
    args = [a.format(url=url, dir=path.parent) for a in argv]
    code = main(args, environ={"WIDGET_DATABASE_URL": url})
    return code, capsys.readouterr().err


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("argv", COMMANDS, ids=lambda a: " ".join(a[:2]))
def test_every_command_refuses_a_database_it_cannot_use(
    case: str, argv: tuple[str, ...], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "network.db"
    make, message = CASES[case]
    make(path)
    before = {p.name for p in tmp_path.iterdir()}
    code, err = run(argv, path, capsys)
    assert code == 1
    assert err.startswith("widget-server: error: ")
    assert len(err.strip().splitlines()) == 1, err  # one sentence, no traceback
    assert message.format(path=path) in err
    assert {p.name for p in tmp_path.iterdir()} <= before  # nothing created


def test_no_directory_is_created_implicitly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "not" / "there" / "network.db"
    for argv in (("init",), ("theme", "list"), ("serve", "--port", "1")):
        code, err = run(argv, path, capsys)
        assert code == 1
        assert f"the directory {path.parent} does not exist" in err
    assert not (tmp_path / "not").exists()


def test_init_still_creates_a_missing_file_in_an_existing_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "network.db"
    empty(path)  # `touch` first is fine as well
    initialised(path)
    code, err = run(("theme", "list"), path, capsys)
    assert code == 0, err


@pytest.mark.parametrize("case", ["missing", "empty", "not-a-database", "damaged", "old-schema"])
def test_serve_exits_with_one_sentence_instead_of_hanging(case: str, tmp_path: Path) -> None:
    path = tmp_path / "network.db"
    make, message = CASES[case]
    make(path)
    done = subprocess.run(
        [sys.executable, "-m", "widget_server", "serve", "--port", "1"],
        env={**os.environ, "WIDGET_DATABASE_URL": f"sqlite:///{path}"},
        capture_output=True,
        text=True,
        timeout=120,  # only ends a hang; a working check exits at once
        check=False,
    )
    assert done.returncode == 1
    assert done.stderr.strip() == f"widget-server: error: {done.stderr.strip()[22:]}"
    assert message.format(path=path) in done.stderr


def test_a_server_that_fails_to_start_closes_its_database(tmp_path: Path) -> None:
    """The app's own startup (uvicorn's lifespan, each --workers process) fails cleanly."""
    from widget_server.core.errors import StorageError
    from widget_server.core.settings import Settings
    from widget_server.storage import SQLiteStorage
    from widget_server.web.app import create_app

    path = tmp_path / "network.db"
    old_schema(path)
    storage = SQLiteStorage(path)
    settings = Settings(database_url=f"sqlite:///{path}", allowed_hosts=("testserver",))
    app = create_app(settings, storage=storage)

    async def start() -> None:
        async with app.router.lifespan_context(app):
            pass

    with pytest.raises(StorageError, match="run `widget-server init` to migrate"):
        asyncio.run(start())
    assert storage._writer is None  # closed: no connection thread keeps the process alive
