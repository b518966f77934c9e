"""Error answers become the exception for their status, carrying the problem document."""

from __future__ import annotations

import pickle

import httpx
import pytest

import partnerkreis
from partnerkreis import (
    APIError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    InternalServerError,
    NotFoundError,
    PartnerkreisError,
    PermissionDeniedError,
    PreconditionFailedError,
    RateLimitError,
    ValidationError,
)

from .conftest import FakeAPI, make_client, problem


@pytest.mark.parametrize(
    ("status", "code", "error"),
    [
        (400, "bad-request", BadRequestError),
        (401, "unauthenticated", AuthenticationError),
        (403, "forbidden", PermissionDeniedError),
        (404, "not-found", NotFoundError),
        (405, "method-not-allowed", APIError),
        (409, "conflict", ConflictError),
        (412, "precondition-failed", PreconditionFailedError),
        (422, "invalid", ValidationError),
        (429, "rate-limited", RateLimitError),
        (500, "internal", InternalServerError),
        (503, "unavailable", InternalServerError),
    ],
)
def test_each_status_raises_its_error_with_the_problem_fields(
    status: int, code: str, error: type[APIError]
) -> None:
    api = FakeAPI(problem(status, code, "what went wrong", field="website"))
    with make_client(api, max_retries=0) as client, pytest.raises(error) as raised:
        client.members.get("blumenhaus")
    assert type(raised.value) is error
    assert isinstance(raised.value, PartnerkreisError)
    assert raised.value.status == status
    assert raised.value.code == code
    assert raised.value.detail == "what went wrong"
    assert raised.value.field == "website"
    assert raised.value.request_id == "req-42"
    assert f"{status} {code}: what went wrong (field website) [request req-42]" == str(raised.value)


def test_a_validation_error_names_the_field() -> None:
    answer = problem(422, "invalid", "website: is not an http(s) URL", field="website")
    api = FakeAPI(answer)
    with make_client(api) as client, pytest.raises(ValidationError) as raised:
        client.members.create("blumenhaus", name="Blumenhaus", website="ftp://nope")
    assert raised.value.field == "website"
    assert str(raised.value) == "422 invalid: website: is not an http(s) URL [request req-42]"


def test_an_answer_that_is_not_a_problem_document_still_maps_by_status() -> None:
    api = FakeAPI(httpx.Response(502, text="<html>Bad Gateway</html>"))
    with make_client(api, max_retries=0) as client, pytest.raises(InternalServerError) as raised:
        client.themes.list().page()
    assert raised.value.code is None
    assert raised.value.body == "<html>Bad Gateway</html>"
    assert str(raised.value).startswith("502 Bad Gateway")


def test_rate_limit_error_carries_retry_after() -> None:
    api = FakeAPI(problem(429, "rate-limited", headers={"Retry-After": "120"}))
    with make_client(api) as client, pytest.raises(RateLimitError) as raised:
        client.themes.get("hochzeit")
    assert raised.value.retry_after == 120.0
    assert len(api.requests) == 1  # longer than we wait: raised at once


def test_transport_errors_become_connection_and_timeout_errors() -> None:
    refused = FakeAPI(httpx.ConnectError("connection refused"))
    with make_client(refused, max_retries=0) as client:
        with pytest.raises(partnerkreis.APIConnectionError) as raised:
            client.themes.get("hochzeit")
        assert not isinstance(raised.value, partnerkreis.APITimeoutError)
        assert isinstance(raised.value.__cause__, httpx.ConnectError)
    slow = FakeAPI(httpx.ReadTimeout("slow"))
    with make_client(slow, max_retries=0) as client, pytest.raises(partnerkreis.APITimeoutError):
        client.themes.get("hochzeit")


def test_the_hierarchy_is_drawn_in_the_module_docstring() -> None:
    doc = partnerkreis._exceptions.__doc__ or ""
    for name in partnerkreis.__all__:
        value = getattr(partnerkreis, name)
        if isinstance(value, type) and issubclass(value, PartnerkreisError):
            assert name in doc, name


def test_errors_survive_pickling() -> None:
    error = NotFoundError("404 not-found", status=404, code="not-found", request_id="r")
    copy = pickle.loads(pickle.dumps(error))
    assert (type(copy), copy.status, copy.code, str(copy)) == (
        NotFoundError,
        404,
        "not-found",
        "404 not-found",
    )
