"""``verify()``: the base URL and API key checked now, loudly (for start-up and deploys)."""

from __future__ import annotations

from ._endpoints import Endpoint, list_themes
from ._exceptions import ConfigurationError, NotFoundError, PartnerkreisError
from ._models import Theme
from ._pagination import Page

VERIFY_LIMIT = 1


def probe() -> Endpoint[Page[Theme]]:
    """The cheapest call every valid key may make: the first theme."""
    return list_themes(None, VERIFY_LIMIT)


def translate(api_url: str, exc: Exception) -> PartnerkreisError:
    """What ``verify()`` raises for what the probe raised.

    A wrong key stays an ``AuthenticationError`` (401) or ``PermissionDeniedError``,
    an unreachable server an ``APIConnectionError``; a server that answers but is no
    Partnerkreis API (404, or an answer that is not its JSON) is a
    ``ConfigurationError`` naming the URL.
    """
    if isinstance(exc, NotFoundError) or not isinstance(exc, PartnerkreisError):
        error = ConfigurationError(
            f"{api_url} is not a Partnerkreis API (check the base URL): {exc}"
        )
        error.__cause__ = exc
        return error
    return exc
