"""Exact replay: ``explain --at`` reproduces every block the server served.

Blocks are served over HTTP by the real app while views are credited and the
ledger is recomputed, across midnight; a rule changes and a member pauses
mid-day; one member serves two placements.  Only the clock is faked.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import pytest_asyncio
from starlette.applications import Starlette

from tests.api_auth import make_keys
from tests.conftest import BROWSER, SECRET, Clock, reopened
from tests.counting_helpers import exchanged
from widget_server.cli import main
from widget_server.core.settings import Settings
from widget_server.counting.replay import NOT_DRAWN, explain_selection
from widget_server.storage import Storage
from widget_server.web.app import create_app

# 2027-01-14T20:00:00Z: the run crosses midnight (the ledger's base rolls) into the 15th.
START = 1_800_007_200.0 - 14 * 3600
STEP = 23 * 60  # seconds between rounds of requests: not a multiple of a bucket
RULES = {"strategy": "fair-exchange", "rotation": {"bucket_seconds": 120}}
CHANGED = {
    "strategy": "fair-exchange",
    "rotation": {"bucket_seconds": 60},
    "fairness": {"alpha": 0.3, "half_life_days": 7},
}


@pytest_asyncio.fixture
async def served_app(
    settings: Settings, storage: Storage, network: dict[str, int]
) -> AsyncIterator[tuple[Starlette, Clock]]:
    clock = Clock(START)
    # The ledger is recomputed when the test says so; nothing runs on a timer meanwhile.
    quiet = settings.with_changes(ledger_interval=86_400, snapshot_interval=3600)
    application = create_app(quiet, storage=reopened(storage), clock=clock)
    async with application.router.lifespan_context(application):
        yield application, clock


def iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).isoformat()


def cli_explain(database_url: str, *args: str) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        code = main(
            ["explain", *args],
            environ={"WIDGET_DATABASE_URL": database_url, "WIDGET_SECRET_KEYS": SECRET},
        )
    return code, out.getvalue()


@pytest.mark.asyncio
async def test_explain_at_reproduces_every_served_block(
    served_app: tuple[Starlette, Clock],
    storage: Storage,
    network: dict[str, int],
    database_url: str,
) -> None:
    app, clock = served_app
    runtime = app.state.runtime
    keys = await make_keys(storage)
    transport = httpx.ASGITransport(app=app, client=("198.51.100.7", 50000))
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver", headers={"User-Agent": BROWSER}
    ) as web:

        async def api(method: str, path: str, body: Any = None) -> Any:
            response = await web.request(
                method, f"/api/v1{path}", json=body, headers=keys.coordinator
            )
            assert response.status_code in (200, 201), response.text
            return response.json()

        assert (await api("PUT", "/themes/hochzeit/rules", RULES))["version"] == 1
        second = await api(
            "POST", "/members/blumen/placements", {"theme": "hochzeit", "max_partners": 2}
        )
        placements = await api("GET", "/members/blumen/placements")
        tokens = {p["id"]: p["token"] for p in placements["data"]}
        for slug in ("catering", "scheune", "fotos"):
            found = await api("GET", f"/members/{slug}/placements")
            tokens.update({p["id"]: p["token"] for p in found["data"]})
        host = {pid: "blumen" for pid in (network["blumen"], second["id"])}
        host.update({network[s]: s for s in ("catering", "scheune", "fotos")})
        slug_of = {m.name: m.slug for m in await storage.list_members()}

        viewers: list[httpx.AsyncClient] = []

        def viewer(k: int) -> httpx.AsyncClient:
            while len(viewers) <= k % 40:
                address = (f"198.51.100.{len(viewers) + 10}", 50000)
                viewers.append(
                    httpx.AsyncClient(
                        transport=httpx.ASGITransport(app=app, client=address),
                        base_url="http://testserver",
                        headers={"User-Agent": BROWSER},
                    )
                )
            return viewers[k % 40]

        served: list[tuple[float, int, list[str]]] = []
        events = {
            # round -> what happens before the round's requests
            5: "ledger",  # after midnight: the base rolls
            9: "ledger",
            14: "ledger",
            16: "rules",
            18: "pause",
            19: "ledger",
            22: "ledger",
            24: "ledger",
        }
        for n in range(30):
            clock.advance(STEP)
            event = events.get(n)
            if event == "ledger":
                await runtime.counting.flush(runtime.storage)
                await runtime.snapshots.refresh_ledger()
            elif event == "rules":
                assert (await api("PUT", "/themes/hochzeit/rules", CHANGED))["version"] == 2
            elif event == "pause":
                await api("POST", "/members/fotos/pause")
            for i, (placement, token) in enumerate(sorted(tokens.items())):
                clock.advance(7)  # a few seconds between requests
                response = await web.get(f"/w/{token}")
                assert response.status_code == 200
                block = response.json()
                served.append(
                    (clock.now, placement, [slug_of[p["name"]] for p in block["partners"]])
                )
                if block.get("view") and (n + i) % 3:
                    # visitors from many addresses: each counts once a day per block
                    visitor = viewer(n * len(tokens) + i)
                    beacon = await visitor.post(
                        await exchanged(visitor, block["view"]),
                        headers={"Origin": f"https://{host[placement]}.example"},
                    )
                    assert beacon.status_code == 204
            if n % 4 == 3:  # a ledger recomputation in the middle of a bucket
                clock.advance(31)
                await runtime.counting.flush(runtime.storage)
                await runtime.snapshots.refresh_ledger()

        # The run was not trivial: views moved the ledger, the pause showed.
        theme = (await storage.get_theme("hochzeit")).id
        balances = runtime.snapshots.current.pools[theme].balances
        assert sum(b.given for b in balances.values()) > 0
        paused_at = START + 19 * STEP  # round 18 starts before this
        assert any("fotos" in shown for t, _, shown in served if t < paused_at - STEP)
        assert not any("fotos" in shown for t, _, shown in served if t > paused_at)
        assert len({tuple(shown) for _, _, shown in served}) > 3

        mismatches = []
        for moment, placement, shown in served:
            report = await explain_selection(
                storage, runtime.key, host[placement], "hochzeit", moment, placement
            )
            replayed = [s["member"] for s in report["shown"]]
            if replayed != shown:
                mismatches.append((iso(moment), placement, shown, replayed))
        for c in viewers:
            await c.aclose()
        assert mismatches == []
        assert len(served) == 30 * len(tokens)

    # The command line gives the same answer, with the ledger figures behind each weight.
    moment, placement, shown = [s for s in served if s[1] == second["id"]][-1]
    code, out = await asyncio.to_thread(
        cli_explain,
        database_url,
        "blumen",
        "hochzeit",
        "--at",
        iso(moment),
        "--placement",
        str(placement),
        "--json",
    )
    assert code == 0
    report = json.loads(out)
    assert [s["member"] for s in report["shown"]] == shown
    assert report["placement"] == second["id"]
    not_drawn = [c for c in report["candidates"] if c["reason"] == NOT_DRAWN]
    assert not_drawn and all(c["position"] is None and c["eligible"] for c in not_drawn)
    figures = [c["ledger"] for c in report["candidates"] if c["eligible"]]
    assert all(set(f) == {"given", "received", "target", "debt", "grant"} for f in figures)
    assert any(f["given"] > 0 and f["received"] > 0 for f in figures)
    code, text = await asyncio.to_thread(
        cli_explain,
        database_url,
        "blumen",
        "hochzeit",
        "--at",
        iso(moment),
        "--placement",
        str(placement),
    )
    assert code == 0 and NOT_DRAWN in text and "ledger version" in text
