"""German collation of every list people read, and slugs made from names (issue 11, point 6)."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette

from tests.admin_helpers import make_account, signed_in
from widget_server.cli import main
from widget_server.core import collation
from widget_server.core.collation import slugify, sort_key, sorted_german
from widget_server.network.services import MemberInput, add_member
from widget_server.storage import SQLiteStorage


@pytest.mark.parametrize(
    ("unordered", "ordered"),
    [
        (["Buchhandlung", "Bäckerei"], ["Bäckerei", "Buchhandlung"]),
        (["Zoo", "Ährenhof", "Apotheke"], ["Ährenhof", "Apotheke", "Zoo"]),
        (["Strauß", "Strasser", "Straße"], ["Straße", "Strasser", "Strauß"]),
        (["ofen", "Öl", "Otto"], ["ofen", "Öl", "Otto"]),
        (["éclair", "Eis", "Ecke"], ["Ecke", "éclair", "Eis"]),
        (["b", "B", "a"], ["a", "B", "b"]),
    ],
)
def test_german_order_puts_umlauts_with_their_letter_and_ss_for_sharp_s(
    unordered: list[str], ordered: list[str]
) -> None:
    assert sorted_german(unordered) == ordered
    assert sorted(reversed(ordered), key=sort_key) == ordered  # total and stable


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Bäckerei Möller & Söhne", "baeckerei-moeller-soehne"),
        ("Straßencafé Élan", "strassencafe-elan"),
        ("  Fahrradwerkstatt  ", "fahrradwerkstatt"),
        ('<script>alert("x")</script>', "script-alert-x-script"),
        ("Живопись", ""),
    ],
)
def test_slugs_are_made_the_german_way(name: str, slug: str) -> None:
    assert slugify(name) == slug


NAMES = ("Buchhandlung Lüth", "Bäckerei Thode", "Ährenhof Jessen", "Zweirad Sievers")


async def _members(storage: SQLiteStorage) -> None:
    for n, name in enumerate(NAMES):
        await add_member(
            storage,
            MemberInput(
                slug=f"m{n}", name=name, website=f"https://m{n}.example/", themes=("hochzeit",)
            ),
        )


@pytest.mark.asyncio
async def test_the_directory_and_the_admin_list_in_german_order(
    network: dict[str, int], storage: SQLiteStorage, app: Starlette, client: httpx.AsyncClient
) -> None:
    await _members(storage)
    await make_account(storage)
    await signed_in(client)
    # Written around the app: bring its snapshot up to date, as its next poll would.
    await app.state.runtime.snapshots.refresh()
    await app.state.runtime.snapshots.reloaded()
    # The theme page groups by category: the four without one form the last group.
    directory = (await client.get("/t/hochzeit")).text.split("<main", 1)[1]
    admin = (await client.get("/admin/members")).text
    for page, names in (
        (directory, ("Ährenhof", "Bäckerei", "Buchhandlung", "Zweirad")),
        (admin, ("Ährenhof", "Bäckerei", "Blumenhaus", "Buchhandlung", "Zweirad")),
    ):
        found = [page.index(n) for n in names]
        assert found == sorted(found)


def test_the_cli_lists_in_german_order(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    env = {"WIDGET_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}
    assert main(["init"], environ=env) == 0
    for n, name in enumerate(NAMES):
        assert (
            main(
                ["member", "add", f"m{n}", "--name", name, "--website", f"https://m{n}.example/"],
                environ=env,
            )
            == 0
        )
    capsys.readouterr()
    assert main(["member", "list", "--json"], environ=env) == 0
    names = [row["name"] for row in json.loads(capsys.readouterr().out)]
    assert names == ["Ährenhof Jessen", "Bäckerei Thode", "Buchhandlung Lüth", "Zweirad Sievers"]


def _letters_one_at_a_time(text: str) -> str:
    """What the key's base letters are: the text decomposed, its combining marks dropped."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@settings(max_examples=500)
@given(st.text(st.characters(exclude_categories=()), max_size=30))
def test_the_keys_base_letters_are_those_of_the_definition(text: str) -> None:
    assert collation._base_letters(text) == _letters_one_at_a_time(text)
    folded = text.casefold().translate(collation._SORT_SPECIAL)
    assert sort_key(text) == (_letters_one_at_a_time(folded), text)


def test_every_code_point_loses_exactly_its_combining_marks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Every code point outside the surrogates, in a table that keeps only the first ones
    # it decides (a name of every script does not grow it without bound).
    monkeypatch.setattr(collation, "_MARKS", collation._Marks())
    monkeypatch.setattr(collation._Marks, "KEPT", 300)
    points = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c < 0xE000)
    for at in range(0, len(points), 4096):
        part = points[at : at + 4096]
        assert collation._base_letters(part) == _letters_one_at_a_time(part), hex(at)
    assert len(collation._MARKS) == 300
