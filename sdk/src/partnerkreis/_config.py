"""Where a client's settings come from: its arguments, else the environment.

The only module that reads ``os.environ``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from ._exceptions import ConfigurationError

API_KEY_VARIABLE = "PARTNERKREIS_API_KEY"
BASE_URL_VARIABLE = "PARTNERKREIS_BASE_URL"
API_PATH = "/api/v1"


@dataclass(frozen=True)
class Config:
    api_key: str
    api_url: str  # the server's URL with /api/v1, without a trailing slash

    def __repr__(self) -> str:  # never print the key
        return f"Config(api_key='{self.api_key[:12]}...', api_url={self.api_url!r})"


def api_url(base_url: str) -> str:
    """The API's root for a server URL (``https://partner.example.org`` or ``.../api/v1``)."""
    url = base_url.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigurationError(f"the base URL {base_url!r} is not an http(s) URL")
    return url if url.endswith(API_PATH) else url + API_PATH


def resolve(
    api_key: str | None,
    base_url: str | None,
    environ: Mapping[str, str] | None = None,
) -> Config:
    """Arguments win; missing ones are read from ``PARTNERKREIS_*`` variables."""
    env = os.environ if environ is None else environ
    key = api_key or env.get(API_KEY_VARIABLE, "").strip()
    url = base_url or env.get(BASE_URL_VARIABLE, "").strip()
    if not url:
        raise ConfigurationError(
            f"no server URL: pass base_url=... or set {BASE_URL_VARIABLE}"
            " (e.g. https://partner.example.org)"
        )
    if not key:
        raise ConfigurationError(
            f"no API key: pass api_key=... or set {API_KEY_VARIABLE}"
            " (widget-server key create --scope coordinator|member:SLUG)"
        )
    return Config(api_key=key, api_url=api_url(url))
