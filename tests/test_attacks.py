"""Findings of the attack round (issue 16), each kept as a test that failed before its fix."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette

from tests.admin_helpers import make_account, post, signed_in
from tests.api_auth import make_keys
from tests.conftest import Clock
from tests.portal_helpers import link_path
from widget_server.core.errors import BadTokenError, NotFoundError, ValidationError
from widget_server.core.logs import loggable_path
from widget_server.core.settings import Settings
from widget_server.core.signing import Signer
from widget_server.network.rules import load_document, parse_yaml
from widget_server.network.services import check_text, check_website, normalise_domain
from widget_server.storage import Storage

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/130.0 Safari/537.36"


def test_a_view_token_with_non_ascii_characters_is_a_bad_token(signer: Signer) -> None:
    with pytest.raises(BadTokenError):
        signer.read_view_token("x.é", 1800)


@pytest.mark.parametrize("value", ["https://[x", "https://a[b.example/", "http://]/"])
def test_a_website_that_urlsplit_cannot_parse_is_invalid(value: str) -> None:
    with pytest.raises(ValidationError) as caught:
        check_website(value)
    assert caught.value.field == "website"


@pytest.mark.parametrize("value", ["https://a[b.example", "//[::1"])
def test_a_domain_that_urlsplit_cannot_parse_is_invalid(value: str) -> None:
    with pytest.raises(ValidationError) as caught:
        normalise_domain(value)
    assert caught.value.field == "domains"


@pytest.mark.asyncio
async def test_a_beacon_with_a_non_ascii_token_is_answered_like_any_other(
    network: dict[str, int], app: Starlette, client: httpx.AsyncClient
) -> None:
    headers = {"Origin": "https://blumen.example", "User-Agent": BROWSER}
    response = await client.post("/v/x.%C3%A9", headers=headers)
    assert response.status_code == 204
    assert app.state.runtime.counting.rejected.get("bad-token") == 1


@pytest.mark.asyncio
async def test_a_logo_url_with_a_huge_member_id_is_not_found(
    network: dict[str, int], client: httpx.AsyncClient
) -> None:
    response = await client.get("/logos/99999999999999999999999999-a.png")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.asyncio
async def test_a_nul_character_in_a_looked_up_name_finds_nothing_on_either_database(
    network: dict[str, int], storage: Storage, client: httpx.AsyncClient
) -> None:
    # PostgreSQL's text cannot hold NUL: such a lookup was a 503 "database not
    # reachable" there, and a plain "not found" on SQLite.  Both say not found now.
    with pytest.raises(NotFoundError):
        await storage.get_theme("hoch\x00zeit")
    with pytest.raises(NotFoundError):
        await storage.get_member("blumen\x00")
    keys = await make_keys(storage)
    for path in ("/api/v1/themes/a%00", "/api/v1/members/a%00", "/api/v1/offers?theme=a%00"):
        response = await client.get(path, headers=keys.coordinator)
        assert response.status_code == 404, path
        assert response.headers["content-type"] == "application/problem+json"
    listed = await client.get("/api/v1/members?theme=a%00", headers=keys.coordinator)
    assert listed.status_code == 422 and listed.json()["field"] == "theme"
    joined = await client.post(
        "/api/v1/members",
        headers=keys.coordinator,
        json={"slug": "neu", "name": "Neu", "website": "https://neu.example/", "themes": ["a\x00"]},
    )
    assert joined.status_code == 422 and joined.json()["field"] == "themes"
    assert (await client.get("/api/v1/members/blumen", headers=keys.coordinator)).status_code == 200


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("body", "field"),
    [({"website": "https://[x"}, "website"), ({"domains": ["https://a[b.example"]}, "domains")],
)
async def test_a_bracket_in_a_website_or_domain_is_a_422_through_the_api(
    network: dict[str, int],
    storage: Storage,
    client: httpx.AsyncClient,
    body: dict[str, object],
    field: str,
) -> None:
    keys = await make_keys(storage)
    response = await client.patch("/api/v1/members/blumen", headers=keys.coordinator, json=body)
    assert response.status_code == 422
    assert response.json()["field"] == field


# -- the Host header (issue 16) ------------------------------------------------------------


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "host", ["evil.example", 'x"><script>alert(1)</script>', "testserver.evil.example", "a b"]
)
async def test_a_host_header_naming_no_host_of_ours_is_refused(
    network: dict[str, int], client: httpx.AsyncClient, signer: Signer, host: str
) -> None:
    token = signer.embed_token(network["blumen"])
    for path in (f"/w/{token}", f"/w/{token}.html", "/embed.js", "/admin/login"):
        response = await client.get(path, headers={"Host": host})
        assert response.status_code == 400, path
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "bad-host"
        assert "evil" not in response.text and "<script>" not in response.text


@pytest.mark.asyncio
async def test_an_allowed_host_with_a_port_is_served(
    network: dict[str, int], client: httpx.AsyncClient, signer: Signer
) -> None:
    token = signer.embed_token(network["blumen"])
    response = await client.get(f"/w/{token}.html", headers={"Host": "localhost:8000"})
    assert response.status_code == 200
    assert "http://localhost:8000/c/" in response.text


@pytest.mark.parametrize(
    ("public_url", "allowed", "hosts"),
    [
        (None, (), ("localhost", "127.0.0.1", "::1")),
        ("https://partner.example.org", (), ("partner.example.org",)),
        ("https://partner.example.org", ("a.example", "b.example"), ("a.example", "b.example")),
    ],
)
def test_allowed_hosts_default_to_the_public_urls_host_else_loopback(
    public_url: str | None, allowed: tuple[str, ...], hosts: tuple[str, ...]
) -> None:
    settings = Settings(public_url=public_url, allowed_hosts=allowed)
    assert settings.hosts() == hosts
    environ = {"WIDGET_ALLOWED_HOSTS": ",".join(allowed)} if allowed else {}
    if public_url:
        environ["WIDGET_PUBLIC_URL"] = public_url
    assert Settings.from_environ(environ).hosts() == hosts


def test_an_invalid_allowed_host_is_named() -> None:
    with pytest.raises(ValueError, match="WIDGET_ALLOWED_HOSTS"):
        Settings.from_environ({"WIDGET_ALLOWED_HOSTS": "ok.example,bad host/"})


# -- tokens in logs (issue 16) -------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "logged"),
    [
        ("/portal/eyJtIjozfQ.aBcD.sig-_x", "/portal/{token}"),
        ("/portal/profile", "/portal/profile"),
        ("/w/abc.def", "/w/{token}"),
        ("/w/abc.def.html", "/w/{token}.html"),
        ("/c/abc.def.ghi", "/c/{token}"),
        ("/v/abc.def", "/v/{token}"),
        ("/admin/members/blumen", "/admin/members/blumen"),
    ],
)
def test_the_request_log_shows_no_token(path: str, logged: str) -> None:
    assert loggable_path(path) == logged


@pytest.mark.asyncio
async def test_a_portal_links_token_is_not_in_the_request_log(
    network: dict[str, int],
    storage: Storage,
    client: httpx.AsyncClient,
    signer: Signer,
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    path = await link_path(storage, signer, clock, "blumen")
    token = path.rsplit("/", 1)[1]
    with caplog.at_level(logging.DEBUG, logger="widget_server.access"):
        assert (await client.get(path)).status_code == 303
    lines = [json.dumps(vars(r), default=str) for r in caplog.records]
    assert any("/portal/{token}" in line for line in lines)
    assert not any(token in line for line in lines)


# -- YAML (issue 16) -------------------------------------------------------------------------

ALIAS_BOMB = "\n".join(
    ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    + [
        f"{c}: &{c} [{','.join([f'*{p}'] * 9)}]"
        for p, c in zip("abcdefgh", "bcdefghi", strict=True)
    ]
)


def test_a_yaml_alias_bomb_is_refused_at_once() -> None:
    assert len(ALIAS_BOMB) < 400
    with pytest.raises(ValidationError) as caught:
        parse_yaml(ALIAS_BOMB, "document")
    assert caught.value.field == "document"
    assert "aliases" in caught.value.reason and "line 2" in caught.value.reason


def test_a_yaml_document_over_the_size_limit_is_refused() -> None:
    with pytest.raises(ValidationError, match="at most 65536"):
        parse_yaml("a: " + "x" * 70_000)


@pytest.mark.asyncio
async def test_the_rules_preview_refuses_an_alias_bomb(
    network: dict[str, int], storage: Storage, client: httpx.AsyncClient
) -> None:
    await make_account(storage)
    await signed_in(client)
    response = await post(
        client,
        "/admin/themes/hochzeit/rules/preview",
        {"form": "document", "document": ALIAS_BOMB},
    )
    assert response.status_code == 422
    assert "preview-invalid" in response.text  # at once, not after 35 s and 492 MB


def test_a_rules_file_with_an_alias_bomb_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(ALIAS_BOMB, encoding="utf-8")
    with pytest.raises(ValidationError, match="rules.yaml: line 2: aliases"):
        load_document(path)


# -- bidi controls (issue 16) ----------------------------------------------------------------


@pytest.mark.parametrize("control", ["\u202e", "\u202d", "\u2066", "\u2067", "\u2069", "\u200f"])
def test_bidi_controls_are_stripped_from_member_text(control: str) -> None:
    assert check_text("name", f"Blumen{control}haus", limit=80) == "Blumenhaus"


@pytest.mark.asyncio
async def test_a_member_name_with_an_override_is_stored_without_it(
    network: dict[str, int], storage: Storage, client: httpx.AsyncClient
) -> None:
    keys = await make_keys(storage)
    body = {"name": "Blumen \u202eemosewa", "description": "gut\u2066 und \u2069günstig"}
    response = await client.patch("/api/v1/members/blumen", headers=keys.coordinator, json=body)
    assert response.status_code == 200
    member = await storage.get_member("blumen")
    assert (member.name, member.description) == ("Blumen emosewa", "gut und günstig")
