"""One-click unsubscribe from a kind of mail (RFC 8058), without login.

Every mail's ``List-Unsubscribe`` header and footer link lead here with a
signed token naming the address and the kind of mail
(``mail/outbox.Mailer.unsubscribe_url``).  A ``POST`` (the mail program's
one click, body ``List-Unsubscribe=One-Click``, or the button of the page)
records the opt-out; a ``GET`` only shows that button, because link scanners
and previews open links without anyone asking to unsubscribe.  No cookie is
set and nothing but the opt-out is stored.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from widget_server.core.errors import BadTokenError
from widget_server.mail.outbox import Unsubscribe
from widget_server.web.endpoints.public import PAGE_HEADERS, request_language
from widget_server.web.labels import MAIL_KINDS
from widget_server.web.runtime import mailer_of, runtime_of


def _page(request: Request, found: Unsubscribe | None, done: bool, status: int) -> Response:
    lang = request_language(request)
    return runtime_of(request).templates.TemplateResponse(
        request,
        "public/unsubscribe.html",
        {
            "lang": lang,
            "kind": MAIL_KINDS.get(found.kind, "") if found else "",
            "email": found.email if found else "",
            "done": done,
            "valid": found is not None,
        },
        status_code=status,
        headers=PAGE_HEADERS,
    )


def _read(request: Request) -> Unsubscribe | None:
    try:
        return mailer_of(request).read_unsubscribe(request.path_params["token"])
    except BadTokenError:
        return None


async def confirm(request: Request) -> Response:
    found = _read(request)
    return _page(request, found, False, 200 if found else 400)


async def unsubscribe(request: Request) -> Response:
    found = _read(request)
    if found is None:
        return _page(request, None, False, 400)
    await mailer_of(request).unsubscribe(found)
    return _page(request, found, True, 200)
