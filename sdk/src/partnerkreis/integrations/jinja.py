"""Partner blocks in Jinja2 templates: Flask, Starlette, Pelican, or a bare ``Environment``.

    from partnerkreis import Client
    from partnerkreis.integrations.jinja import install

    install(env, Client(), member="blumenhaus")

    {{ partnerkreis_block("hochzeit-heide") }}
    {{ partnerkreis_block("hochzeit-heide", member="catering", lang="en", layout="list") }}

The global returns a ``Block`` (with the block stylesheet's ``<link>`` before
the first block of a page render), which Jinja2's autoescape leaves alone (it has
``__html__``: the server escaped the member text already) and which is false
when empty, so ``{% set block = partnerkreis_block(...) %}{% if block %}...``
can wrap it.  With an ``AsyncClient`` the environment must be async
(``enable_async=True``) and Jinja2 awaits the block by itself.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, overload

from .._async_client import AsyncClient
from .._block import Block
from .._client import Client

if TYPE_CHECKING:
    import jinja2

from jinja2 import pass_context

NAME = "partnerkreis_block"
LINKED = "_partnerkreis_stylesheets"  # in the render's variables: stylesheets linked already


def once_per_page(context: Any, block: Block) -> Block:
    """The block with its stylesheet ``<link>`` if this render has not linked it yet.

    The set lives in the render's top-level variables, which included templates
    share; a first block inside an include links it for that include only."""
    if not block.html or not block.stylesheet:
        return block
    linked = context.parent.get(LINKED)
    if not isinstance(linked, set):
        linked = context.parent[LINKED] = set()
    if block.stylesheet in linked:
        return block.without_stylesheet()
    linked.add(block.stylesheet)
    return block


SyncBlockFunction = Callable[..., Block]
AsyncBlockFunction = Callable[..., Awaitable[Block]]


def _member(given: str | None, default: str | None) -> str:
    member = given or default
    if not member:
        raise TypeError(
            f"{NAME}() needs member=... (or a default: install(env, client, member=...))"
        )
    return member


@overload
def block_function(
    client: Client, *, member: str | None = None, raise_errors: bool = False
) -> SyncBlockFunction: ...


@overload
def block_function(
    client: AsyncClient, *, member: str | None = None, raise_errors: bool = False
) -> AsyncBlockFunction: ...


def block_function(
    client: Client | AsyncClient, *, member: str | None = None, raise_errors: bool = False
) -> SyncBlockFunction | AsyncBlockFunction:
    """The template function on its own (for Pelican's ``JINJA_GLOBALS``, for instance).

    ``raise_errors=True`` lets a failed fetch raise instead of rendering the
    fallback: for a static build that should fail rather than publish pages
    without partners.
    """
    default = member
    if isinstance(client, AsyncClient):
        async_client = client

        async def partnerkreis_block_async(
            context: Any,
            theme: str,
            member: str | None = None,
            lang: str | None = None,
            layout: str | None = None,
            show: str | None = None,
        ) -> Block:
            slug = _member(member, default)
            block = await async_client.blocks.get(
                theme, member=slug, lang=lang, layout=layout, show=show, raise_errors=raise_errors
            )
            return once_per_page(context, block)

        return pass_context(partnerkreis_block_async)

    def partnerkreis_block(
        context: Any,
        theme: str,
        member: str | None = None,
        lang: str | None = None,
        layout: str | None = None,
        show: str | None = None,
    ) -> Block:
        slug = _member(member, default)
        block = client.blocks.get(
            theme, member=slug, lang=lang, layout=layout, show=show, raise_errors=raise_errors
        )
        return once_per_page(context, block)

    return pass_context(partnerkreis_block)


def install(
    env: jinja2.Environment,
    client: Client | AsyncClient,
    *,
    member: str | None = None,
    raise_errors: bool = False,
    name: str = NAME,
) -> None:
    """Add ``partnerkreis_block(theme, member=None, lang=None, layout=None)`` to ``env``'s globals.

    ``member`` is the default member, for a site that is one member's;
    ``raise_errors`` as for ``block_function``.
    """
    if isinstance(client, AsyncClient) and not env.is_async:
        raise TypeError("an AsyncClient needs an async Jinja2 environment (enable_async=True)")
    env.globals[name] = block_function(client, member=member, raise_errors=raise_errors)
