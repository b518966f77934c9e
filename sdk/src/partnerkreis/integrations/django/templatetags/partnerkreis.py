"""``{% load partnerkreis %}``: the ``partnerkreis_block`` tag."""

from __future__ import annotations

from django import template

from ...._block import Block
from ...._exceptions import ConfigurationError
from .. import get_client, log, options

register = template.Library()


@register.simple_tag
def partnerkreis_block(
    theme: str,
    member: str | None = None,
    lang: str | None = None,
    layout: str | None = None,
) -> Block:
    """``theme``'s partner block for ``member`` (default: ``PARTNERKREIS["MEMBER"]``).

    Renders the server's HTML as it is (autoescape leaves a ``Block`` alone) and
    nothing when there is no block; never raises unless ``RAISE_ERRORS``.
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
    return client.blocks.get(
        theme, member=str(slug), lang=lang, layout=layout, raise_errors=raise_errors
    )
