"""Fakes at the transport: a scripted API server behind ``httpx.MockTransport``."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from partnerkreis import AsyncClient, Client

BASE_URL = "https://partner.example.org"
API_KEY = "pkr_0123abcd." + "s" * 43
NAV = (
    '<nav class="pk pk-cards"><a href="https://partner.example.org/c/abc">'
    "Küstenküche &amp; Co</a></nav>"
)

Answer = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


class FakeAPI:
    """Answers requests in order from ``answers`` (the last one repeats) and records them."""

    def __init__(self, *answers: Answer) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        if callable(answer):
            return answer(request)
        return answer

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)

    @property
    def last(self) -> httpx.Request:
        return self.requests[-1]

    def body(self, index: int = -1) -> Any:
        return json.loads(self.requests[index].content)


def problem(
    status: int, code: str, detail: str = "", headers: dict[str, str] | None = None, **extra: Any
) -> httpx.Response:
    """An ``application/problem+json`` answer as the server sends it."""
    body: dict[str, Any] = {"type": f"https://partnerkreis.invalid/problems/{code}"}
    body.update(title=code.replace("-", " ").capitalize(), status=status, code=code)
    if detail:
        body["detail"] = detail
    body.update(extra)
    head = {"X-Request-Id": "req-42", "Content-Type": "application/problem+json"}
    return httpx.Response(status, json=body, headers={**head, **(headers or {})})


def block_answer(
    html: str = NAV,
    *,
    etag: str = '"b1"',
    max_age: int = 60,
    theme: str = "hochzeit-heide",
    member: str = "blumenhaus",
    stylesheet: str | None = None,
) -> httpx.Response:
    body = {
        "theme": theme,
        "member": member,
        "bucket": 7,
        "expires_at": "2027-03-06T14:05:00+00:00",
        "block": {
            "v": 1,
            "lang": "de",
            "layout": "cards",
            "heading": "Unsere Partner zum Thema Hochzeit",
            "partners": [{"name": "Küstenküche", "url": "https://partner.example.org/c/abc"}],
            "view": None,
        },
        "html": html,
    }
    if stylesheet is not None:
        body["stylesheet"] = stylesheet
    headers = {"ETag": etag, "Cache-Control": f"private, max-age={max_age}"}
    return httpx.Response(200, json=body, headers=headers)


class Clock:
    """Monotonic seconds that the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def sleeps() -> list[float]:
    return []


def make_client(api: FakeAPI, sleeps: list[float] | None = None, **options: Any) -> Client:
    record = sleeps.append if sleeps is not None else (lambda seconds: None)
    return Client(API_KEY, base_url=BASE_URL, transport=api.transport, sleep=record, **options)


def make_async_client(
    api: FakeAPI, sleeps: list[float] | None = None, **options: Any
) -> AsyncClient:
    async def record(seconds: float) -> None:
        if sleeps is not None:
            sleeps.append(seconds)

    return AsyncClient(API_KEY, base_url=BASE_URL, transport=api.transport, sleep=record, **options)


@pytest.fixture
def no_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("PARTNERKREIS_API_KEY", raising=False)
    monkeypatch.delenv("PARTNERKREIS_BASE_URL", raising=False)
    yield
