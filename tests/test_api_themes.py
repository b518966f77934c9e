"""Themes over the REST API: list, create, read, change."""

from __future__ import annotations

import httpx
import pytest

from tests.api_auth import make_keys
from widget_server.storage import SQLiteStorage

pytestmark = pytest.mark.asyncio


async def test_any_key_lists_themes_with_their_member_counts(
    network: dict[str, int], storage: SQLiteStorage, client: httpx.AsyncClient
) -> None:
    keys = await make_keys(storage)
    for auth in (keys.coordinator, keys.blumen):
        response = await client.get("/api/v1/themes", headers=auth)
        assert response.status_code == 200
        assert response.json() == {
            "data": [
                {
                    "slug": "hochzeit",
                    "name_de": "Hochzeit",
                    "name_en": "Wedding",
                    "description_de": "",
                    "description_en": "",
                    "kind": "topic",
                    "intro_de": "",
                    "intro_en": "",
                    "members": 5,
                }
            ],
            "next_cursor": None,
        }
        assert response.headers["cache-control"] == "no-store"


async def test_coordinator_creates_a_theme_and_reads_it_back(
    network: dict[str, int], storage: SQLiteStorage, client: httpx.AsyncClient
) -> None:
    keys = await make_keys(storage)
    body = {"slug": "heide-city", "name_de": "Heider  Innenstadt", "kind": "local"}
    created = await client.post("/api/v1/themes", headers=keys.coordinator, json=body)
    assert created.status_code == 201
    assert created.headers["location"] == "/api/v1/themes/heide-city"
    theme = created.json()
    assert theme["name_de"] == "Heider Innenstadt"  # whitespace normalised
    assert (theme["kind"], theme["members"], theme["name_en"]) == ("local", 0, "")
    read = await client.get("/api/v1/themes/heide-city", headers=keys.blumen)
    assert read.json() == theme
    # The directory page reads the snapshot: the new theme is there at once.
    assert (await client.get("/t/heide-city")).status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name_de": "Ohne Slug"}, "slug"),
        ({"slug": "Gross", "name_de": "x"}, "slug"),
        ({"slug": "ok", "name_de": ""}, "name_de"),
        ({"slug": "ok", "name_de": "x", "kind": "galaxy"}, "kind"),
        ({"slug": "ok", "name_de": "x", "colour": "red"}, "colour"),
        ({"slug": "ok", "name_de": 7}, "name_de"),
        ({"slug": "ok", "name_de": "x" * 81}, "name_de"),
        ({"slug": "ok", "name_de": "x", "description_en": "y" * 301}, "description_en"),
    ],
)
async def test_invalid_theme_is_refused_naming_the_field(
    network: dict[str, int],
    storage: SQLiteStorage,
    client: httpx.AsyncClient,
    body: dict[str, object],
    field: str,
) -> None:
    keys = await make_keys(storage)
    response = await client.post("/api/v1/themes", headers=keys.coordinator, json=body)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert (response.json()["code"], response.json()["field"]) == ("invalid", field)
    assert [t.slug for t in await storage.list_themes()] == ["hochzeit"]


async def test_a_theme_slug_is_taken_once(
    network: dict[str, int], storage: SQLiteStorage, client: httpx.AsyncClient
) -> None:
    keys = await make_keys(storage)
    body = {"slug": "hochzeit", "name_de": "Noch einmal"}
    response = await client.post("/api/v1/themes", headers=keys.coordinator, json=body)
    assert response.status_code == 409
    assert response.json()["code"] == "conflict"


async def test_patch_changes_only_the_fields_sent(
    network: dict[str, int], storage: SQLiteStorage, client: httpx.AsyncClient
) -> None:
    keys = await make_keys(storage)
    url = "/api/v1/themes/hochzeit"
    changed = await client.patch(
        url, headers=keys.coordinator, json={"description_de": "Alles für den Tag"}
    )
    assert changed.status_code == 200
    assert changed.json()["description_de"] == "Alles für den Tag"
    assert changed.json()["name_en"] == "Wedding"
    assert (await storage.get_theme("hochzeit")).description_de == "Alles für den Tag"
    directory = await client.get("/t/hochzeit")
    assert "Alles für den Tag" in directory.text  # served from the refreshed snapshot
    refused = await client.patch(url, headers=keys.coordinator, json={"slug": "neu"})
    assert (refused.status_code, refused.json()["field"]) == (422, "slug")
    empty = await client.patch(url, headers=keys.coordinator, json={"name_de": " "})
    assert (empty.status_code, empty.json()["field"]) == (422, "name_de")


async def test_theme_writes_need_a_coordinator_and_unknown_themes_are_not_found(
    network: dict[str, int], storage: SQLiteStorage, client: httpx.AsyncClient
) -> None:
    keys = await make_keys(storage)
    create = await client.post(
        "/api/v1/themes", headers=keys.blumen, json={"slug": "x", "name_de": "X"}
    )
    assert (create.status_code, create.json()["code"]) == (403, "forbidden")
    patch = await client.patch("/api/v1/themes/hochzeit", headers=keys.blumen, json={})
    assert patch.status_code == 403
    missing = await client.get("/api/v1/themes/nope", headers=keys.coordinator)
    assert (missing.status_code, missing.json()["code"]) == (404, "not-found")
    missing_patch = await client.patch("/api/v1/themes/nope", headers=keys.coordinator, json={})
    assert missing_patch.status_code == 404


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/v1/themes/hochzeit/explain?member=blumen&at=1999-12-31", "at"),
        ("/api/v1/themes/hochzeit/explain?member=blumen&at=0001-01-01T00:00%2B05:00", "at"),
        ("/api/v1/themes/hochzeit/explain?member=blumen&at=gestern", "at"),
        ("/api/v1/stats/themes/hochzeit?format=xml", "format"),
        ("/api/v1/stats/themes/hochzeit?from=2027-02-30", "from"),
        ("/api/v1/stats/members/blumen?to=soon", "to"),
    ],
)
async def test_explain_and_stats_refuse_odd_query_values(
    network: dict[str, int],
    storage: SQLiteStorage,
    client: httpx.AsyncClient,
    url: str,
    field: str,
) -> None:
    keys = await make_keys(storage)
    response = await client.get(url, headers=keys.coordinator)
    assert (response.status_code, response.json()["field"]) == (422, field)


async def test_stats_as_json_or_csv(
    network: dict[str, int], storage: SQLiteStorage, client: httpx.AsyncClient
) -> None:
    keys = await make_keys(storage)
    as_json = await client.get("/api/v1/stats/themes/hochzeit", headers=keys.coordinator)
    assert as_json.json()["theme"] == "hochzeit"
    assert as_json.headers["cache-control"] == "private, no-store"
    as_csv = await client.get("/api/v1/stats/members/blumen?format=csv", headers=keys.blumen)
    assert as_csv.headers["content-type"] == "text/csv; charset=utf-8"
    by_accept = await client.get(
        "/api/v1/stats/members/blumen", headers={**keys.blumen, "Accept": "text/csv"}
    )
    assert by_accept.text == as_csv.text
