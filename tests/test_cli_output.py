"""What the command line prints for people: aligned fields, plurals, times, ports, keys."""

from __future__ import annotations

import asyncio
import io
import json
import re
from datetime import UTC, date, datetime, timedelta

import pytest

from tests.test_cli import CLI
from widget_server.cli.common import Progress, aligned
from widget_server.core.models import CounterRow
from widget_server.network.database import SIGNED_WITH_META, fingerprint
from widget_server.storage import storage_from_url

pytest_plugins = ["tests.test_cli"]


def add_member(cli: CLI, slug: str, *extra: str) -> None:
    site = f"https://{slug}.example"
    cli.ok("member", "add", slug, "--name", slug.title(), "--website", site, *extra)


# -- member show ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "extra",
    [
        (),  # no town, no postal code, no description: the column still lines up
        ("--town", "Heide", "--postal-code", "25746", "--description", "Torten"),
        ("--town", "Heide"),
    ],
)
def test_member_show_puts_every_value_in_one_column(ready: CLI, extra: tuple[str, ...]) -> None:
    add_member(ready, "torten", "--theme", "hochzeit", *extra)
    lines = ready.ok("member", "show", "torten").out.splitlines()[1:]
    columns = {len(re.match(r"  \w+:\s*", line).group(0)) for line in lines}  # type: ignore[union-attr]
    assert len(columns) == 1, lines
    town = next(line for line in lines if line.lstrip().startswith("town:"))
    assert "  " not in town.split(":", 1)[1].strip()  # no double space for a missing code
    assert all(line.split(":", 1)[1].strip() for line in lines)  # "-" where nothing is known


def test_aligned_continues_a_multiline_value_in_its_column() -> None:
    assert aligned([("a", "x"), ("long", "y\nz")]) == ["  a:    x", "  long: y", "        z"]


# -- plurals and times ------------------------------------------------------------------------


async def _count(path: str, rows: list[CounterRow]) -> None:
    storage = storage_from_url(path)
    await storage.open()
    try:
        await storage.add_counts(rows)
    finally:
        await storage.close()


def test_stats_says_one_click_and_two_clicks(ready: CLI) -> None:
    add_member(ready, "torten", "--theme", "hochzeit")
    ids = dict(ready.query("SELECT slug, id FROM members"))
    (theme_id,) = ready.query("SELECT id FROM themes")[0]
    day = date.today()
    click = CounterRow(day, theme_id, ids["blumen"], ids["torten"], "clicked", 1, 0.0)
    asyncio.run(_count(ready.environ["WIDGET_DATABASE_URL"], [click]))
    out = ready.ok("stats").out
    assert "1 click;" in out
    assert "1 clicks" not in out
    asyncio.run(_count(ready.environ["WIDGET_DATABASE_URL"], [click]))
    assert "2 clicks;" in ready.ok("stats").out


def test_portal_link_names_its_end_in_utc_once(ready: CLI) -> None:
    ready.environ["WIDGET_PUBLIC_URL"] = "https://p.example"
    out = ready.ok("portal-link", "blumen", "--days", "3").out
    assert out.startswith("https://p.example/portal/"), out
    until = re.search(r"\(valid until (\d{4}-\d\d-\d\d \d\d:\d\d) UTC\)", out)
    assert until, out
    assert "+00:00" not in out
    expected = datetime.now(UTC) + timedelta(days=3)
    shown = datetime.strptime(until.group(1), "%Y-%m-%d %H:%M").replace(tzinfo=UTC)
    assert abs((shown - expected).total_seconds()) < 120


def test_portal_link_without_a_public_url_is_refused_not_guessed(ready: CLI) -> None:
    result = ready("portal-link", "blumen")
    assert result.code == 2
    assert "WIDGET_PUBLIC_URL" in result.err and "--base-url" in result.err
    assert "127.0.0.1" not in result.out
    # Revoking needs no URL.
    assert ready.ok("portal-link", "blumen", "--revoke").out.strip() == "0 portal links revoked"


def test_portal_link_revoke_says_link_or_links(ready: CLI) -> None:
    ready.environ["WIDGET_PUBLIC_URL"] = "https://p.example"
    ready.ok("portal-link", "blumen")
    assert ready.ok("portal-link", "blumen", "--revoke").out.strip() == "1 portal link revoked"
    ready.ok("portal-link", "blumen")
    ready.ok("portal-link", "blumen")
    assert ready.ok("portal-link", "blumen", "--revoke").out.strip() == "2 portal links revoked"


# -- ports --------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["serve", "demo"])
@pytest.mark.parametrize("port", ["0", "65536", "80000", "-1", "http"])
def test_a_port_outside_1_to_65535_is_refused_before_anything_runs(
    cli: CLI, capsys: pytest.CaptureFixture[str], command: str, port: str
) -> None:
    with pytest.raises(SystemExit) as exited:
        cli(command, "--port", port)
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "--port" in err
    assert "from 1 to 65535" in err
    assert not cli.path.exists()


# -- signing keys -------------------------------------------------------------------------------


def stored_keys(cli: CLI) -> list[str]:
    ((value,),) = cli.query("SELECT value FROM meta WHERE key = 'secret_keys'")
    return str(value).split(",")


def test_a_secret_keys_setting_without_the_key_that_signed_the_codes_is_refused(
    ready: CLI,
) -> None:
    ready.environ["WIDGET_PUBLIC_URL"] = "https://p.example"
    ready.ok("snippet", "blumen", "hochzeit")  # a code signed with the stored key
    (old,) = stored_keys(ready)
    ready.environ["WIDGET_SECRET_KEYS"] = "another-key-of-32-characters-long-x"
    before = ready.dump()
    result = ready("snippet", "blumen", "hochzeit")
    assert result.code == 1
    assert f"lack key {fingerprint(old)}" in result.err
    assert "WIDGET_SECRET_KEYS" in result.err
    assert "secret show" in result.err
    assert ready.dump() == before
    # With the old key kept (oldest first) it is accepted, and codes keep their token.
    ready.environ["WIDGET_SECRET_KEYS"] = f"{old},another-key-of-32-characters-long-x"
    assert ready.ok("snippet", "blumen", "hochzeit")


def test_secret_show_lists_fingerprints_never_the_keys(ready: CLI) -> None:
    (key,) = stored_keys(ready)
    shown = ready.ok("secret", "show")
    assert fingerprint(key) in shown.out
    assert key not in shown.out
    data = ready.ok("secret", "show", "--json").json()
    assert data == {
        "source": "database",
        "keys": [{"key": fingerprint(key), "role": "signs", "valid_until": None}],
    }


def test_secret_rotate_signs_with_a_new_key_and_keeps_old_codes_until_the_stated_day(
    ready: CLI,
) -> None:
    ready.environ["WIDGET_PUBLIC_URL"] = "https://p.example"
    old_code = ready.ok("snippet", "blumen", "hochzeit", "--json").json()["token"]
    (old,) = stored_keys(ready)
    result = ready.ok("secret", "rotate", "--keep-days", "30", "--json").json()
    until = (date.today() + timedelta(days=30)).isoformat()
    assert result["old_codes_valid_until"] == until
    keys = stored_keys(ready)
    assert keys[0] == old and len(keys) == 2
    assert result["new_key"] == fingerprint(keys[1])
    shown = ready.ok("secret", "show").out
    assert f"{fingerprint(old)}  codes signed with it stay valid until {until}" in shown
    assert f"{fingerprint(keys[1])}  signs new codes" in shown
    # The old code still opens its placement; the new one is signed with the new key.
    from widget_server.core.signing import Signer

    assert Signer(keys).read_embed_token(old_code) > 0
    new_code = ready.ok("snippet", "blumen", "hochzeit", "--json").json()["token"]
    assert Signer(keys[1:]).read_embed_token(new_code) > 0
    signed = json.loads(
        ready.query("SELECT value FROM meta WHERE key = ?", (SIGNED_WITH_META,))[0][0]
    )
    assert signed == [fingerprint(old), fingerprint(keys[1])]


def test_after_the_stated_day_the_old_key_is_dropped_and_its_absence_accepted(
    ready: CLI,
) -> None:
    (old,) = stored_keys(ready)
    ready.ok("secret", "rotate", "--keep-days", "1")
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    conn_value = json.dumps({fingerprint(old): yesterday})
    import sqlite3

    with sqlite3.connect(ready.path) as conn:
        conn.execute("UPDATE meta SET value = ? WHERE key = 'secret_keys_until'", (conn_value,))
    data = ready.ok("secret", "show", "--json").json()
    assert [k["key"] for k in data["keys"]] == [fingerprint(stored_keys(ready)[1])]


@pytest.mark.parametrize("days", ["0", "3651"])
def test_secret_rotate_keep_days_out_of_range_exits_2(ready: CLI, days: str) -> None:
    before = ready.dump()
    result = ready("secret", "rotate", "--keep-days", days)
    assert result.code == 2
    assert "--keep-days" in result.err
    assert ready.dump() == before


def test_secret_rotate_with_keys_from_the_environment_says_what_to_set(ready: CLI) -> None:
    (old,) = stored_keys(ready)
    ready.environ["WIDGET_SECRET_KEYS"] = old
    out = ready.ok("secret", "rotate").out
    value = next(line for line in out.splitlines() if line.startswith(old + ","))
    assert len(value.split(",")) == 2
    assert stored_keys(ready) == [old]  # the environment is the operator's to change


# -- progress -----------------------------------------------------------------------------------


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_counts_up_on_a_terminal_and_ends_with_done() -> None:
    stream = Terminal()
    progress = Progress("Copying rows", stream)
    progress.started -= 1.0  # as if a second had passed
    progress.update(1, 4)
    progress.update(1, 4)  # the same figure is not written twice
    progress.update(4, 4)
    progress.done()
    assert stream.getvalue().startswith("\rCopying rows ... 1/4\rCopying rows ... 4/4")
    assert stream.getvalue().count("1/4") == 1
    assert re.search(r"\rCopying rows \.\.\. done \(\d+\.\d s\)\n$", stream.getvalue())


def test_progress_is_one_line_in_a_log_and_nothing_for_a_quick_run() -> None:
    quick = io.StringIO()
    progress = Progress("Copying rows", quick)
    progress.update(1, 2)
    progress.done()
    assert quick.getvalue() == ""
    slow = io.StringIO()
    progress = Progress("Copying rows", slow)
    progress.started -= 2.0
    progress.update(1, 2)
    progress.done()
    assert re.fullmatch(r"Copying rows \.\.\. done \(\d+\.\d s\)\n", slow.getvalue())


def test_other_keys_before_any_code_was_signed_are_accepted(ready: CLI) -> None:
    # `init` signs nothing: a network may still choose its own keys before its first code.
    ready.environ["WIDGET_SECRET_KEYS"] = "a-key-chosen-before-any-code-was-signed"
    ready.environ["WIDGET_PUBLIC_URL"] = "https://p.example"
    assert ready.ok("snippet", "blumen", "hochzeit", "--json").json()["token"]
    signed = ready.query("SELECT value FROM meta WHERE key = ?", (SIGNED_WITH_META,))
    assert json.loads(signed[0][0]) == [fingerprint("a-key-chosen-before-any-code-was-signed")]
