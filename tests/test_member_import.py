"""``member import``: CSV and JSON files, every row checked, one transaction, on both databases."""

from __future__ import annotations

import dataclasses
import json
import threading
from pathlib import Path
from typing import Any

import pytest

from widget_server.cli import main
from widget_server.core.errors import ValidationError
from widget_server.network.member_import import import_members, read_records
from widget_server.network.services import MemberInput, add_member, add_theme
from widget_server.storage import Storage

CSV = (
    "slug,name,website,description,category,town,postal_code,domains,themes,status\n"
    "blumen,Blumenhaus am Markt,https://blumen.example/,Blumen,flowers,Heide,25746,"
    "shop.blumen.example,hochzeit;stadt,\n"
    'fotos,"Fotografie Brandt, Heide",https://www.fotos.example,,,,,,hochzeit,paused\n'
)


async def themes(storage: Storage) -> None:
    await add_theme(storage, slug="hochzeit", name_de="Hochzeit")
    await add_theme(storage, slug="stadt", name_de="Stadt")


@pytest.mark.asyncio
async def test_no_row_is_read_on_the_event_loops_thread(storage: Storage) -> None:
    """A bulk request's 50,000 rows, each looked at on the loop, held it for ~50 ms."""
    await themes(storage)
    loop_thread = threading.get_ident()
    on_loop: list[str] = []

    class Row(dict[str, Any]):
        def get(self, key: str, default: Any = None) -> Any:
            if threading.get_ident() == loop_thread:
                on_loop.append(key)
            return super().get(key, default)

        def __getitem__(self, key: str) -> Any:
            if threading.get_ident() == loop_thread:
                on_loop.append(key)
            return super().__getitem__(key)

    rows = [Row(r) for r in read_records(CSV, "csv")]
    report = await import_members(storage, rows)
    assert (report.imported, report.errors, on_loop) == (2, [], [])
    assert (await storage.get_member("fotos")).status == "paused"


@pytest.mark.asyncio
async def test_a_good_csv_file_imports_members_with_domains_memberships_and_placements(
    storage: Storage,
) -> None:
    await themes(storage)
    version = await storage.data_version()
    report = await import_members(storage, read_records(CSV, "csv"))
    assert (report.rows, report.imported, report.errors) == (2, 2, [])
    assert await storage.data_version() == version + 1  # one bump: one snapshot update
    blumen = await storage.get_member("blumen")
    assert blumen.domains == ("blumen.example", "shop.blumen.example", "www.blumen.example")
    assert (blumen.category, blumen.town, blumen.postal_code) == ("flowers", "Heide", "25746")
    assert blumen.status == "active"
    fotos = await storage.get_member("fotos")
    assert (fotos.name, fotos.status) == ("Fotografie Brandt, Heide", "paused")
    hochzeit = await storage.get_theme("hochzeit")
    assert [m.slug for m in await storage.list_members(theme_id=hochzeit.id)] == [
        "blumen",
        "fotos",
    ]
    placements = await storage.list_placements(member_id=blumen.id)
    assert len(placements) == 2 and all(p.options.max_partners == 3 for p in placements)


@pytest.mark.asyncio
async def test_the_import_stores_what_member_add_stores(storage: Storage) -> None:
    await themes(storage)
    record: dict[str, Any] = {
        "slug": "x",
        "name": "  Küstenküche  Boie ",
        "website": " https://WWW.kueche.example/menu ",
        "domains": ["https://Other.example/x"],
        "themes": ["stadt", "stadt"],
    }
    await import_members(storage, [record])
    imported = await storage.get_member("x")
    added = await add_member(storage, MemberInput(**{**record, "slug": "y"}))  # type: ignore[arg-type]
    assert imported == dataclasses.replace(added, id=imported.id, slug="x")


@pytest.mark.asyncio
async def test_an_import_sent_as_arrays_goes_in_statements_of_a_bounded_size(
    storage: Storage, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where a bulk insert passes one array per column (PostgreSQL), the driver encodes
    the arrays on the event loop: each statement carries at most ``ARRAY_VALUES`` values,
    and every row lands all the same, in one transaction."""
    from widget_server.storage import dialect as dialect_module

    monkeypatch.setattr(dialect_module, "ARRAY_VALUES", 40)
    await themes(storage)
    sent: list[int] = []  # values per array statement
    dialect = storage._dialect  # type: ignore[attr-defined]
    real_insert = dialect.insert_rows

    async def insert_rows(conn: Any, *args: Any, **kwargs: Any) -> None:
        class Counting:
            def __getattr__(self, name: str) -> Any:
                return getattr(conn, name)

            async def execute(self, sql: str, *params: Any) -> int:
                if dialect.bulk_arrays:
                    sent.append(sum(len(p) for p in params))
                return int(await conn.execute(sql, *params))

        await real_insert(Counting(), *args, **kwargs)

    monkeypatch.setattr(dialect, "insert_rows", insert_rows)
    records = [
        {
            "slug": f"m{i}",
            "name": f"Betrieb {i}",
            "website": f"https://m{i}.example/",
            "domains": [f"shop.m{i}.example"],
            "themes": ["hochzeit", "stadt"],
        }
        for i in range(60)
    ]
    report = await import_members(storage, records)
    assert (report.imported, report.errors) == (60, [])
    assert len(await storage.list_members()) == 60
    hochzeit = await storage.get_theme("hochzeit")
    assert len(await storage.list_members(theme_id=hochzeit.id)) == 60
    assert len(await storage.list_placements()) == 120
    assert (await storage.get_member("m59")).domains == (
        "m59.example",
        "shop.m59.example",
        "www.m59.example",
    )
    if dialect.name == "postgres":
        assert len(sent) > 10 and max(sent) <= 40  # 60 members' rows in many statements
    else:
        assert sent == []  # SQLite: a prepared statement per row


@pytest.mark.asyncio
async def test_a_bad_row_names_row_and_field_and_nothing_is_written(storage: Storage) -> None:
    await themes(storage)
    records = [
        {"slug": "gut", "name": "Gut", "website": "https://gut.example/"},
        {"slug": "Böse", "name": "B", "website": "https://b.example/"},
        {"slug": "ftp", "name": "F", "website": "ftp://f.example/"},
        {"slug": "leer", "name": " ", "website": "https://l.example/"},
        {"slug": "thema", "name": "T", "website": "https://t.example/", "themes": ["nope"]},
        {"slug": "typ", "name": 7, "website": "https://t.example/"},
        {"slug": "feld", "name": "F", "website": "https://f.example/", "colour": "red"},
        ["not", "an", "object"],
        {"slug": "stat", "name": "S", "website": "https://s.example/", "status": "removed"},
    ]
    version = await storage.data_version()
    report = await import_members(storage, records)
    assert report.imported == 0
    assert [(e.row, e.field) for e in report.errors] == [
        (2, "slug"),
        (3, "website"),
        (4, "name"),
        (5, "themes"),
        (6, "name"),
        (7, "colour"),
        (8, "row"),
        (9, "status"),
    ]
    assert "'nope'" in report.errors[3].message and "'ftp://f.example/'" in report.errors[1].message
    assert await storage.list_members() == []
    assert await storage.data_version() == version


@pytest.mark.asyncio
async def test_skip_invalid_imports_the_good_rows(storage: Storage) -> None:
    records = [
        {"slug": "gut", "name": "Gut", "website": "https://gut.example/"},
        {"slug": "schlecht", "name": "S", "website": "nowhere"},
    ]
    report = await import_members(storage, records, skip_invalid=True)
    assert (report.imported, report.skipped, report.errors[0].row) == (1, 1, 2)
    assert [m.slug for m in await storage.list_members()] == ["gut"]


@pytest.mark.asyncio
async def test_duplicates_in_the_file_and_in_the_database_are_row_errors(storage: Storage) -> None:
    await add_member(storage, MemberInput(slug="alt", name="Alt", website="https://alt.example/"))
    records = [
        {"slug": "neu", "name": "Neu", "website": "https://neu.example/"},
        {"slug": "alt", "name": "Alt", "website": "https://alt.example/"},
        {"slug": "neu", "name": "Neu 2", "website": "https://neu2.example/"},
    ]
    report = await import_members(storage, records)
    assert [(e.row, e.field, e.slug) for e in report.errors] == [
        (2, "slug", "alt"),
        (3, "slug", "neu"),
    ]
    assert "exists already" in report.errors[0].message
    assert "first in row 1" in report.errors[1].message
    assert [m.slug for m in await storage.list_members()] == ["alt"]


@pytest.mark.asyncio
async def test_hostile_text_is_refused_or_stored_as_plain_text(storage: Storage) -> None:
    records = [
        {"slug": "html", "name": "<script>alert(1)</script>", "website": "https://h.example/"},
        {"slug": "formel", "name": '=HYPERLINK("x")', "website": "https://f.example/"},
        {"slug": "steuer", "name": "Null\x00Byte", "website": "https://s.example/"},
        {"slug": "rtl", "name": "A\u202eB", "website": "https://r.example/"},
        {"slug": "lang", "name": "x" * 10_000, "website": "https://l.example/"},
        {"slug": "js", "name": "J", "website": "javascript:alert(1)"},
        {"slug": "x" * 61, "name": "X", "website": "https://x.example/"},
        {"slug": "hack", "name": "H", "website": "https://user:pw@h.example/"},
    ]
    report = await import_members(storage, records, skip_invalid=True)
    assert [(e.row, e.field) for e in report.errors] == [
        (3, "name"),
        (5, "name"),
        (6, "website"),
        (7, "slug"),
        (8, "website"),
    ]
    assert (await storage.get_member("html")).name == "<script>alert(1)</script>"
    # Bidi controls are stripped from member text, on import as everywhere else.
    assert (await storage.get_member("rtl")).name == "AB"


@pytest.mark.parametrize(
    ("text", "fmt", "field"),
    [
        ("slug,name,website,colour\n", "csv", "columns"),
        ("slug,name\n", "csv", "columns"),
        ("slug,name,website\na,b," + "c" * 200_000 + "\n", "csv", "file"),  # csv's field limit
        ("{not json", "json", "file"),
        ('{"slug": "a"}', "json", "file"),
        ("a", "xml", "format"),
    ],
)
def test_a_malformed_file_is_refused_as_a_whole(text: str, fmt: str, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        read_records(text, fmt)
    assert caught.value.field == field


def test_json_takes_an_array_or_a_members_object_and_lists_or_strings() -> None:
    member = {"slug": "a", "name": "A", "website": "https://a.example/", "themes": "x y"}
    assert read_records(json.dumps([member]), "json") == [member]
    assert read_records(json.dumps({"members": [member]}), "json") == [member]


@pytest.mark.parametrize(
    "text",
    [
        # Excel in German ("CSV (Trennzeichen-getrennt)"): semicolons, CRLF, quoted cells.
        '"slug";"name";"website";"themes"\r\n'
        'fotos;"Fotografie Brandt, Heide";https://fotos.example/;"hochzeit;stadt"\r\n',
        "slug\tname\twebsite\tthemes\nfotos\tFotografie Brandt, Heide\t"
        "https://fotos.example/\thochzeit;stadt\n",
        "slug,name,website,themes\n"
        'fotos,"Fotografie Brandt, Heide",https://fotos.example/,hochzeit;stadt\n',
    ],
    ids=["semicolons", "tabs", "commas"],
)
def test_a_csv_file_may_separate_its_cells_by_semicolons_or_tabs(text: str) -> None:
    assert read_records(text, "csv") == [
        {
            "slug": "fotos",
            "name": "Fotografie Brandt, Heide",
            "website": "https://fotos.example/",
            "themes": "hochzeit;stadt",
        }
    ]


def test_an_unknown_column_is_named_whatever_the_separator() -> None:
    with pytest.raises(ValidationError) as caught:
        read_records("slug;name;website;notiz\n", "csv")
    assert caught.value.field == "columns"
    assert caught.value.reason.startswith("'notiz' is not one of")


def test_a_csv_row_with_extra_cells_is_a_row_error() -> None:
    records = read_records("slug,name,website\na,A,https://a.example/,extra\n", "csv")
    from widget_server.network.member_import import member_input

    with pytest.raises(ValidationError) as caught:
        member_input(records[0])
    assert caught.value.field == "row"


def run(db: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(args), environ={"WIDGET_DATABASE_URL": f"sqlite:///{db}"})
    out, err = capsys.readouterr()
    return code, out, err


def test_the_command_imports_json_and_reports_bad_csv_rows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "n.db"
    assert run(db, capsys, "init")[0] == 0
    assert run(db, capsys, "theme", "add", "hochzeit", "--name-de", "Hochzeit")[0] == 0
    good = tmp_path / "members.json"
    good.write_text(
        json.dumps(
            [
                {"slug": f"m{i}", "name": f"M {i}", "website": f"https://m{i}.example/"}
                | {"themes": ["hochzeit"]}
                for i in range(1200)
            ]
        )
    )
    code, out, err = run(db, capsys, "member", "import", str(good), "--json")
    assert code == 0, err
    assert json.loads(out) == {"rows": 1200, "imported": 1200, "skipped": 0, "errors": []}
    assert "checked 1200/1200 rows" in err and "written 1200/1200 rows" in err  # progress
    rows = json.loads(run(db, capsys, "theme", "list", "--json")[1])
    assert rows[0]["members"] == 1200

    bad = tmp_path / "bad.csv"
    bad.write_text("slug,name,website,themes\nneu,Neu,https://neu.example/,urlaub\n")
    code, out, err = run(db, capsys, "member", "import", str(bad))
    assert code == 2
    assert "row 1 (neu): themes: there is no theme 'urlaub'" in err
    assert "nothing imported" in err
    code, _, err = run(db, capsys, "member", "import", str(tmp_path / "members.txt"))
    assert code == 2 and "'" + str(tmp_path / "members.txt") + "'" in err
    excel = tmp_path / "excel.csv"  # "CSV UTF-8" from Excel in German: a BOM, semicolons
    excel.write_bytes(
        "\ufeffslug;name;website;themes\r\nmueller;Blumen Müller;https://mueller.example/;"
        "hochzeit\r\n".encode()
    )
    code, out, err = run(db, capsys, "member", "import", str(excel))
    assert (code, out) == (0, "1 member imported.\n"), err
    rows = json.loads(run(db, capsys, "theme", "list", "--json")[1])
    assert rows[0]["members"] == 1201
    latin = tmp_path / "latin.csv"
    latin.write_bytes("slug,name,website\nä,Ä,https://a.example/\n".encode("latin-1"))
    code, _, err = run(db, capsys, "member", "import", str(latin))
    assert code == 2 and "not UTF-8" in err
