"""The Jinja2 global: the block's HTML unescaped, everything else escaped as usual."""

from __future__ import annotations

import httpx
import jinja2
import pytest

from partnerkreis.integrations.jinja import block_function, install

from .conftest import NAV, Clock, FakeAPI, block_answer, make_async_client, make_client, problem

HOSTILE = '<script>alert("x")</script>'


def environment(**options: object) -> jinja2.Environment:
    return jinja2.Environment(autoescape=True, **options)  # type: ignore[arg-type]


def test_the_block_renders_unescaped_and_a_plain_variable_escaped(clock: Clock) -> None:
    api = FakeAPI(block_answer())
    env = environment()
    with make_client(api, clock=clock) as client:
        install(env, client)
        html = env.from_string(
            '<aside>{{ partnerkreis_block("hochzeit-heide", member="blumenhaus") }}</aside>'
            "<p>{{ comment }}</p>"
        ).render(comment=HOSTILE)
    assert html == f"<aside>{NAV}</aside><p>&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;</p>"
    assert "&amp;amp;" not in html  # the server's escaping is not doubled


def test_default_member_options_and_an_empty_fallback(clock: Clock) -> None:
    api = FakeAPI(problem(503, "unavailable"))
    env = environment()
    with make_client(api, clock=clock) as client:
        install(env, client, member="blumenhaus")
        template = env.from_string(
            '{% set block = partnerkreis_block("hochzeit-heide", lang="en", layout="list") %}'
            "{% if block %}<aside>{{ block }}</aside>{% else %}-{% endif %}"
        )
        assert template.render() == "-"
    assert api.last.url.path.endswith("/hochzeit-heide/blumenhaus")
    assert api.last.url.params["lang"] == "en"


def test_a_missing_member_is_a_template_error(clock: Clock) -> None:
    env = environment()
    with make_client(FakeAPI(block_answer()), clock=clock) as client:
        install(env, client)
        with pytest.raises(TypeError, match="member"):
            env.from_string('{{ partnerkreis_block("hochzeit-heide") }}').render()


def test_block_function_alone_for_pelican_globals(clock: Clock) -> None:
    with make_client(FakeAPI(block_answer()), clock=clock) as client:
        env = environment()
        env.globals["partnerkreis_block"] = block_function(client, member="blumenhaus")
        assert env.from_string('{{ partnerkreis_block("t") }}').render() == NAV


@pytest.mark.asyncio
async def test_an_async_client_in_an_async_environment(clock: Clock) -> None:
    env = environment(enable_async=True)
    async with make_async_client(FakeAPI(block_answer()), clock=clock) as client:
        install(env, client, member="blumenhaus")
        html = await env.from_string(
            '{{ partnerkreis_block("hochzeit-heide") }}{{ x }}'
        ).render_async(x=HOSTILE)
        with pytest.raises(TypeError, match="enable_async"):
            install(environment(), client)
    assert html.startswith(NAV)
    assert "&lt;script&gt;" in html


def test_httpx_is_the_only_dependency() -> None:
    import importlib.metadata

    requires = importlib.metadata.requires("partnerkreis") or []
    assert [r for r in requires if "extra ==" not in r] == ["httpx>=0.27"]
    assert httpx  # the one dependency


def test_a_block_passed_in_from_a_view_renders_unescaped_too() -> None:
    from partnerkreis import Block

    block = Block(theme="t", member="m", html=NAV)
    template = environment().from_string("{{ block }}|{{ comment }}")
    html = template.render(block=block, comment=HOSTILE)
    assert html == f"{NAV}|&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;"


def test_raise_errors_for_a_static_build(clock: Clock) -> None:
    from partnerkreis import InternalServerError

    with make_client(FakeAPI(problem(503, "unavailable")), clock=clock) as client:
        env = environment()
        install(env, client, member="blumenhaus", raise_errors=True)
        with pytest.raises(InternalServerError):
            env.from_string('{{ partnerkreis_block("hochzeit-heide") }}').render()


def test_the_stylesheet_is_linked_once_per_page_render(clock: Clock) -> None:
    css = "https://partner.example.org/static/blocks-0123456789abcdef.css"
    env = environment()
    with make_client(FakeAPI(block_answer(stylesheet=css)), clock=clock) as client:
        install(env, client, member="blumenhaus")
        template = env.from_string('{{ partnerkreis_block("a") }}|{{ partnerkreis_block("b") }}')
        first, second = template.render(), template.render()
    link = f'<link rel="stylesheet" href="{css}">'
    assert first == second == f"{link}{NAV}|{NAV}"
