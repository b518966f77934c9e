"""Members in the admin without a shell: adding one with every field, its code per theme,
what removing does, and many from a CSV file with a preview (issue 11, point 1)."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio

from tests.admin_helpers import assert_invalid, make_account, post, signed_in, token
from tests.images import png
from widget_server.core.errors import NotFoundError
from widget_server.storage import SQLiteStorage

pytestmark = pytest.mark.asyncio

HOSTILE = '<img src=x onerror=alert(1)> & "Söhne"'


@pytest_asyncio.fixture
async def admin(
    network: dict[str, int], storage: SQLiteStorage, client: httpx.AsyncClient
) -> AsyncIterator[httpx.AsyncClient]:
    await make_account(storage)
    await signed_in(client)
    yield client


async def add(client: httpx.AsyncClient, data: dict[str, str], **files: object) -> httpx.Response:
    csrf = await token(client, "/admin/members/new")
    form = {"csrf": csrf, "status": "active", **data}
    if files:
        return await client.post("/admin/members/new", data=form, files=files)  # type: ignore[arg-type]
    return await client.post("/admin/members/new", data=form)


async def test_a_member_is_added_with_every_field_and_its_code_serves_its_block(
    admin: httpx.AsyncClient, storage: SQLiteStorage
) -> None:
    response = await add(
        admin,
        {
            "name": "Bäckerei Möller",
            "website": "https://baeckerei-moeller.example/",
            "category": "bakery",
            "town": "Heide",
            "postal_code": "25746",
            "description": "Torten für jede Hochzeit",
            "domains": "shop.baeckerei-moeller.example",
            "themes": "hochzeit",
        },
        logo=("logo.png", png(64, 32), "image/png"),
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/admin/members/baeckerei-moeller?done=member_added"
    member = await storage.get_member("baeckerei-moeller")
    assert (member.name, member.category, member.town, member.status) == (
        "Bäckerei Möller", "bakery", "Heide", "active",
    )  # fmt: skip
    assert "shop.baeckerei-moeller.example" in member.domains
    assert member.logo is not None and member.logo.width == 64
    entries = await storage.list_audit_entries(subject="member:baeckerei-moeller")
    assert {(e.actor, e.action) for e in entries} >= {
        ("admin:koordination", "member.add"),
        ("admin:koordination", "member.logo"),
    }
    page = await admin.get(response.headers["location"])
    code = re.search(r'<textarea id="code-hochzeit"[^>]*>(.*?)</textarea>', page.text, re.S)
    assert code, "no embed code on the member page"
    snippet = html.unescape(code.group(1))
    embed = re.search(r'data-partnerkreis="([^"]+)"', snippet)
    assert embed and "/embed.js" in snippet
    block = await admin.get(f"/w/{embed.group(1)}")
    assert block.status_code == 200
    assert len(block.json()["partners"]) >= 1
    assert 'data-copy="code-hochzeit"' in page.text and "hidden" in page.text
    # The same code with the block's joint slot (a joint offer or event as one more card).
    joint = re.search(r'<textarea id="joint-hochzeit"[^>]*>(.*?)</textarea>', page.text, re.S)
    assert joint and html.unescape(joint.group(1)) == snippet.replace(
        f'data-partnerkreis="{embed.group(1)}">',
        f'data-partnerkreis="{embed.group(1)}" data-show="partners,offer,event">',
    )


async def test_a_bad_field_is_named_and_nothing_is_added(
    admin: httpx.AsyncClient, storage: SQLiteStorage
) -> None:
    response = await add(
        admin, {"name": "Blumen Jansen", "website": "ftp://x", "themes": "hochzeit"}
    )
    assert response.status_code == 422
    assert_invalid(response.text, "f-website")
    assert 'value="Blumen Jansen"' in response.text  # kept as typed
    with pytest.raises(NotFoundError):
        await storage.get_member("blumen-jansen")
    taken = await add(admin, {"name": "x", "slug": "blumen", "website": "https://x.example/"})
    assert taken.status_code == 409
    assert_invalid(taken.text, "f-slug")


async def test_hostile_text_in_a_new_member_is_inert_everywhere(
    admin: httpx.AsyncClient, storage: SQLiteStorage
) -> None:
    response = await add(
        admin,
        {
            "slug": "boese",
            "name": HOSTILE,
            "website": "https://boese.example/",
            "town": HOSTILE,
            "description": HOSTILE,
            "themes": "hochzeit",
        },
    )
    assert response.status_code == 303, response.text
    for path in ("/admin/members/boese", "/admin/members", "/admin/audit", "/admin/"):
        page = await admin.get(path)
        assert page.status_code == 200
        assert "<img src=x" not in page.text, path
    refused = await add(admin, {"name": HOSTILE, "slug": HOSTILE, "website": HOSTILE})
    assert refused.status_code == 422
    assert "<img src=x" not in refused.text


async def test_the_remove_form_says_what_removing_does(
    admin: httpx.AsyncClient, storage: SQLiteStorage
) -> None:
    page = await admin.get("/admin/members/blumen")
    text = html.unescape(page.text)
    assert "Was das Entfernen bewirkt" in text
    assert "stehen weiter in der Statistik" in text
    assert "API-Schlüssel" in text


async def test_members_are_listed_in_german_order(
    admin: httpx.AsyncClient, storage: SQLiteStorage
) -> None:
    for slug, name in (("buch", "Buchhandlung Lüth"), ("baeck", "Bäckerei Thode")):
        await add(admin, {"slug": slug, "name": name, "website": f"https://{slug}.example/"})
    page = (await admin.get("/admin/members")).text
    assert (
        page.index("Bäckerei Thode")
        < page.index("Blumenhaus am Markt")
        < page.index("Buchhandlung Lüth")
    )


CSV = (
    "slug,name,website,category,town,themes\n"
    "konditorei,Konditorei Möller,https://konditorei.example/,confectioner,Heide,hochzeit\n"
    "kapelle,Kapelle Süderholm,not-a-url,music,Heide,hochzeit\n"
    f'boese,"{HOSTILE.replace(chr(34), chr(34) * 2)}",https://boese.example/,,Heide,hochzeit\n'
)


async def test_a_csv_import_is_previewed_with_row_errors_then_imported(
    admin: httpx.AsyncClient, storage: SQLiteStorage
) -> None:
    csrf = await token(admin, "/admin/members/import")
    preview = await admin.post(
        "/admin/members/import",
        data={"csrf": csrf, "action": "preview"},
        files={"file": ("mitglieder.csv", CSV.encode(), "text/csv")},
    )
    assert preview.status_code == 200
    text = preview.text
    assert "2 Mitglieder würden angelegt." in html.unescape(text)
    errors = re.search(r'<table class="data import-errors">(.*?)</table>', text, re.S)
    assert errors and "kapelle" in errors.group(1) and "website" in errors.group(1)
    assert "<img src=x" not in text
    with pytest.raises(NotFoundError):
        await storage.get_member("konditorei")  # the preview writes nothing
    hidden = re.search(r'<textarea name="csv" hidden>(.*?)</textarea>', text, re.S)
    assert hidden
    done = await admin.post(
        "/admin/members/import",
        data={"csrf": csrf, "action": "import", "csv": html.unescape(hidden.group(1))},
    )
    assert done.status_code == 303
    assert (await storage.get_member("konditorei")).name == "Konditorei Möller"
    assert (await storage.get_member("boese")).name == HOSTILE
    with pytest.raises(NotFoundError):
        await storage.get_member("kapelle")
    entries = await storage.list_audit_entries(subject="members")
    assert [(e.actor, e.action) for e in entries] == [("admin:koordination", "member.import")]


async def test_a_malformed_csv_is_named_and_nothing_written(
    admin: httpx.AsyncClient, storage: SQLiteStorage
) -> None:
    response = await post(
        admin, "/admin/members/import", {"csv": "name,colour\nx,red\n", "action": "preview"}
    )
    assert response.status_code == 422
    assert "colour" in response.text
    empty = await post(admin, "/admin/members/import", {"csv": "", "action": "preview"})
    assert empty.status_code == 422
