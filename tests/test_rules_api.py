"""Coordinators change rotation rules: REST with keys and ETags, the CLI, and the effect."""

from __future__ import annotations

import asyncio
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from starlette.applications import Starlette

from tests.conftest import reopened
from widget_server.core.signing import Signer
from widget_server.network.keys import create_key
from widget_server.storage import SQLiteStorage, Storage

pytestmark = pytest.mark.asyncio


async def keys(storage: SQLiteStorage) -> dict[str, dict[str, str]]:
    _, coordinator = await create_key(storage, "coordinator", "test")
    _, member = await create_key(storage, "member:blumen", "cms")
    return {
        "coordinator": {"Authorization": f"Bearer {coordinator}"},
        "member": {"Authorization": f"Bearer {member}"},
    }


async def block(client: httpx.AsyncClient, token: str) -> dict[str, Any]:
    response = await client.get(f"/w/{token}")
    assert response.status_code == 200
    data: dict[str, Any] = response.json()
    return data


async def test_rules_need_a_coordinator_key(
    network: dict[str, int], storage: SQLiteStorage, client: httpx.AsyncClient
) -> None:
    auth = await keys(storage)
    url = "/api/v1/themes/hochzeit/rules"
    anonymous = await client.get(url)
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"].startswith("Bearer")
    assert anonymous.headers["content-type"] == "application/problem+json"
    bogus = await client.get(url, headers={"Authorization": "Bearer pkr_00000000." + "A" * 43})
    assert bogus.status_code == 401
    for method in ("GET", "PUT"):
        denied = await client.request(method, url, headers=auth["member"], json={})
        assert denied.status_code == 403, method
    assert (await client.get(url, headers=auth["coordinator"])).status_code == 200


async def test_put_rules_with_etags_and_a_stale_write_is_refused(
    network: dict[str, int], storage: SQLiteStorage, client: httpx.AsyncClient
) -> None:
    auth = (await keys(storage))["coordinator"]
    url = "/api/v1/themes/hochzeit/rules"
    first = await client.get(url, headers=auth)
    assert first.json()["version"] == 0
    assert first.headers["etag"] == '"rules-0"'
    changed = await client.put(
        url, headers={**auth, "If-Match": first.headers["etag"]}, json={"strategy": "round-robin"}
    )
    assert changed.status_code == 200
    assert changed.headers["etag"] == '"rules-1"'
    assert changed.json()["author"].startswith("api:pkr_")
    assert '+  "strategy": "round-robin"' in changed.json()["diff"]
    stale = await client.put(
        url, headers={**auth, "If-Match": first.headers["etag"]}, json={"strategy": "fixed"}
    )
    assert stale.status_code == 412
    assert stale.json()["code"] == "precondition-failed"
    now = await client.get(url, headers=auth)
    assert now.json()["rules"] == {"strategy": "round-robin"}
    assert now.json()["version"] == 1


@pytest.mark.parametrize(
    ("document", "field"),
    [
        ({"strategy": "random"}, "strategy"),
        ({"partners": {"max": 0}}, "partners.max"),
        ({"pins": [{"member": "fotos", "position": 9}]}, "pins[0].position"),
        ({"pins": [{"member": "unknown-member", "position": 1}]}, "pins[0].member"),
        ({"exclusions": {"pairs": [["blumen", "blumen"]]}}, "exclusions.pairs[0]"),
        ({"fairness": {"alpha": 2}}, "fairness.alpha"),
        ({"colour": "red"}, "colour"),
        (["not", "an", "object"], "rules"),
    ],
)
async def test_invalid_rules_are_refused_whole_naming_the_field(
    network: dict[str, int],
    storage: SQLiteStorage,
    client: httpx.AsyncClient,
    document: Any,
    field: str,
) -> None:
    auth = (await keys(storage))["coordinator"]
    url = "/api/v1/themes/hochzeit/rules"
    response = await client.put(url, headers=auth, json=document)
    assert response.status_code == 422
    assert response.json()["field"] == field
    theme = await storage.get_theme("hochzeit")
    assert await storage.get_rule_set(theme.id) is None  # nothing half-applied


async def test_rule_change_by_another_process_shows_within_five_seconds(
    network: dict[str, int], storage: Storage, client: httpx.AsyncClient, signer: Signer
) -> None:
    token = signer.embed_token(network["blumen"])
    assert len((await block(client, token))["partners"]) == 3
    other = reopened(storage)  # another process' connections, as the CLI has
    await other.open()
    try:
        theme = await other.get_theme("hochzeit")
        await other.add_rule_set(theme.id, {"partners": {"max": 1}}, "other")
    finally:
        await other.close()
    started = time.monotonic()
    while time.monotonic() - started < 5:
        if len((await block(client, token))["partners"]) == 1:
            break
        await asyncio.sleep(0.05)
    assert len((await block(client, token))["partners"]) == 1


async def test_links_label_fallback_and_utm_follow_the_rules(
    network: dict[str, int],
    storage: SQLiteStorage,
    app: Starlette,
    client: httpx.AsyncClient,
    signer: Signer,
) -> None:
    auth = (await keys(storage))["coordinator"]
    rules = {
        "links": {
            "rel": "sponsored noopener",
            "label": "Anzeige",
            "utm": {"utm_source": "partnerkreis", "utm_campaign": "{theme}-{host}"},
        },
        "exclusions": {"blocklists": {"blumen": ["brautmoden", "catering"]}},
        "partners": {"min": 3},
    }
    url = "/api/v1/themes/hochzeit/rules"
    assert (await client.put(url, headers=auth, json=rules)).status_code == 200
    blumen = await block(client, signer.embed_token(network["blumen"]))
    # Two partners left after the blocklist, fewer than the minimum: directory fallback.
    assert blumen["partners"] == []
    assert blumen["fallback"] is True
    assert blumen["more"]["url"].endswith("/t/hochzeit")
    fotos = await block(client, signer.embed_token(network["fotos"]))
    assert fotos["badge"] == "Anzeige"
    assert {p["rel"] for p in fotos["partners"]} == {"sponsored noopener"}
    redirect = await client.get(fotos["partners"][0]["url"])
    query = parse_qs(urlsplit(redirect.headers["location"]).query)
    assert query == {"utm_source": ["partnerkreis"], "utm_campaign": ["hochzeit-fotos"]}

    rules["fallback"] = "hide"
    assert (await client.put(url, headers=auth, json=rules)).status_code == 200
    hidden = await block(client, signer.embed_token(network["blumen"]))
    assert (hidden["partners"], hidden["fallback"], hidden["more"]) == ([], False, None)


async def test_explain_api_lists_every_candidate_with_its_checks(
    network: dict[str, int], storage: SQLiteStorage, client: httpx.AsyncClient
) -> None:
    auth = (await keys(storage))["coordinator"]
    rules = {"exclusions": {"pairs": [["blumen", "fotos"]]}, "strategy": "weighted"}
    await client.put("/api/v1/themes/hochzeit/rules", headers=auth, json=rules)
    response = await client.get(
        "/api/v1/themes/hochzeit/explain", params={"member": "blumen"}, headers=auth
    )
    assert response.status_code == 200
    report = response.json()
    candidates = {c["member"]: c for c in report["candidates"]}
    assert set(candidates) == {"brautmoden", "catering", "scheune", "fotos"}
    failed = [ch for ch in candidates["fotos"]["checks"] if not ch["passed"]]
    assert [ch["name"] for ch in failed] == ["pair-exclusion"]
    assert candidates["fotos"]["position"] is None
    shown = {s["member"] for s in report["shown"]}
    assert len(shown) == 3 and "fotos" not in shown
    assert sum(c["probability"] or 0 for c in candidates.values()) == pytest.approx(3)
    missing = await client.get("/api/v1/themes/hochzeit/explain", headers=auth)
    assert missing.status_code == 422
