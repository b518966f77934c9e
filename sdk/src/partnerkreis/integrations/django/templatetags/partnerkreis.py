"""``{% load partnerkreis %}``: the ``partnerkreis_block`` tag."""

from __future__ import annotations

from typing import Any

from django import template

from ...._block import Block
from ...._exceptions import ConfigurationError
from .. import get_client, log, options

register = template.Library()


LINKED = "partnerkreis_stylesheets"  # in the render context: stylesheets linked already


def once_per_page(context: template.Context, block: Block) -> Block:
    """The block with its stylesheet ``<link>`` if this page has not linked it yet."""
    if not block.html or not block.stylesheet:
        return block
    top: Any = context.render_context.dicts[0]  # one dict for the whole render
    linked: set[str] = top.setdefault(LINKED, set())
    if block.stylesheet in linked:
        return block.without_stylesheet()
    linked.add(block.stylesheet)
    return block


@register.simple_tag(takes_context=True)
def partnerkreis_block(
    context: template.Context,
    theme: str,
    member: str | None = None,
    lang: str | None = None,
    layout: str | None = None,
    show: str | None = None,
) -> Block:
    """``theme``'s partner block for ``member`` (default: ``PARTNERKREIS["MEMBER"]``).

    Renders the server's HTML as it is (autoescape leaves a ``Block`` alone),
    preceded by the block stylesheet's ``<link>`` once per page, and nothing
    when there is no block; never raises unless ``RAISE_ERRORS``.
    """
    conf = options()
    raise_errors = bool(conf.get("RAISE_ERRORS", False))
    slug = member or conf.get("MEMBER")
    if not slug:
        raise template.TemplateSyntaxError(
            'partnerkreis_block needs member="..." or PARTNERKREIS["MEMBER"] in the settings'
        )
    try:
        client = get_client()
    except ConfigurationError as exc:
        if raise_errors:
            raise
        log.error("partnerkreis: %s", exc)
        return Block.empty(theme, str(slug), exc)
    block = client.blocks.get(
        theme, member=str(slug), lang=lang, layout=layout, show=show, raise_errors=raise_errors
    )
    return once_per_page(context, block)
