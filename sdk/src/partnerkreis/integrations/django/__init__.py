"""Partner blocks in Django templates.

    INSTALLED_APPS = [..., "partnerkreis.integrations.django"]
    PARTNERKREIS = {
        "BASE_URL": "https://partner.example.org",   # else PARTNERKREIS_BASE_URL
        "API_KEY": env("PARTNERKREIS_API_KEY"),       # else PARTNERKREIS_API_KEY
        "MEMBER": "blumenhaus",                       # default for the tag's member=
        "BLOCK_TIMEOUT": 1.0,                         # seconds a block may take
        "RAISE_ERRORS": False,                        # True: errors raise, no fallback
    }

    {% load partnerkreis %}
    {% partnerkreis_block "hochzeit-heide" member="blumenhaus" %}
    {% partnerkreis_block "hochzeit-heide" lang="en" layout="list" as block %}
    {% if block %}<aside>{{ block }}</aside>{% endif %}

One ``Client`` per process, made on first use from these settings (and made
anew when a test changes them with ``override_settings``); ``set_client``
puts another in its place.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed

from ..._client import Client

SETTING = "PARTNERKREIS"
log = logging.getLogger("partnerkreis")

_lock = threading.Lock()
_client: Client | None = None


def options() -> Mapping[str, Any]:
    """``settings.PARTNERKREIS`` (an empty mapping if not set)."""
    value = getattr(settings, SETTING, None)
    return value if isinstance(value, Mapping) else {}


def get_client() -> Client:
    """The process' client, made from the settings on first use."""
    global _client
    with _lock:
        if _client is None:
            conf = options()
            _client = Client(
                api_key=conf.get("API_KEY"),
                base_url=conf.get("BASE_URL"),
                timeout=float(conf.get("TIMEOUT", 10.0)),
                block_timeout=float(conf.get("BLOCK_TIMEOUT", 1.0)),
            )
        return _client


def set_client(client: Client | None) -> None:
    """Use ``client`` from now on (None: make one from the settings on next use)."""
    global _client
    with _lock:
        old, _client = _client, client
    if old is not None and old is not client:
        old.close()


def _settings_changed(*, setting: str, **kwargs: Any) -> None:
    if setting == SETTING:
        set_client(None)


setting_changed.connect(_settings_changed)
