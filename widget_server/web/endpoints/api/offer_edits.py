"""Changing a joint offer through the REST API: PATCH, and its image (network/offer_edits.py).

The member that proposed an offer (its member key) or a coordinator key
changes it.  Every change names the ``revision`` it was made on, as events
name their ``sequence``: one made on an old copy is a 409 instead of
overwriting another's.  A material change (text, price, days, participants)
asks the others to confirm again, as in the portal, with the same mail and
audit entry.

The image is sent as the request body itself (``PUT .../image``, the bytes of
a PNG, JPEG, WebP or GIF file of at most 512 KiB), checked and re-encoded like
a logo uploaded in the admin (``network/logos.py``), and served from
``image_url``; ``DELETE .../image`` removes it.  ``?revision=`` is optional
here: an image is no material change.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from widget_server.core.errors import ValidationError
from widget_server.core.models import Member, Offer
from widget_server.network import audit, offer_edits
from widget_server.network.logos import MAX_BYTES
from widget_server.network.offer_edits import OfferChanges
from widget_server.network.offers import MAX_PARTICIPANTS, MAX_PRICE, MAX_TEXT, MAX_TITLE
from widget_server.web.bodies import Body, Field
from widget_server.web.endpoints.api.base import Denied, answer, parse, require
from widget_server.web.endpoints.api.offers import _slug, _visible, offer_view, today_of
from widget_server.web.endpoints.offer_forms import after_edit
from widget_server.web.problems import problem
from widget_server.web.runtime import runtime_of

REVISION = Field(
    "revision",
    "integer",
    required=True,
    minimum=0,
    description="The offer's revision as read; a change made on an older one is a 409.",
)
OFFER_PATCH = Body(
    "OfferPatch",
    (
        Field("title", max_length=MAX_TITLE),
        Field("price_text", max_length=MAX_PRICE),
        Field("text", max_length=MAX_TEXT, description="Empty lines part paragraphs."),
        Field("valid_from", max_length=10, description="First day, YYYY-MM-DD."),
        Field("valid_until", max_length=10, description="Last day, YYYY-MM-DD."),
        Field(
            "participants",
            "array",
            max_length=MAX_PARTICIPANTS,
            item_max_length=60,
            description="Slugs of the other members taking part (the proposer stays).",
        ),
        REVISION,
    ),
    "Any of the fields, and the revision of the offer as read; those left out stay. A new"
    " text, price, days or participants asks the others to confirm again.",
)
IMAGE_TYPES = ("image/png", "image/jpeg", "image/webp", "image/gif")


async def _editor(request: Request, offer: Offer) -> Member | None:
    """The member key's member if it proposed ``offer``; None for a coordinator key."""
    principal = await require(request)
    if principal.is_coordinator:
        return None
    member: Member = request.state.member
    if member.id != offer.proposer_id:
        raise Denied(403, "only the member that proposed an offer changes it")
    return member


def _actor(request: Request, editor: Member | None) -> str:
    if editor is not None:
        return f"member:{editor.slug}"
    return f"key:{request.state.principal.key_id}"


async def patch_offer(request: Request) -> Response:
    principal = await require(request)
    offer = await _visible(request, principal, _slug(request))
    editor = await _editor(request, offer)
    data = await parse(request, OFFER_PATCH)
    revision = data.pop("revision")
    edit = await offer_edits.edit(
        runtime_of(request).storage,
        offer.id,
        OfferChanges(**data),
        revision,
        today=today_of(request),
        editor=editor,
    )
    await after_edit(request, edit, _actor(request, editor), editor)
    return answer(await offer_view(request, edit.after))


def _revision(request: Request, offer: Offer) -> int:
    """``?revision=``: the revision the image is meant for; without it the current one (an
    image is no material change, so, as an ``If-Match`` left out, it may go unconditioned)."""
    raw = request.query_params.get("revision")
    if raw is None:
        return offer.revision
    if not raw.isdigit() or len(raw) > 9:
        raise ValidationError("revision", f"{raw[:20]!r} is not a revision (?revision=3)")
    return int(raw)


async def _body(request: Request) -> bytes | Response:
    """The image's bytes, read up to the limit (413 beyond it, whatever was declared)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BYTES:
        return problem(413, "too-large", "Request too large", f"at most {MAX_BYTES} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BYTES:
            return problem(413, "too-large", "Request too large", f"at most {MAX_BYTES} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def put_image(request: Request) -> Response:
    """Store a new image (the body) or, with DELETE, remove it; a new image keeps every
    confirmation (it is not material)."""
    principal = await require(request)
    offer = await _visible(request, principal, _slug(request))
    editor = await _editor(request, offer)
    revision = _revision(request, offer)
    if request.method == "PUT":
        data = await _body(request)
        if isinstance(data, Response):
            return data
        if not data:
            raise ValidationError("image", "the request body must be the image file")
        changes = OfferChanges(image=data)
    else:
        changes = OfferChanges(remove_image=True)
    edit = await offer_edits.edit(
        runtime_of(request).storage,
        offer.id,
        changes,
        revision,
        today=today_of(request),
        editor=editor,
    )
    if edit.changed:
        subject = f"offer:{edit.after.slug}"
        actor = _actor(request, editor)
        await audit.record(
            runtime_of(request).storage, actor, "offer.image", subject, edit.describe()
        )
    return answer(await offer_view(request, edit.after))
