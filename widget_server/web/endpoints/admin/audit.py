"""The audit log page: who changed which rules, members and themes, and when."""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.responses import Response

from widget_server.network import audit
from widget_server.web.endpoints.admin.base import render
from widget_server.web.runtime import runtime_of

LIMIT = 200
_SUBJECT = re.compile(r"^(member|theme):[a-z0-9]+(?:-[a-z0-9]+)*$")


async def audit_page(request: Request) -> Response:
    storage = runtime_of(request).storage
    subject = request.query_params.get("subject") or None
    if subject is not None and not _SUBJECT.match(subject):
        subject = None
    lines = await audit.entries(storage, subject=subject, limit=LIMIT)
    return render(
        request,
        "audit.html",
        {"section": "audit", "lines": lines, "subject": subject, "limit": LIMIT},
    )
