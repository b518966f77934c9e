"""A member's mail settings: its e-mail address, the language of its mails and the
kinds of mail it does not want (``mail/contacts.py``).

Coordinators read and set every member's; a member key its own.  ``email: ""``
deletes the member's mail settings.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from widget_server.core.mailconfig import MAX_ADDRESS
from widget_server.core.models import LANGUAGES, MEMBER_MAIL_KINDS
from widget_server.mail import contacts
from widget_server.network import audit
from widget_server.web.bodies import Body, Field
from widget_server.web.endpoints.api.base import answer, parse, require_member
from widget_server.web.runtime import runtime_of

MEMBER_MAIL_PUT = Body(
    "MemberMailUpdate",
    (
        Field(
            "email",
            max_length=MAX_ADDRESS,
            description="Where the member's mails go; an empty string deletes its mail settings.",
        ),
        Field("language", enum=LANGUAGES, description="The language of its mails."),
        Field(
            "opt_outs",
            "array",
            max_length=len(MEMBER_MAIL_KINDS),
            item_max_length=20,
            description="Kinds of mail it does not want: " + ", ".join(MEMBER_MAIL_KINDS) + ".",
        ),
    ),
    "Any of the fields; those left out stay as they are.",
)


async def get_mail(request: Request) -> Response:
    _, member = await require_member(request, request.path_params["slug"])
    contact = await contacts.get_contact(runtime_of(request).storage, member)
    return answer(contacts.contact_dict(contact))


async def put_mail(request: Request) -> Response:
    principal, member = await require_member(request, request.path_params["slug"])
    storage = runtime_of(request).storage
    data = await parse(request, MEMBER_MAIL_PUT)
    before = await contacts.get_contact(storage, member)
    contact = await contacts.set_contact(
        storage,
        member,
        email=data.get("email"),
        language=data.get("language"),
        opt_outs=data.get("opt_outs"),
    )
    if contact != before:
        actor = f"key:{principal.key_id}" if principal.is_coordinator else f"member:{member.slug}"
        # The audit log names what changed, never the address itself.
        detail = "address deleted" if contact is None else "mail settings changed"
        await audit.record(storage, actor, "member.mail", f"member:{member.slug}", detail)
    return answer(contacts.contact_dict(contact))
