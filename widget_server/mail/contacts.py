"""A member's e-mail address, mail language and opt-outs: checked, then stored.

The API, the CLI, the admin and the portal all come through here, so the same
address is valid or invalid everywhere.  An empty address deletes the
member's mail data (address, language, opt-outs) and its unsent mails stay
unsent: nothing is queued for a member without an address.
"""

from __future__ import annotations

from collections.abc import Iterable

from widget_server.core.errors import NotFoundError, ValidationError
from widget_server.core.mailconfig import normalise_address
from widget_server.core.models import LANGUAGES, MEMBER_MAIL_KINDS, MailContact, Member
from widget_server.storage import Storage


async def get_contact(storage: Storage, member: Member) -> MailContact | None:
    try:
        return await storage.get_mail_contact(member.id)
    except NotFoundError:
        return None


def check_contact(
    member: Member, email: str, language: str, opt_outs: Iterable[str]
) -> MailContact:
    if any(ord(c) < 32 for c in email):
        raise ValidationError("email", "contains control characters")
    try:
        address = normalise_address(email)
    except ValueError:
        raise ValidationError("email", f"{email.strip()[:80]!r} is not an e-mail address") from None
    if language not in LANGUAGES:
        raise ValidationError("language", f"{language!r} is not one of {', '.join(LANGUAGES)}")
    kinds = frozenset(opt_outs)
    unknown = sorted(kinds - set(MEMBER_MAIL_KINDS))
    if unknown:
        raise ValidationError(
            "opt_outs", f"{unknown[0]!r} is not one of {', '.join(MEMBER_MAIL_KINDS)}"
        )
    return MailContact(member.id, address, language, kinds)


async def set_contact(
    storage: Storage,
    member: Member,
    *,
    email: str | None = None,
    language: str | None = None,
    opt_outs: Iterable[str] | None = None,
) -> MailContact | None:
    """Change what is given (None: keep); an empty ``email`` forgets the member's mail data."""
    current = await get_contact(storage, member)
    if email is not None and not email.strip():
        if current is not None:
            await storage.delete_mail_contact(member.id)
        return None
    address = email if email is not None else (current.email if current else None)
    if address is None:
        if language is None and opt_outs is None:
            return None
        raise ValidationError("email", "is needed before the language or opt-outs can be set")
    contact = check_contact(
        member,
        address,
        language if language is not None else (current.language if current else "de"),
        opt_outs if opt_outs is not None else (current.opt_outs if current else ()),
    )
    if contact == current:
        return current
    return await storage.put_mail_contact(contact)


def contact_dict(contact: MailContact | None) -> dict[str, object]:
    """The API's and the CLI's view of a member's mail settings."""
    if contact is None:
        return {"email": None, "language": "de", "opt_outs": []}
    return {
        "email": contact.email,
        "language": contact.language,
        "opt_outs": sorted(contact.opt_outs),
    }
