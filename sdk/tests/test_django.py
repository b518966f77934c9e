"""The Django template tag, with settings configured here and a template rendered."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

django = pytest.importorskip("django")

from django.conf import settings  # noqa: E402
from django.template import TemplateSyntaxError, engines  # noqa: E402
from django.test import override_settings  # noqa: E402

from partnerkreis import Client  # noqa: E402
from partnerkreis.integrations import django as integration  # noqa: E402

from .conftest import API_KEY, NAV, Clock, FakeAPI, block_answer, make_client, problem  # noqa: E402

HOSTILE = '<script>alert("x")</script>'

if not settings.configured:
    settings.configure(
        INSTALLED_APPS=["partnerkreis.integrations.django"],
        TEMPLATES=[{"BACKEND": "django.template.backends.django.DjangoTemplates"}],
        PARTNERKREIS={"BASE_URL": "https://partner.example.org", "API_KEY": API_KEY},
    )
    django.setup()


@pytest.fixture
def api(clock: Clock) -> Iterator[FakeAPI]:
    fake = FakeAPI(block_answer())
    integration.set_client(make_client(fake, clock=clock))
    yield fake
    integration.set_client(None)


def render(source: str, **context: object) -> str:
    return engines["django"].from_string(source).render(context)


def test_the_tag_renders_the_block_unescaped_and_variables_escaped(api: FakeAPI) -> None:
    html = render(
        "{% load partnerkreis %}"
        '<aside>{% partnerkreis_block "hochzeit-heide" member="blumenhaus" %}</aside>'
        "<p>{{ comment }}</p>",
        comment=HOSTILE,
    )
    assert html == f"<aside>{NAV}</aside><p>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</p>"
    assert api.last.url.path == "/api/v1/blocks/hochzeit-heide/blumenhaus"


def test_as_variable_with_options_and_default_member(api: FakeAPI) -> None:
    with override_settings(PARTNERKREIS={"MEMBER": "catering", "BASE_URL": "https://x.example"}):
        integration.set_client(make_client(api))
        html = render(
            '{% load partnerkreis %}{% partnerkreis_block "hochzeit-heide" lang="en" as block %}'
            "{% if block %}[{{ block }}]{% endif %}{{ block.source }}"
        )
    assert html == f"[{NAV}]network"
    assert api.last.url.path.endswith("/hochzeit-heide/catering")
    assert api.last.url.params["lang"] == "en"


def test_a_failing_server_renders_nothing(clock: Clock) -> None:
    integration.set_client(make_client(FakeAPI(problem(503, "unavailable")), clock=clock))
    try:
        html = render('{% load partnerkreis %}<{% partnerkreis_block "t" member="m" %}>')
    finally:
        integration.set_client(None)
    assert html == "<>"


def test_the_client_is_made_from_the_settings_and_remade_when_they_change() -> None:
    integration.set_client(None)
    client = integration.get_client()
    assert isinstance(client, Client)
    assert client.api_url == "https://partner.example.org/api/v1"
    assert integration.get_client() is client
    with override_settings(
        PARTNERKREIS={"BASE_URL": "https://other.example", "API_KEY": API_KEY, "BLOCK_TIMEOUT": 0.5}
    ):
        other = integration.get_client()
        assert other.api_url == "https://other.example/api/v1"
        assert other.blocks.timeout == 0.5
    assert integration.get_client().api_url == "https://partner.example.org/api/v1"
    integration.set_client(None)


def test_missing_configuration_renders_nothing_or_raises_when_asked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("PARTNERKREIS_API_KEY", raising=False)
    monkeypatch.delenv("PARTNERKREIS_BASE_URL", raising=False)
    with override_settings(PARTNERKREIS={}):
        assert render('{% load partnerkreis %}{% partnerkreis_block "t" member="m" %}') == ""
        with pytest.raises(TemplateSyntaxError, match="member"):
            render('{% load partnerkreis %}{% partnerkreis_block "t" %}')
    with override_settings(PARTNERKREIS={"RAISE_ERRORS": True}):
        from partnerkreis import ConfigurationError

        with pytest.raises(ConfigurationError):
            render('{% load partnerkreis %}{% partnerkreis_block "t" member="m" %}')


def test_a_block_passed_in_from_a_view_renders_unescaped_too() -> None:
    from partnerkreis import Block

    block = Block(theme="t", member="m", html=NAV)
    html = render("{{ block }}|{{ block.html }}|{{ comment }}", block=block, comment=HOSTILE)
    shown, raw_text, comment = html.split("|")
    assert shown == NAV
    assert raw_text.startswith("&lt;nav")  # block.html is a plain string: escaped, so use block
    assert comment.startswith("&lt;script&gt;")


CSS_URL = "https://partner.example.org/static/blocks-0123456789abcdef.css"


def test_the_stylesheet_is_linked_once_per_page_includes_too(clock: Clock) -> None:
    fake = FakeAPI(block_answer(stylesheet=CSS_URL))
    integration.set_client(make_client(fake, clock=clock))
    try:
        link = f'<link rel="stylesheet" href="{CSS_URL}">'
        page = render(
            '{% load partnerkreis %}{% partnerkreis_block "a" member="m" %}'
            '|{% partnerkreis_block "b" member="m" %}'
            "|{% include inner %}",
            inner=engines["django"].from_string(
                '{% load partnerkreis %}{% partnerkreis_block "c" member="m" %}'
            ),
        )
        assert page == f"{link}{NAV}|{NAV}|{NAV}"
        # Every page links it again.
        second = render('{% load partnerkreis %}{% partnerkreis_block "a" member="m" %}')
        assert second == link + NAV
    finally:
        integration.set_client(None)


def test_verify_on_startup_stops_a_wrong_configuration(clock: Clock) -> None:
    from django.apps import apps

    from partnerkreis import AuthenticationError

    config = apps.get_app_config("partnerkreis")
    refused = FakeAPI(problem(401, "unauthorized", "Unknown API key"))
    conf = {"BASE_URL": "https://partner.example.org", "API_KEY": API_KEY}
    with override_settings(PARTNERKREIS={**conf, "VERIFY_ON_STARTUP": True}):
        integration.set_client(make_client(refused, clock=clock))
        with pytest.raises(AuthenticationError):
            config.ready()
        assert refused.last.url.path == "/api/v1/themes"
    with override_settings(PARTNERKREIS=conf):  # off by default: no request at start-up
        quiet = FakeAPI(problem(401, "unauthorized", "Unknown API key"))
        integration.set_client(make_client(quiet, clock=clock))
        config.ready()
        assert quiet.requests == []
    integration.set_client(None)
