"""Management calls retry 429, 5xx and connection errors with backoff, without creating twice."""

from __future__ import annotations

import httpx
import pytest

from partnerkreis import APIConnectionError, InternalServerError, NotFoundError
from partnerkreis._retry import Backoff, retryable

from .conftest import FakeAPI, make_async_client, make_client, problem

THEME = {"slug": "hochzeit", "name_de": "Hochzeit", "kind": "topic", "members": 0}
MEMBER = {"slug": "blumenhaus", "name": "Blumenhaus", "website": "https://b.example/"}


@pytest.mark.parametrize(
    ("attempt", "retry_after", "rand", "expected"),
    [
        (0, None, 0.0, 0.5),
        (0, None, 1.0, 0.375),  # up to a quarter off at random
        (1, None, 0.0, 1.0),
        (1, 3.0, 0.5, 3.0),  # Retry-After as sent, no jitter
        (0, 0.0, 0.5, 0.0),
        (0, 61.0, 0.5, None),  # asks for too long a pause: give up
        (2, None, 0.0, None),  # out of retries (max_retries=2)
        (2, 1.0, 0.0, None),
    ],
)
def test_backoff_table(
    attempt: int, retry_after: float | None, rand: float, expected: float | None
) -> None:
    assert Backoff().delay(attempt, retry_after, lambda: rand) == expected


def test_backoff_is_capped() -> None:
    policy = Backoff(max_retries=20)
    assert policy.delay(12, None, lambda: 0.0) == policy.max_backoff


@pytest.mark.parametrize(
    ("status", "expected"),
    [(429, True), (503, True), (500, True), (404, False), (409, False), (422, False)],
)
def test_which_statuses_are_retried(status: int, expected: bool) -> None:
    assert retryable(status) is expected


def test_503_with_retry_after_is_retried_after_that_long(sleeps: list[float]) -> None:
    api = FakeAPI(
        problem(503, "unavailable", headers={"Retry-After": "2"}),
        problem(429, "rate-limited", headers={"Retry-After": "1"}),
        httpx.Response(200, json=THEME),
    )
    with make_client(api, sleeps) as client:
        theme = client.themes.get("hochzeit")
    assert theme.slug == "hochzeit"
    assert sleeps == [2.0, 1.0]
    assert len(api.requests) == 3


def test_without_retry_after_the_wait_doubles_with_jitter(sleeps: list[float]) -> None:
    api = FakeAPI(problem(500, "internal"), problem(502, "bad-gateway"), problem(503, "x"))
    with make_client(api, sleeps) as client, pytest.raises(InternalServerError) as raised:
        client.themes.get("hochzeit")
    assert raised.value.status == 503  # the last answer is raised
    assert len(api.requests) == 3  # the first try and max_retries=2
    assert 0.375 <= sleeps[0] <= 0.5
    assert 0.75 <= sleeps[1] <= 1.0


def test_max_retries_is_configurable(sleeps: list[float]) -> None:
    api = FakeAPI(httpx.ConnectError("refused"))
    with make_client(api, sleeps, max_retries=4) as client, pytest.raises(APIConnectionError):
        client.members.list().page()
    assert len(api.requests) == 5
    assert len(sleeps) == 4
    api = FakeAPI(httpx.ConnectError("refused"))
    with make_client(api, sleeps, max_retries=0) as client, pytest.raises(APIConnectionError):
        client.members.list().page()
    assert len(api.requests) == 1


def test_client_errors_are_not_retried(sleeps: list[float]) -> None:
    api = FakeAPI(problem(404, "not-found"))
    with make_client(api, sleeps) as client, pytest.raises(NotFoundError):
        client.themes.get("nope")
    assert len(api.requests) == 1
    assert sleeps == []


def test_a_post_keeps_its_idempotency_key_on_every_retry(sleeps: list[float]) -> None:
    api = FakeAPI(
        httpx.ReadTimeout("lost answer"),
        problem(503, "unavailable", headers={"Retry-After": "0"}),
        httpx.Response(201, json={**MEMBER, "status": "pending"}),
    )
    with make_client(api, sleeps) as client:
        member = client.members.create(
            "blumenhaus", name="Blumenhaus", website="https://b.example/"
        )
    keys = {request.headers["idempotency-key"] for request in api.requests}
    assert len(api.requests) == 3
    assert len(keys) == 1
    assert all(api.body(i) == api.body(0) for i in range(3))
    assert member.status == "pending"


def test_each_call_gets_its_own_idempotency_key_or_the_one_given() -> None:
    api = FakeAPI(httpx.Response(201, json=THEME))
    with make_client(api) as client:
        client.themes.create("a", name_de="A")
        client.themes.create("b", name_de="B")
        client.themes.create("c", name_de="C", idempotency_key="form-submission-17")
    first, second, given = (r.headers["idempotency-key"] for r in api.requests)
    assert first != second
    assert given == "form-submission-17"


def test_only_posts_carry_an_idempotency_key() -> None:
    api = FakeAPI(httpx.Response(200, json=THEME))
    with make_client(api) as client:
        client.themes.get("hochzeit")
        client.themes.update("hochzeit", name_en="Wedding")
    assert all("idempotency-key" not in r.headers for r in api.requests)


@pytest.mark.asyncio
async def test_async_client_retries_the_same_way(sleeps: list[float]) -> None:
    api = FakeAPI(
        httpx.ConnectError("refused"),
        problem(429, "rate-limited", headers={"Retry-After": "1.5"}),
        httpx.Response(201, json=MEMBER),
    )
    async with make_async_client(api, sleeps) as client:
        member = await client.members.create(
            "blumenhaus", name="Blumenhaus", website="https://b.example/"
        )
    assert member.slug == "blumenhaus"
    assert len({r.headers["idempotency-key"] for r in api.requests}) == 1
    assert sleeps[1] == 1.5
    assert 0.375 <= sleeps[0] <= 0.5
