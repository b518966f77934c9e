"""A bounded schemathesis run: the app never fails and never contradicts its OpenAPI document.

Every operation of ``/api/v1/openapi.json`` gets a few generated requests,
valid and invalid ones, with a coordinator key.  Derandomized, so a run is
the same every time; bounded in examples so that it takes seconds.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.generation.modes import GenerationMode
from schemathesis.python import asgi
from starlette.datastructures import Secret

from tests.api_auth import bearer
from tests.conftest import SECRET, WEDDING_MEMBERS, Clock
from widget_server.core.settings import Settings
from widget_server.network import offers
from widget_server.network.events import EventInput, create_event
from widget_server.network.keys import create_key
from widget_server.network.services import MemberInput, add_member, add_theme, placement_for
from widget_server.storage import SQLiteStorage
from widget_server.web.app import create_app
from widget_server.web.openapi import document

EXAMPLES = 20  # per operation and mode: the whole run takes seconds
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
# Not negative_data_rejection: it counts unknown query parameters as invalid input,
# and the API ignores those (only unknown fields in bodies are refused).


async def seed(path: Path) -> str:
    """The wedding network, and a coordinator key (returned)."""
    storage = SQLiteStorage(path)
    await storage.open()
    try:
        await storage.migrate()
        await add_theme(storage, slug="hochzeit", name_de="Hochzeit", name_en="Wedding")
        for slug, name, category in WEDDING_MEMBERS:
            await add_member(
                storage,
                MemberInput(
                    slug=slug,
                    name=name,
                    website=f"https://{slug}.example/",
                    category=category,
                    themes=("hochzeit",),
                ),
            )
            await placement_for(storage, slug, "hochzeit")
        # A joint event, so the events' answers have something to conform with.
        fair = EventInput(
            title="Hochzeitsmesse",
            starts_at="2027-03-14T10:00",
            ends_at="2027-03-14T17:00",
            place_name="Festscheune",
            town="Heide",
            participants=("blumen",),
            theme="hochzeit",
        )
        now = datetime.fromtimestamp(Clock().now, UTC)
        await create_event(storage, fair, "Europe/Berlin", now=now)
        # A joint offer, so the offers' answers carry one (the clock's day is 2027-01-15).
        proposal = offers.Proposal(
            "hochzeit",
            "Hochzeitspaket",
            "Kleid & Blumen",
            "10 %",
            "2027-01-01",
            "2027-03-31",
            ["blumen"],
        )
        proposer = await storage.get_member("brautmoden")
        await offers.propose(storage, proposer, proposal, date(2027, 1, 15))
        _, key = await create_key(storage, "coordinator", "schemathesis")
        return key
    finally:
        await storage.close()


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, dict[str, str]]]:
    """The schema loaded from the running app, and a coordinator's headers."""
    path = tmp_path_factory.mktemp("schemathesis") / "api.db"
    key = asyncio.run(seed(path))
    app = create_app(
        Settings(
            database_url=f"sqlite:///{path}",
            secret_keys=(Secret(SECRET),),
            allowed_hosts=("testserver", "localhost", "127.0.0.1"),
        ),
        storage=SQLiteStorage(path),
        clock=Clock(),
    )
    # schemathesis runs the app (and its lifespan) on an event loop of its own.
    yield schemathesis.openapi.from_asgi("/api/v1/openapi.json", app), bearer(key)
    asgi.shutdown_lifespans()


OPERATIONS = sorted(
    (method.upper(), path) for path, item in document()["paths"].items() for method in item
)
# Operations without any input have no invalid variant to send.
NO_INPUT = {("GET", "/api/v1/openapi.json")}
CASES = [
    (method, path, mode)
    for method, path in OPERATIONS
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    if mode is GenerationMode.POSITIVE or (method, path) not in NO_INPUT
]


# Plain Hypothesis over each operation's strategy rather than schemathesis' pytest
# plugin (schema.parametrize): its lazy-fixture mode fails on pytest 9 in schemathesis 4.32.
@pytest.mark.parametrize(("method", "path", "mode"), CASES, ids=str)
def test_operation_keeps_its_contract(
    api: tuple[Any, dict[str, str]], method: str, path: str, mode: GenerationMode
) -> None:
    schema, auth = api

    @given(case=schema[path][method].as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        deadline=timedelta(seconds=5),
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        case.call_and_validate(headers=dict(auth), checks=CHECKS)

    run()
