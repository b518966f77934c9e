"""What each call sends: method, path, query, body and headers, as docs/api.md describes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import httpx
import pytest

from partnerkreis import Client, ConfigurationError, Rules
from partnerkreis._config import api_url, resolve

from .conftest import API_KEY, BASE_URL, FakeAPI, make_client

OK: dict[str, Any] = {"data": [], "next_cursor": None}


@pytest.mark.parametrize(
    ("call", "method", "path", "params", "body"),
    [
        (lambda c: c.themes.get("hochzeit"), "GET", "/api/v1/themes/hochzeit", {}, None),
        (
            lambda c: c.themes.create("hochzeit", name_de="Hochzeit", kind="local"),
            "POST",
            "/api/v1/themes",
            {},
            {"slug": "hochzeit", "name_de": "Hochzeit", "kind": "local"},
        ),
        (
            lambda c: c.themes.update("hochzeit", description_en="Weddings"),
            "PATCH",
            "/api/v1/themes/hochzeit",
            {},
            {"description_en": "Weddings"},
        ),
        (
            lambda c: c.themes.update("hochzeit", intro_de="Wir feiern.\n\nZusammen."),
            "PATCH",
            "/api/v1/themes/hochzeit",
            {},
            {"intro_de": "Wir feiern.\n\nZusammen."},
        ),
        (
            lambda c: c.members.create(
                "blumen",
                name="Blumen",
                website="https://b.example",
                themes=("hochzeit",),
                town="Heide",
            ),
            "POST",
            "/api/v1/members",
            {},
            {
                "slug": "blumen",
                "name": "Blumen",
                "website": "https://b.example",
                "themes": ["hochzeit"],
                "town": "Heide",
            },
        ),
        (
            lambda c: c.members.update("blumen", domains=["b.example"]),
            "PATCH",
            "/api/v1/members/blumen",
            {},
            {"domains": ["b.example"]},
        ),
        (lambda c: c.members.pause("blumen"), "POST", "/api/v1/members/blumen/pause", {}, None),
        (
            lambda c: c.members.activate("blumen"),
            "POST",
            "/api/v1/members/blumen/activate",
            {},
            None,
        ),
        (lambda c: c.members.remove("blumen"), "DELETE", "/api/v1/members/blumen", {}, None),
        (
            lambda c: c.members.set_membership("blumen", "hochzeit", status="paused"),
            "PUT",
            "/api/v1/members/blumen/memberships/hochzeit",
            {},
            {"status": "paused"},
        ),
        (
            lambda c: c.placements.create(
                "blumen", theme="hochzeit", layout="list", max_partners=4
            ),
            "POST",
            "/api/v1/members/blumen/placements",
            {},
            {"theme": "hochzeit", "layout": "list", "max_partners": 4},
        ),
        (
            lambda c: c.placements.list("blumen", limit=10).page(),
            "GET",
            "/api/v1/members/blumen/placements",
            {"limit": "10"},
            None,
        ),
        (
            lambda c: c.rules.explain("hochzeit", member="blumen", at="2027-03-06T14:00"),
            "GET",
            "/api/v1/themes/hochzeit/explain",
            {"member": "blumen", "at": "2027-03-06T14:00"},
            None,
        ),
        (
            lambda c: c.stats.member(
                "blumen", theme="hochzeit", since=date(2027, 3, 1), until="2027-03-31"
            ),
            "GET",
            "/api/v1/stats/members/blumen",
            {"theme": "hochzeit", "from": "2027-03-01", "to": "2027-03-31"},
            None,
        ),
        (
            lambda c: c.stats.theme("hochzeit", since="2027-03-01"),
            "GET",
            "/api/v1/stats/themes/hochzeit",
            {"from": "2027-03-01"},
            None,
        ),
        (
            lambda c: c.keys.create(scope="member:blumen", name="cms"),
            "POST",
            "/api/v1/keys",
            {},
            {"scope": "member:blumen", "name": "cms"},
        ),
        (lambda c: c.keys.revoke("pkr_0123abcd"), "DELETE", "/api/v1/keys/pkr_0123abcd", {}, None),
        (lambda c: c.keys.list().page(), "GET", "/api/v1/keys", {}, None),
    ],
)
def test_requests_match_the_api(
    call: Callable[[Client], Any],
    method: str,
    path: str,
    params: dict[str, str],
    body: dict[str, Any] | None,
) -> None:
    api = FakeAPI(httpx.Response(200, json=OK))
    with make_client(api) as client:
        call(client)
    request = api.last
    assert (request.method, request.url.path, dict(request.url.params)) == (method, path, params)
    assert (api.body() if request.content else None) == body
    assert request.headers["authorization"] == f"Bearer {API_KEY}"
    assert request.headers["user-agent"].startswith("partnerkreis-python/")


def test_slugs_are_quoted_into_the_path() -> None:
    api = FakeAPI(httpx.Response(200, json={"slug": "x"}))
    with make_client(api) as client:
        client.members.get("../keys")
    assert api.last.url.raw_path == b"/api/v1/members/..%2Fkeys"


def test_rules_update_sends_if_match_from_an_etag_or_the_rules_read() -> None:
    answer = httpx.Response(
        200,
        json={"theme": "hochzeit", "version": 2, "previous_version": 1, "rules": {}, "diff": "+"},
        headers={"ETag": '"rules-2"'},
    )
    api = FakeAPI(answer)
    with make_client(api) as client:
        current = Rules(theme="hochzeit", version=1, rules={}, etag='"rules-1"')
        changed = client.rules.update("hochzeit", rules={"strategy": "fixed"}, if_match=current)
        client.rules.update("hochzeit", rules={"strategy": "fixed"}, if_match='"rules-7"')
        client.rules.update("hochzeit", rules={"strategy": "fixed"})
    assert [r.headers.get("if-match") for r in api.requests] == ['"rules-1"', '"rules-7"', None]
    assert api.body(0) == {"strategy": "fixed"}
    assert (changed.etag, changed.version, changed.previous_version) == ('"rules-2"', 2, 1)


def test_stats_as_csv() -> None:
    csv = "day,theme,member,views_given\r\n2027-03-06,hochzeit,blumen,3\r\n"
    api = FakeAPI(httpx.Response(200, text=csv, headers={"Content-Type": "text/csv"}))
    with make_client(api) as client:
        assert client.stats.member_csv("blumen", theme="hochzeit") == csv
        client.stats.theme_csv("hochzeit")
    assert api.requests[0].url.params["format"] == "csv"
    assert api.requests[0].headers["accept"] == "text/csv"
    assert api.requests[1].url.path == "/api/v1/stats/themes/hochzeit"


def test_memberships_come_as_a_tuple() -> None:
    data = {"data": [{"theme": "hochzeit", "status": "active"}], "next_cursor": None}
    api = FakeAPI(httpx.Response(200, json=data))
    with make_client(api) as client:
        (membership,) = client.members.memberships("blumen")
    assert (membership.theme, membership.status) == ("hochzeit", "active")


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("https://partner.example.org", "https://partner.example.org/api/v1"),
        ("https://partner.example.org/", "https://partner.example.org/api/v1"),
        ("https://partner.example.org/api/v1/", "https://partner.example.org/api/v1"),
        ("http://127.0.0.1:8000/pk", "http://127.0.0.1:8000/pk/api/v1"),
    ],
)
def test_base_url_table(given: str, expected: str) -> None:
    assert api_url(given) == expected


def test_configuration_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PARTNERKREIS_API_KEY", API_KEY)
    monkeypatch.setenv("PARTNERKREIS_BASE_URL", "https://env.example.org")
    client = Client()
    assert client.api_url == "https://env.example.org/api/v1"
    assert API_KEY not in repr(client) and API_KEY not in repr(client._config)
    client.close()
    client = Client("pkr_other.key", base_url=BASE_URL)  # arguments win
    assert client.api_url == f"{BASE_URL}/api/v1"
    assert client._config.api_key == "pkr_other.key"
    client.close()


@pytest.mark.parametrize(
    ("key", "url", "message"),
    [
        (API_KEY, None, "PARTNERKREIS_BASE_URL"),
        (None, BASE_URL, "PARTNERKREIS_API_KEY"),
        (API_KEY, "partner.example.org", r"not an http\(s\) URL"),
    ],
)
def test_missing_configuration_is_named(
    no_env: None, key: str | None, url: str | None, message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message):
        resolve(key, url)
