"""The mail settings' values: the SMTP URL and e-mail addresses, checked (pure).

``WIDGET_SMTP_URL`` names the operator's mail server:

* ``smtp://USER:PASS@HOST:587``: submission with STARTTLS, which is required
  (a server that does not offer it is an error, never a silent plain send);
* ``smtps://USER:PASS@HOST:465``: TLS from the first byte (implicit TLS);
* ``smtp://HOST:25?tls=off``: a relay on the same machine or network without
  TLS; credentials are refused here, as they would travel in the clear.

User and password may be percent-encoded (``%40`` for ``@``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.utils import parseaddr
from urllib.parse import parse_qs, unquote, urlsplit

# A practical address check (not RFC 5322's full grammar): one @, a dot-atom
# local part, a host name with a dot; nothing a header could be split on.
_LOCAL = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")
_HOST = re.compile(r"^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
MAX_ADDRESS = 254


def valid_address(value: str) -> bool:
    if len(value) > MAX_ADDRESS or value.count("@") != 1:
        return False
    local, host = value.rsplit("@", 1)
    return bool(_LOCAL.match(local)) and len(local) <= 64 and bool(_HOST.match(host.lower()))


def normalise_address(value: str) -> str:
    """The address with its host part in lower case (``ValueError`` when invalid)."""
    value = value.strip()
    if not valid_address(value):
        raise ValueError(f"{value!r} is not an e-mail address")
    local, host = value.rsplit("@", 1)
    return f"{local}@{host.lower()}"


def sender_address(value: str) -> Address:
    """``WIDGET_MAIL_FROM`` (``Name <addr>`` or a bare address) as a header address."""
    name, address = parseaddr(value)
    if not address or not valid_address(address) or any(c in name for c in '\r\n<>"'):
        raise ValueError(
            f"WIDGET_MAIL_FROM is not an address such as 'Partnerkreis <info@example.org>':"
            f" {value!r}"
        )
    local, host = address.rsplit("@", 1)
    return Address(display_name=name, username=local, domain=host.lower())


@dataclass(frozen=True)
class SmtpTarget:
    """Where and how to deliver, as the SMTP client takes it."""

    host: str
    port: int
    implicit_tls: bool  # smtps://
    starttls: bool  # smtp:// unless tls=off
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    def describe(self) -> str:
        """For the admin and logs: never the password."""
        mode = "TLS" if self.implicit_tls else "STARTTLS" if self.starttls else "no TLS"
        user = f"{self.username}@" if self.username else ""
        return f"{user}{self.host}:{self.port} ({mode})"


def smtp_target(url: str) -> SmtpTarget:
    """Parse ``WIDGET_SMTP_URL``; ``ValueError`` names what is wrong (never the password)."""
    name = "WIDGET_SMTP_URL"
    try:
        parts = urlsplit(url.strip())
        port = parts.port
        host = parts.hostname
    except ValueError:
        raise ValueError(f"{name} is not a URL such as smtp://user:pass@host:587") from None
    if parts.scheme not in ("smtp", "smtps"):
        raise ValueError(f"{name} must start with smtp:// or smtps://, got {parts.scheme!r}")
    if not host:
        raise ValueError(f"{name} names no host")
    if parts.path not in ("", "/"):
        raise ValueError(f"{name} must not have a path, got {parts.path!r}")
    query = parse_qs(parts.query, keep_blank_values=True)
    unknown = sorted(set(query) - {"tls"})
    if unknown:
        raise ValueError(f"{name} has an unknown parameter {unknown[0]!r} (only tls=off)")
    tls_off = query.get("tls", [""])[-1] == "off"
    if "tls" in query and not tls_off:
        raise ValueError(f"{name}: tls may only be 'off', got {query['tls'][-1]!r}")
    implicit = parts.scheme == "smtps"
    if implicit and tls_off:
        raise ValueError(f"{name}: smtps:// is always TLS; tls=off needs smtp://")
    username = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password else None
    if tls_off and (username or password):
        raise ValueError(f"{name}: credentials need TLS; remove tls=off or the credentials")
    return SmtpTarget(
        host=host,
        port=port or (465 if implicit else 587),
        implicit_tls=implicit,
        starttls=not implicit and not tls_off,
        username=username,
        password=password,
    )
