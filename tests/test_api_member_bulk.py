"""``POST /api/v1/members/bulk``: many members in one write, every bad row named."""

from __future__ import annotations

import json
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from starlette.applications import Starlette

from tests.api_auth import make_keys
from tests.conftest import Clock, reopened
from widget_server.core.settings import Settings
from widget_server.core.signing import Signer
from widget_server.storage import Storage
from widget_server.web.app import create_app
from widget_server.web.endpoints.api import member_bulk

pytestmark = pytest.mark.asyncio

URL = "/api/v1/members/bulk"


def row(slug: str, **fields: Any) -> dict[str, Any]:
    return {
        "slug": slug,
        "name": f"Betrieb {slug}",
        "website": f"https://{slug}.example/",
        "themes": ["hochzeit"],
        **fields,
    }


@pytest_asyncio.fixture
async def open_client(
    settings: Settings, storage: Storage, clock: Clock
) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an app that registers members as active (WIDGET_NEW_MEMBERS=active)."""
    app: Starlette = create_app(
        settings.with_changes(new_members="active"), storage=reopened(storage), clock=clock
    )
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            yield c


async def slugs(storage: Storage) -> set[str]:
    return {m.slug for m in await storage.list_members(limit=1000)}


async def test_rows_are_created_in_one_write_and_served_at_once(
    network: dict[str, int],
    storage: Storage,
    open_client: httpx.AsyncClient,
    signer: Signer,
) -> None:
    keys = await make_keys(storage)
    version = await storage.data_version()
    rows = [
        row("torten", domains=["torten-shop.example"], category="confectioner", town="Heide"),
        row("musik", description="Livemusik"),
        row("ohne-thema", themes=[]),
    ]
    response = await open_client.post(URL, headers=keys.coordinator, json=rows)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "rows": 3,
        "created": [
            {"row": 1, "slug": "torten"},
            {"row": 2, "slug": "musik"},
            {"row": 3, "slug": "ohne-thema"},
        ],
        "errors": [],
    }
    assert await storage.data_version() == version + 1  # one write for all rows
    torten = (await open_client.get("/api/v1/members/torten", headers=keys.coordinator)).json()
    assert torten["status"] == "active"  # the network's setting, as for a single create
    assert torten["domains"] == ["torten-shop.example", "torten.example", "www.torten.example"]
    assert torten["themes"] == [{"theme": "hochzeit", "status": "active"}]
    # Each membership got its default placement, and the snapshot serves it already.
    torten_id = (await storage.get_member("torten")).id
    placement = next(p for p in await storage.list_placements() if p.member_id == torten_id)
    block = await open_client.get(f"/w/{signer.embed_token(placement.id)}")
    assert block.status_code == 200 and block.json()["partners"]
    shown_by_others = set()
    for slug in ("blumen", "fotos", "catering", "scheune"):
        token = signer.embed_token(network[slug])
        shown_by_others |= {
            p["name"] for p in (await open_client.get(f"/w/{token}")).json()["partners"]
        }
    assert shown_by_others  # the old members still serve


async def test_a_bad_row_is_named_and_nothing_is_written(
    network: dict[str, int], storage: Storage, client: httpx.AsyncClient
) -> None:
    keys = await make_keys(storage)
    before, version = await slugs(storage), await storage.data_version()
    rows = [
        row("gut"),
        row("schlecht", website="ftp://schlecht.example"),
        row("blumen"),  # exists already
        row("gut"),  # twice in the request
        row("fremd", themes=["nirgends"]),
        {**row("feld"), "status": "active"},  # not a field of the create
        row("lang", domains=["x" * 300]),
        "kein objekt",
    ]
    response = await client.post(URL, headers=keys.coordinator, json=rows)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert (problem["code"], problem["field"]) == ("invalid-rows", "rows")
    assert "7 of 8 rows are invalid; nothing was created" in problem["detail"]
    found = [(e["row"], e["slug"], e["field"]) for e in problem["errors"]]
    assert found == [
        (2, "schlecht", "website"),
        (3, "blumen", "slug"),
        (4, "gut", "slug"),
        (5, "fremd", "themes"),
        (6, "feld", "status"),
        (7, "lang", "domains[0]"),
        (8, None, "row"),
    ]
    assert "exists already" in problem["errors"][1]["message"]
    assert "first in row 1" in problem["errors"][2]["message"]
    assert await slugs(storage) == before
    assert await storage.data_version() == version


async def test_skip_invalid_creates_the_good_rows_and_lists_the_bad(
    network: dict[str, int], storage: Storage, client: httpx.AsyncClient
) -> None:
    keys = await make_keys(storage)
    rows = [row("gut"), row("schlecht", postal_code="<b>"), row("auch-gut")]
    response = await client.post(
        URL, headers=keys.coordinator, json=rows, params={"skip_invalid": "true"}
    )
    assert response.status_code == 200
    body = response.json()
    assert [c["slug"] for c in body["created"]] == ["gut", "auch-gut"]
    assert [(e["row"], e["field"]) for e in body["errors"]] == [(2, "postal_code")]
    assert {"gut", "auch-gut"} <= await slugs(storage)
    assert "schlecht" not in await slugs(storage)
    odd = await client.post(URL, headers=keys.coordinator, json=rows, params={"skip_invalid": "1"})
    assert (odd.status_code, odd.json()["field"]) == (422, "skip_invalid")


async def test_ndjson_takes_one_member_per_line(
    network: dict[str, int], storage: Storage, client: httpx.AsyncClient
) -> None:
    keys = await make_keys(storage)
    text = "\n".join(json.dumps(row(s)) for s in ("eins", "zwei")) + "\n\n"
    response = await client.post(
        URL,
        headers={**keys.coordinator, "Content-Type": "application/x-ndjson"},
        content=text.encode(),
    )
    assert response.status_code == 200
    assert [c["slug"] for c in response.json()["created"]] == ["eins", "zwei"]
    broken = await client.post(
        URL,
        headers={**keys.coordinator, "Content-Type": "application/x-ndjson"},
        content=b'{"slug": "drei"}\n{not json\n',
    )
    assert (broken.status_code, broken.json()["field"]) == (422, "body")
    assert "line 2" in broken.json()["detail"]
    nan = await client.post(
        URL,
        headers={**keys.coordinator, "Content-Type": "application/x-ndjson"},
        content=b'{"slug": "vier", "name": NaN}\n',
    )
    assert (nan.status_code, nan.json()["detail"]) == (422, "body: line 1 is not valid JSON")


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (b"", "empty"),
        (b'{"slug": "x"}', "JSON array"),
        (b"[1, NaN]", "not valid JSON"),
    ],
)
async def test_a_body_that_is_no_array_is_refused_whole(
    network: dict[str, int], storage: Storage, client: httpx.AsyncClient, body: bytes, detail: str
) -> None:
    keys = await make_keys(storage)
    response = await client.post(
        URL, headers={**keys.coordinator, "Content-Type": "application/json"}, content=body
    )
    assert (response.status_code, response.json()["field"]) == (422, "body")
    assert detail in response.json()["detail"]


@pytest.fixture
def small_limits(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(member_bulk, "MAX_ROWS", 3)
    monkeypatch.setattr(member_bulk, "MAX_BYTES", 2000)
    yield


async def test_too_many_rows_or_bytes_are_413_and_write_nothing(
    network: dict[str, int], storage: Storage, client: httpx.AsyncClient, small_limits: None
) -> None:
    keys = await make_keys(storage)
    before = await slugs(storage)
    rows = await client.post(URL, headers=keys.coordinator, json=[row(f"m{i}") for i in range(4)])
    assert (rows.status_code, rows.json()["code"]) == (413, "too-large")
    assert "4 rows sent, at most 3" in rows.json()["detail"]
    big = [row("gross", description="x" * 2000)]
    declared = await client.post(URL, headers=keys.coordinator, json=big)
    assert (declared.status_code, declared.json()["code"]) == (413, "too-large")
    assert declared.headers["content-type"] == "application/problem+json"

    async def stream() -> AsyncIterator[bytes]:  # no Content-Length: counted while read
        data = json.dumps(big).encode()
        for start in range(0, len(data), 500):
            yield data[start : start + 500]

    streamed = await client.post(URL, headers=keys.coordinator, content=stream())
    assert (streamed.status_code, streamed.json()["code"]) == (413, "too-large")
    assert await slugs(storage) == before


async def test_only_coordinators_and_before_the_body_is_read(
    network: dict[str, int], storage: Storage, client: httpx.AsyncClient, small_limits: None
) -> None:
    keys = await make_keys(storage)
    big = [row("gross", description="x" * 5000)]
    assert (await client.post(URL, json=big)).status_code == 401
    assert (await client.post(URL, headers=keys.blumen, json=[row("neu")])).status_code == 403
    assert (await client.post(URL, headers=keys.blumen, json=big)).status_code == 403


async def test_an_idempotency_key_replays_the_first_answer(
    network: dict[str, int], storage: Storage, client: httpx.AsyncClient
) -> None:
    keys = await make_keys(storage)
    headers = {**keys.coordinator, "Idempotency-Key": "bulk-1"}
    rows = [row("eins"), row("zwei")]
    first = await client.post(URL, headers=headers, json=rows)
    assert first.status_code == 200
    version = await storage.data_version()
    again = await client.post(URL, headers=headers, json=rows)
    assert (again.status_code, again.json()) == (200, first.json())
    assert again.headers["idempotent-replayed"] == "true"
    assert await storage.data_version() == version  # nothing written twice
    other = await client.post(URL, headers=headers, json=[row("drei")])
    assert (other.status_code, other.json()["code"]) == (422, "idempotency-key-reused")
    # Without the key the same rows meet themselves: every row is named.
    repeat = await client.post(URL, headers=keys.coordinator, json=rows)
    assert [e["field"] for e in repeat.json()["errors"]] == ["slug", "slug"]


async def test_hostile_text_is_stored_as_text_and_escaped_where_shown(
    network: dict[str, int], storage: Storage, open_client: httpx.AsyncClient
) -> None:
    keys = await make_keys(storage)
    name = '<img src=x onerror="alert(1)"> & Co'
    rows = [
        row("boese", name=name, description="</script><script>alert(2)</script>"),
        row("<script>", name="x"),
    ]
    refused = await open_client.post(URL, headers=keys.coordinator, json=rows)
    assert [(e["row"], e["field"]) for e in refused.json()["errors"]] == [(2, "slug")]
    response = await open_client.post(URL, headers=keys.coordinator, json=rows[:1])
    assert response.status_code == 200
    stored = await storage.get_member("boese")
    assert stored.name == name  # text stays text
    page = await open_client.get("/t/hochzeit")  # the cluster's directory lists every member
    assert page.status_code == 200
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt; &amp; Co" in page.text
    assert "<img src=x" not in page.text


async def test_a_large_body_is_hashed_and_the_answer_made_off_the_event_loop(
    network: dict[str, int],
    storage: Storage,
    client: httpx.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # At 50,000 rows (32 MB) the key's fingerprint and the answer's JSON held the loop
    # 45-100 ms each: both are made in a worker thread once the body is large.
    from widget_server.web import idempotency

    keys = await make_keys(storage)
    loop_thread = threading.get_ident()
    on_loop: dict[str, list[bool]] = {"fingerprint": [], "answer": []}
    fingerprint, answer = idempotency.fingerprint, member_bulk.answer

    def hashed(*args: Any) -> str:
        on_loop["fingerprint"].append(threading.get_ident() == loop_thread)
        return fingerprint(*args)

    def answered(*args: Any, **kwargs: Any) -> Any:
        on_loop["answer"].append(threading.get_ident() == loop_thread)
        return answer(*args, **kwargs)

    monkeypatch.setattr(idempotency, "fingerprint", hashed)
    monkeypatch.setattr(member_bulk, "answer", answered)
    # Long descriptions make the body larger than what is hashed on the loop.
    text = "Ein Betrieb aus dem Netzwerk. " * 9
    rows = [row(f"gross-{n}", description=text) for n in range(250)]
    assert len(json.dumps(rows)) > idempotency.HASHED_ON_LOOP
    headers = {**keys.coordinator, "Idempotency-Key": "gross-1"}
    response = await client.post(URL, headers=headers, json=rows)
    assert response.status_code == 200, response.text
    assert len(response.json()["created"]) == 250
    assert on_loop == {"fingerprint": [False], "answer": [False]}
    # The same request again: the same fingerprint, so the first answer is replayed.
    again = await client.post(URL, headers=headers, json=rows)
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == response.json()
    # A small body is hashed on the loop (a thread's hand-over would cost more).
    small = await client.post(
        URL, headers={**keys.coordinator, "Idempotency-Key": "klein-1"}, json=[row("klein")]
    )
    assert small.status_code == 200
    assert on_loop["fingerprint"] == [False, False, True]


async def test_the_rows_are_checked_and_written_with_the_collector_paused(
    network: dict[str, int],
    storage: Storage,
    client: httpx.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The request's rows live for seconds: with the collector on, each fourth of them
    # promoted started a full pass over all of them (285 ms at 20,000 rows).
    import gc

    keys = await make_keys(storage)
    seen: list[bool] = []
    importing = member_bulk.import_members

    async def watched(*args: Any, **kwargs: Any) -> Any:
        seen.append(gc.isenabled())
        return await importing(*args, **kwargs)

    monkeypatch.setattr(member_bulk, "import_members", watched)
    response = await client.post(URL, headers=keys.coordinator, json=[row("eins"), row("zwei")])
    assert response.status_code == 200
    assert seen == [False]
    assert gc.isenabled()  # back on after the answer
    bad = await client.post(URL, headers=keys.coordinator, json=[row("eins")])
    assert bad.status_code == 422  # a refused request turns it back on too
    assert gc.isenabled()
