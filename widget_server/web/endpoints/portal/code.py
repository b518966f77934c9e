"""Portal: the paste-ready code per theme, the site-builder guides, and the live preview.

The code is exactly what ``widget-server snippet`` prints for the member's
default placement in each theme it takes part in (``snippets.py``).

The preview is the real block of this moment: the same selection as
``/w/{token}`` (``blocks.select_slots`` on the snapshot, the same rotation
bucket, hence the same partners visitors see now), rendered by the iframe
variant's template (``widget/frame.html``, ``widget.css``) into a frame of
its own, so the portal's styles cannot change it.  Nothing is counted: the
preview is not a visitor.  It works without JavaScript; ``static/portal.js``
fits the frame to its block and reloads it when the rotation moves on.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from widget_server.core.errors import NotFoundError
from widget_server.core.i18n import translator
from widget_server.core.models import Member, Placement, Theme
from widget_server.network import services as network
from widget_server.serving.blocks import build_block, resolve_display, rotation_at, select_slots
from widget_server.serving.slots import SHOW_ALL as JOINT_SHOW
from widget_server.serving.snippets import iframe_snippet, placement_snippet
from widget_server.web.endpoints.frame import frame_csp
from widget_server.web.endpoints.portal.base import member_of, render
from widget_server.web.endpoints.portal.pages import memberships
from widget_server.web.endpoints.widget import NOSNIFF
from widget_server.web.runtime import Runtime, runtime_of

SHOWN = ("active", "paused", "pending")  # memberships with a code (not "left")
REQUEST_REFRESH = 60  # seconds between preview reloads when every request draws anew


async def _placement(runtime: Runtime, member: Member, theme: Theme) -> Placement:
    """The member's default placement in the theme (as ``widget-server snippet`` makes it)."""
    _, _, placement = await network.placement_for(runtime.storage, member.slug, theme.slug)
    assert runtime.snapshots is not None
    if placement.id not in runtime.snapshots.current.placements:
        await runtime.snapshots.refresh()  # made just now
    return placement


async def code_page(request: Request) -> Response:
    runtime = runtime_of(request)
    assert runtime.signer is not None and runtime.snapshots is not None
    member = member_of(request)
    base_url = runtime.base_url(request).rstrip("/")
    now = runtime.clock()
    blocks: list[dict[str, Any]] = []
    for theme, status in await memberships(runtime.storage, member):
        if status not in SHOWN:
            continue
        placement = await _placement(runtime, member, theme)
        token = runtime.signer.embed_token(placement.id)
        rules = runtime.snapshots.current.pools[theme.id].rules.at(now)
        rotation = rotation_at(rules, now, 0)
        blocks.append(
            {
                "theme": theme,
                "status": status,
                "snippet": placement_snippet(base_url, token, theme, placement.options.lang),
                # The same code with the joint slot (serving/slots.py): the theme's joint
                # offer or next event as one more card.
                "snippet_joint": placement_snippet(
                    base_url, token, theme, placement.options.lang, show=JOINT_SHOW
                ),
                "iframe": iframe_snippet(
                    base_url,
                    token,
                    title=theme.name(placement.options.lang or "de"),
                    layout=placement.options.layout,
                ),
                "address": f"{base_url}/w/{token}.html",
                "preview": request.url_for("portal_preview", theme=theme.slug).path,
                "refresh": rotation.seconds_left if rotation.cacheable else REQUEST_REFRESH,
                "interval": rules.bucket_seconds if rotation.cacheable else REQUEST_REFRESH,
            }
        )
    return render(request, "code.html", {"section": "code", "blocks": blocks})


async def preview(request: Request) -> Response:
    """The member's block in one of its themes as visitors see it now, as a frame page."""
    runtime = runtime_of(request)
    assert runtime.signer is not None and runtime.snapshots is not None
    member = member_of(request)
    slug = request.path_params["theme"]
    theme = next(
        (
            t
            for t, status in await memberships(runtime.storage, member)
            if t.slug == slug and status in SHOWN
        ),
        None,
    )
    if theme is None:  # only the member's own themes, whatever is put in the URL
        raise NotFoundError(f"member {member.slug!r} is not in theme {slug!r}")
    placement = await _placement(runtime, member, theme)
    snapshot = runtime.snapshots.current
    display = resolve_display(placement, None, None, None)  # what a plain embed shows
    slots, rules, rotation = select_slots(
        snapshot, placement, runtime.clock(), runtime.key, runtime.request_nonce()
    )
    base_url = runtime.base_url(request).rstrip("/")
    block = build_block(
        snapshot,
        placement,
        display,
        slots=slots,
        rules=rules,
        rotation=rotation,
        signer=runtime.signer,
        base_url=base_url,
    )
    return runtime.templates.TemplateResponse(
        request,
        "widget/frame.html",
        {
            "block": block,
            "lang": display.lang,
            "title": translator(display.lang).gettext(
                "Partners in the %(theme)s network", theme=theme.name(display.lang)
            ),
            "css_url": base_url + runtime.block_css.path,
        },
        headers={
            **NOSNIFF,
            # Framed by the code page only; the guard adds no-store and no Referer.
            "Content-Security-Policy": frame_csp(base_url) + "; frame-ancestors 'self'",
        },
    )
