"""``widget-server`` in-process: real SQLite files, output captured with capsys."""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from widget_server.cli import main
from widget_server.core.signing import Signer
from widget_server.network.database import SECRET_KEYS_META
from widget_server.storage import load_migrations

COMMANDS = ("init", "serve", "demo", "member", "theme", "snippet")


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


class CLI:
    """Runs ``main`` against one database file."""

    def __init__(self, path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.path = path
        self.environ = {"WIDGET_DATABASE_URL": f"sqlite:///{path}"}
        self._capsys = capsys

    def __call__(self, *argv: str) -> Result:
        self._capsys.readouterr()
        code = main(list(argv), environ=dict(self.environ))
        captured = self._capsys.readouterr()
        return Result(code, captured.out, captured.err)

    def ok(self, *argv: str) -> Result:
        result = self(*argv)
        assert result.code == 0, result.err
        return result

    def query(self, sql: str, params: tuple[object, ...] = ()) -> list[tuple[Any, ...]]:
        conn = sqlite3.connect(self.path)
        try:
            return conn.execute(sql, params).fetchall()
        finally:
            conn.close()

    def dump(self) -> list[str]:
        conn = sqlite3.connect(self.path)
        try:
            return list(conn.iterdump())
        finally:
            conn.close()


@pytest.fixture
def cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> CLI:
    return CLI(tmp_path / "x.db", capsys)


@pytest.fixture
def ready(cli: CLI) -> CLI:
    """An initialised database with the theme ``hochzeit`` and the member ``blumen`` in it."""
    cli.ok("init", "--json")
    cli.ok("theme", "add", "hochzeit", "--name-de", "Hochzeit", "--name-en", "Wedding")
    cli.ok(
        "member",
        "add",
        "blumen",
        "--name",
        "Blumenhaus am Markt",
        "--website",
        "https://www.blumen.example/",
        "--theme",
        "hochzeit",
    )
    return cli


# -- help -----------------------------------------------------------------------------------


def test_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--help"], environ={})
    assert info.value.code == 0
    out = capsys.readouterr().out
    for command in COMMANDS:
        assert re.search(rf"^\s+{command}\s+\S", out, re.MULTILINE), f"{command} not in help"
    assert "WIDGET_DATABASE_URL" in out


# -- init -----------------------------------------------------------------------------------


def test_init_creates_schema_and_one_coordinator_with_a_password_shown_once(cli: CLI) -> None:
    result = cli.ok("init", "--json")
    data = result.json()
    shipped = [m.version for m in load_migrations("sqlite")]
    assert data["migrations_applied"] == shipped
    assert data["schema_version"] == shipped[-1]
    assert data["coordinator"] == "koordination"
    password = data["password"]
    assert isinstance(password, str)
    assert len(password) >= 10
    assert result.out.count(password) == 1
    assert cli.query("SELECT username, role FROM accounts") == [("koordination", "coordinator")]
    (stored_hash,) = cli.query("SELECT password_hash FROM accounts")[0]
    assert password not in stored_hash
    assert cli.query("SELECT value FROM meta WHERE key = ?", (SECRET_KEYS_META,))


def test_init_again_applies_nothing_and_makes_no_second_password(cli: CLI) -> None:
    first = cli.ok("init", "--json").json()
    keys = cli.query("SELECT value FROM meta WHERE key = ?", (SECRET_KEYS_META,))
    again = cli.ok("init", "--json")
    data = again.json()
    assert data["migrations_applied"] == []
    assert data["schema_version"] == first["schema_version"]
    assert data["password"] is None
    assert data["coordinator"] is None
    assert first["password"] not in again.out
    assert cli.query("SELECT COUNT(*) FROM accounts") == [(1,)]
    assert cli.query("SELECT value FROM meta WHERE key = ?", (SECRET_KEYS_META,)) == keys


def test_init_in_text_mode_prints_the_password_once(cli: CLI) -> None:
    out = cli.ok("init").out
    match = re.search(r"Password \(shown once\): (\S+)", out)
    assert match is not None
    assert out.count(match.group(1)) == 1
    assert "up to date" in cli.ok("init").out


def test_init_with_another_admin_name(cli: CLI) -> None:
    assert cli.ok("init", "--json", "--admin", "anna").json()["coordinator"] == "anna"
    assert cli.query("SELECT username FROM accounts") == [("anna",)]


# -- themes ---------------------------------------------------------------------------------


def test_theme_add_and_list(cli: CLI) -> None:
    cli.ok("init")
    added = cli.ok(
        "theme",
        "add",
        "heide",
        "--name-de",
        "Heide",
        "--name-en",
        "Heide (Holstein)",
        "--description-de",
        "Läden in Heide",
        "--kind",
        "local",
        "--json",
    ).json()
    assert (added["slug"], added["kind"], added["name_en"]) == (
        "heide",
        "local",
        "Heide (Holstein)",
    )
    cli.ok("theme", "add", "hochzeit", "--name-de", "Hochzeit")
    cli.ok(
        "member",
        "add",
        "laden",
        "--name",
        "Laden",
        "--website",
        "https://l.example",
        "--theme",
        "heide",
    )

    rows = cli.ok("theme", "list", "--json").json()
    assert [(r["slug"], r["kind"], r["members"]) for r in rows] == [
        ("heide", "local", 1),
        ("hochzeit", "topic", 0),
    ]
    assert rows[0]["description_de"] == "Läden in Heide"


def test_theme_list_of_an_empty_network(cli: CLI) -> None:
    cli.ok("init")
    assert cli.ok("theme", "list", "--json").json() == []
    assert "No themes" in cli.ok("theme", "list").out


def test_theme_add_with_a_bad_slug_exits_2_naming_it(cli: CLI) -> None:
    cli.ok("init")
    result = cli("theme", "add", "Hoch zeit", "--name-de", "Hochzeit")
    assert result.code == 2
    assert "'Hoch zeit'" in result.err
    assert cli.ok("theme", "list", "--json").json() == []


def test_theme_add_twice_exits_1_naming_it(cli: CLI) -> None:
    cli.ok("init")
    cli.ok("theme", "add", "hochzeit", "--name-de", "Hochzeit")
    result = cli("theme", "add", "hochzeit", "--name-de", "Hochzeit")
    assert result.code == 1
    assert "'hochzeit'" in result.err


# -- members --------------------------------------------------------------------------------


def test_member_add_with_all_options_then_list_and_show(cli: CLI) -> None:
    cli.ok("init")
    cli.ok("theme", "add", "hochzeit", "--name-de", "Hochzeit")
    cli.ok("theme", "add", "heide", "--name-de", "Heide", "--kind", "local")
    added = cli.ok(
        "member",
        "add",
        "blumen",
        "--name",
        "Blumenhaus am Markt",
        "--website",
        "https://www.blumen.example/",
        "--description",
        "Sträuße & Gestecke",
        "--category",
        "flowers",
        "--town",
        "Heide",
        "--postal-code",
        "25746",
        "--domain",
        "shop.blumen.example",
        "--domain",
        "blumen-heide.example",
        "--theme",
        "hochzeit",
        "--theme",
        "heide",
        "--status",
        "pending",
        "--json",
    ).json()
    expected = {
        "slug": "blumen",
        "name": "Blumenhaus am Markt",
        "website": "https://www.blumen.example/",
        "description": "Sträuße & Gestecke",
        "category": "flowers",
        "category_label": "Floristik",
        "town": "Heide",
        "postal_code": "25746",
        "status": "pending",
        "domains": [
            "blumen-heide.example",
            "blumen.example",
            "shop.blumen.example",
            "www.blumen.example",
        ],
        "logo": None,
    }
    assert {k: added[k] for k in expected} == expected

    listed = cli.ok("member", "list", "--json").json()
    assert [m["slug"] for m in listed] == ["blumen"]
    assert {k: listed[0][k] for k in expected} == expected

    shown = cli.ok("member", "show", "blumen", "--json").json()
    assert {k: shown[k] for k in expected} == expected
    assert sorted(shown["memberships"], key=lambda m: m["theme"]) == [
        {"theme": "heide", "status": "active"},
        {"theme": "hochzeit", "status": "active"},
    ]


def test_member_list_filters_by_theme_and_status(ready: CLI) -> None:
    ready.ok("theme", "add", "heide", "--name-de", "Heide")
    ready.ok("member", "add", "cafe", "--name", "Café", "--website", "https://cafe.example",
             "--theme", "heide", "--status", "paused")  # fmt: skip
    assert [m["slug"] for m in ready.ok("member", "list", "--json").json()] == ["blumen", "cafe"]
    by_theme = ready.ok("member", "list", "--theme", "heide", "--json").json()
    assert [m["slug"] for m in by_theme] == ["cafe"]
    by_status = ready.ok("member", "list", "--status", "active", "--json").json()
    assert [m["slug"] for m in by_status] == ["blumen"]


def test_member_pause_and_activate(ready: CLI) -> None:
    assert ready.ok("member", "pause", "blumen", "--json").json()["status"] == "paused"
    assert ready.ok("member", "show", "blumen", "--json").json()["status"] == "paused"
    assert ready.query("SELECT status FROM members WHERE slug = 'blumen'") == [("paused",)]
    assert "now active" in ready.ok("member", "activate", "blumen").out
    assert ready.ok("member", "show", "blumen", "--json").json()["status"] == "active"


def test_member_show_of_an_unknown_member_exits_1_naming_it(ready: CLI) -> None:
    result = ready("member", "show", "nope")
    assert result.code == 1
    assert "'nope'" in result.err


def test_member_add_with_an_unknown_theme_exits_2_and_writes_nothing(ready: CLI) -> None:
    before = ready.dump()
    result = ready("member", "add", "cafe", "--name", "Café", "--website",
                   "https://cafe.example", "--theme", "hochzeit", "--theme", "nope")  # fmt: skip
    assert result.code == 2
    assert "'nope'" in result.err
    assert ready("member", "show", "cafe").code == 1
    assert ready.dump() == before


@pytest.mark.parametrize("slug", ["Hoch zeit", "x--y", "-x", "ÄÖ"])
def test_member_add_with_a_bad_slug_exits_2_naming_it(ready: CLI, slug: str) -> None:
    result = ready("member", "add", "--name", "X", "--website", "https://x.example", "--", slug)
    assert result.code == 2
    assert repr(slug) in result.err
    assert [m["slug"] for m in ready.ok("member", "list", "--json").json()] == ["blumen"]


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--website", "ftp://x.example"),
        ("--website", "javascript:alert(1)"),
        ("--category", "Not A Slug"),
        ("--postal-code", "12"),
        ("--domain", "bad domain"),
    ],
)
def test_member_add_with_a_bad_value_exits_2_naming_it(ready: CLI, option: str, value: str) -> None:
    argv = ["member", "add", "cafe", "--name", "Café", "--website", "https://cafe.example"]
    result = ready(*argv, option, value)
    assert result.code == 2
    assert value in result.err
    assert ready("member", "show", "cafe").code == 1


def test_member_add_twice_exits_1_naming_it(ready: CLI) -> None:
    result = ready("member", "add", "blumen", "--name", "Other", "--website", "https://o.example")
    assert result.code == 1
    assert "'blumen'" in result.err
    shown = ready.ok("member", "show", "blumen", "--json").json()
    assert shown["name"] == "Blumenhaus am Markt"


# -- snippets -------------------------------------------------------------------------------


def stored_signer(cli: CLI) -> Signer:
    ((keys,),) = cli.query("SELECT value FROM meta WHERE key = ?", (SECRET_KEYS_META,))
    return Signer(keys.split(","))


def test_snippet_prints_the_token_and_the_script_tag(ready: CLI) -> None:
    ready.environ["WIDGET_PUBLIC_URL"] = "https://partner.example.org"
    data = ready.ok("snippet", "blumen", "hochzeit", "--json").json()
    assert (data["member"], data["theme"]) == ("blumen", "hochzeit")
    token = data["token"]
    assert f'data-partnerkreis="{token}"' in data["html"]
    assert '<script async src="https://partner.example.org/embed.js"></script>' in data["html"]
    assert f"/w/{token}.html" in data["iframe"]

    placement_id = stored_signer(ready).read_embed_token(token)
    rows = ready.query(
        "SELECT m.slug, t.slug FROM placements p JOIN members m ON m.id = p.member_id"
        " JOIN themes t ON t.id = p.theme_id WHERE p.id = ?",
        (placement_id,),
    )
    assert rows == [("blumen", "hochzeit")]


def test_snippet_uses_the_base_url(ready: CLI) -> None:
    data = ready.ok(
        "snippet", "blumen", "hochzeit", "--base-url", "https://x.example/", "--json"
    ).json()
    assert '<script async src="https://x.example/embed.js"></script>' in data["html"]
    assert 'href="https://x.example/t/hochzeit"' in data["html"]
    assert f'src="https://x.example/w/{data["token"]}.html"' in data["iframe"]
    assert "127.0.0.1" not in data["html"] + data["iframe"]


def test_snippet_without_a_public_url_refuses_and_names_both_ways_to_give_one(
    ready: CLI,
) -> None:
    # Code naming 127.0.0.1 would work here and break on the member's real website.
    before = ready.dump()
    result = ready("snippet", "blumen", "hochzeit")
    assert result.code == 2
    assert result.out == ""
    assert "WIDGET_PUBLIC_URL" in result.err
    assert "--base-url" in result.err
    assert ready.dump() == before


@pytest.mark.parametrize("value", ["partner.example.org", "ftp://p.example", "https://"])
def test_snippet_with_a_base_url_that_is_not_absolute_exits_2(ready: CLI, value: str) -> None:
    result = ready("snippet", "blumen", "hochzeit", "--base-url", value)
    assert result.code == 2
    assert "absolute URL" in result.err
    assert repr(value) in result.err


def test_snippet_in_english_has_every_text_in_english(ready: CLI) -> None:
    data = ready.ok(
        "snippet", "blumen", "hochzeit", "--lang", "en", "--base-url", "https://p.example", "--json"
    ).json()
    assert "Our partners for Wedding" in data["html"]
    assert 'href="https://p.example/t/hochzeit?lang=en"' in data["html"]
    assert "Unsere" not in data["html"]
    assert 'title="Wedding"' in data["iframe"]


def test_snippet_iframe_has_no_border_a_layout_height_and_a_listener_for_our_origin(
    ready: CLI,
) -> None:
    base = ["--base-url", "https://p.example:8443/pk", "--json"]
    cards = ready.ok("snippet", "blumen", "hochzeit", *base).json()["iframe"]
    compact = ready.ok("snippet", "blumen", "hochzeit", "--layout", "compact", *base).json()
    assert 'frameborder="0"' in cards
    assert 'height="580"' in cards
    assert 'height="300"' in compact["iframe"]
    assert "e.origin!=='https://p.example:8443'" in cards
    assert "partnerkreisHeight" in cards


def test_snippet_is_stable_and_other_options_make_another_placement(ready: CLI) -> None:
    ready.environ["WIDGET_PUBLIC_URL"] = "https://partner.example.org"
    first = ready.ok("snippet", "blumen", "hochzeit", "--json").json()["token"]
    assert ready.ok("snippet", "blumen", "hochzeit", "--json").json()["token"] == first
    other = ready.ok(
        "snippet", "blumen", "hochzeit", "--layout", "list", "--max-partners", "5", "--json"
    ).json()["token"]
    assert other != first
    signer = stored_signer(ready)
    rows = ready.query(
        "SELECT layout, max_partners FROM placements WHERE id = ?",
        (signer.read_embed_token(other),),
    )
    assert rows == [("list", 5)]


def test_snippet_text_mode_prints_html_or_iframe(ready: CLI) -> None:
    ready.environ["WIDGET_PUBLIC_URL"] = "https://partner.example.org"
    assert ready.ok("snippet", "blumen", "hochzeit").out.startswith("<script async src=")
    assert ready.ok("snippet", "blumen", "hochzeit", "--iframe").out.startswith("<iframe src=")


def test_snippet_for_a_member_not_in_the_theme_exits_2(ready: CLI) -> None:
    ready.ok("theme", "add", "heide", "--name-de", "Heide")
    ready.environ["WIDGET_PUBLIC_URL"] = "https://partner.example.org"
    before = ready.dump()
    result = ready("snippet", "blumen", "heide")
    assert result.code == 2
    assert "'blumen'" in result.err
    assert "'heide'" in result.err
    assert ready.dump() == before


@pytest.mark.parametrize("value", ["0", "13", "-1"])
def test_snippet_with_max_partners_out_of_bounds_exits_2(ready: CLI, value: str) -> None:
    before = ready.dump()
    result = ready("snippet", "blumen", "hochzeit", "--max-partners", value)
    assert result.code == 2
    assert "max_partners" in result.err
    assert value in result.err
    assert ready.dump() == before


@pytest.mark.parametrize("base_url", ["ftp://x", "x.example", "javascript:alert(1)"])
def test_snippet_with_a_base_url_that_is_not_http_exits_2(ready: CLI, base_url: str) -> None:
    result = ready("snippet", "blumen", "hochzeit", "--base-url", base_url)
    assert result.code == 2
    assert repr(base_url) in result.err
    assert "<script" not in result.out


def test_snippet_with_a_bad_base_url_writes_nothing(ready: CLI) -> None:
    # widget_server/cli: "nothing is written before all input has been checked".
    placements = ready.query("SELECT id, layout FROM placements")
    before = ready.dump()
    result = ready("snippet", "blumen", "hochzeit", "--layout", "compact", "--base-url", "ftp://x")
    assert result.code == 2
    assert ready.query("SELECT id, layout FROM placements") == placements
    assert ready.dump() == before


# -- a database that is not ready ------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ("member", "list"),
        ("theme", "list", "--json"),
        ("theme", "add", "hochzeit", "--name-de", "Hochzeit"),
        ("member", "add", "blumen", "--name", "B", "--website", "https://b.example"),
        ("snippet", "blumen", "hochzeit"),
    ],
)
def test_commands_on_an_uninitialised_database_ask_to_run_init(
    cli: CLI, argv: tuple[str, ...]
) -> None:
    result = cli(*argv)
    assert result.code != 0
    assert "init" in result.err
    assert result.out == ""


def test_unsupported_database_url_exits_2(cli: CLI) -> None:
    cli.environ["WIDGET_DATABASE_URL"] = "mysql://db/partnerkreis"
    result = cli("theme", "list")
    assert result.code == 2
    assert "mysql://db/partnerkreis" in result.err


def test_unreachable_postgres_is_named_without_its_password(cli: CLI) -> None:
    cli.environ["WIDGET_DATABASE_URL"] = "postgresql://pk:hunter2@db.invalid:5432/partnerkreis"
    result = cli("theme", "list")
    assert result.code == 1
    assert "cannot open PostgreSQL database partnerkreis on db.invalid:5432" in result.err
    assert "hunter2" not in result.err


def test_bad_setting_exits_2_naming_the_variable(cli: CLI) -> None:
    cli.environ["WIDGET_LEDGER_INTERVAL"] = "0"
    result = cli("init")
    assert result.code == 2
    assert "WIDGET_LEDGER_INTERVAL" in result.err


# -- demo -----------------------------------------------------------------------------------


def test_demo_refuses_to_overwrite_a_database_that_is_not_a_demo(ready: CLI) -> None:
    before = ready.dump()
    result = ready("demo", "--port", "8")
    assert result.code == 2
    assert "not a demo" in result.err
    assert str(ready.path) in result.err
    assert ready.path.exists()
    assert ready.dump() == before


def test_demo_refuses_a_database_url_that_is_not_sqlite(cli: CLI) -> None:
    cli.environ["WIDGET_DATABASE_URL"] = "postgres://db/partnerkreis"
    result = cli("demo", "--port", "8")
    assert result.code == 2
    assert "sqlite" in result.err


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"WIDGET_LANGUAGE": "de"}, "Koordinationskonto: anna"),
        ({"LANG": "de_AT.UTF-8"}, "Koordinationskonto: anna"),
        ({"LANG": "C.UTF-8"}, "Coordinator account: anna"),
        ({}, "Coordinator account: anna"),
        ({"LANG": "de_DE.UTF-8", "WIDGET_LANGUAGE": "en"}, "Coordinator account: anna"),
    ],
)
def test_the_cli_speaks_the_operators_language(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], environ: dict[str, str], expected: str
) -> None:
    env = {"WIDGET_DATABASE_URL": f"sqlite:///{tmp_path / 'net.db'}", **environ}
    assert main(["init", "--admin", "anna"], environ=env) == 0
    assert expected in capsys.readouterr().out


def test_an_unknown_cli_language_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env = {"WIDGET_DATABASE_URL": f"sqlite:///{tmp_path / 'net.db'}", "WIDGET_LANGUAGE": "fr"}
    assert main(["init"], environ=env) == 2
    assert "WIDGET_LANGUAGE" in capsys.readouterr().err
