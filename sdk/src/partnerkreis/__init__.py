"""Partnerkreis for Python: the REST API, and partner blocks for server-rendered pages.

from partnerkreis import Client

client = Client()  # PARTNERKREIS_API_KEY, PARTNERKREIS_BASE_URL
block = client.blocks.get("hochzeit-heide", member="blumenhaus")
for member in client.members.list(theme="hochzeit-heide"):
    print(member.slug, member.status)
"""

from ._async_client import AsyncClient
from ._block import Block, Partner, Source
from ._bulk import BulkCreated, BulkCreateError, BulkResult, BulkRowError
from ._client import Client
from ._endpoints import Endpoint
from ._events import AsyncEvents, Event, Events
from ._exceptions import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    ConflictError,
    InternalServerError,
    NotFoundError,
    PartnerkreisError,
    PermissionDeniedError,
    PreconditionFailedError,
    RateLimitError,
    ValidationError,
)
from ._models import (
    ApiKey,
    Explanation,
    Member,
    Membership,
    Offer,
    OfferParticipant,
    Placement,
    Rules,
    Theme,
)
from ._pagination import AsyncListing, Listing, Page
from ._reports import DayFigures, MemberFigures, MemberStats, Tally, ThemeFigures, ThemeStats
from ._version import __version__

__all__ = [
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "ApiKey",
    "AsyncClient",
    "AsyncEvents",
    "AsyncListing",
    "AuthenticationError",
    "BadRequestError",
    "Block",
    "BulkCreateError",
    "BulkCreated",
    "BulkResult",
    "BulkRowError",
    "Client",
    "ConfigurationError",
    "ConflictError",
    "DayFigures",
    "Endpoint",
    "Event",
    "Events",
    "Explanation",
    "InternalServerError",
    "Listing",
    "Member",
    "MemberFigures",
    "MemberStats",
    "Membership",
    "NotFoundError",
    "Offer",
    "OfferParticipant",
    "Page",
    "Partner",
    "PartnerkreisError",
    "PermissionDeniedError",
    "Placement",
    "PreconditionFailedError",
    "RateLimitError",
    "Rules",
    "Source",
    "Tally",
    "Theme",
    "ThemeFigures",
    "ThemeStats",
    "ValidationError",
    "__version__",
]
