"""Why an input was refused, in the reader's language.

Validation messages come from the service functions in English; our pages
also give reasons by key (``REASONS``).  ``reason_text`` translates both: a key
to its msgid, a service message through ``SERVICE_MESSAGES``, whose patterns
find the common ones with the values in them.
"""

from __future__ import annotations

import re

from widget_server.core.i18n import N_, SOURCE_LANG, translator

# Reasons our pages give by key.
REASONS: dict[str, str] = {
    "no_file": N_("Please choose a file."),
    "confirm_remove": N_("Please confirm the removal."),
    "member_removed": N_("The member has been removed."),
    "slug_taken": N_("This slug is taken."),
    "stale": N_(
        "Someone else has changed the rules meanwhile. Please reload the page and make "
        "your change again."
    ),
    "confirm_leave": N_("Please confirm that you want to leave."),
    "unknown_theme": N_("This theme is not in your member area."),
    "not_allowed": N_("Only the coordinators can do that."),
    "stale_change": N_(
        "The member has changed the submission meanwhile. Please review the new version."
    ),
    "no_change": N_("This change does not exist any more."),
    "user_taken": N_("A coordinator with this user name exists already."),
    "category_taken": N_("This category exists already."),
    "unknown_theme_admin": N_("There is no such theme."),
    "decided_already": N_("Another coordinator has decided on this application already."),
    "form_expired": N_(
        "The form was open too long. Please check your details and send them again."
    ),
    "choose_theme": N_("Please choose a theme."),
    "not_utf8": N_("The file is not UTF-8 text. Please save it as CSV (UTF-8)."),
    "too_long": N_("The list is too long for one import; please split it."),
    "not_yourself": N_("You cannot deactivate yourself."),
    "last_coordinator": N_("The last active coordinator cannot be deactivated."),
    "deactivated": N_("This coordinator is deactivated."),
    "wrong_password": N_("The current password is not correct."),
    "passwords_differ": N_("The two new passwords differ."),
    "stale_event": N_("The event has been changed meanwhile. Please check the new version."),
    "event_published": N_("A published event is cancelled, not deleted: cancel it first."),
    "offer_closed": N_("This offer has been declined or removed; it cannot be changed any more."),
    "stale_offer": N_("The offer has been changed meanwhile. Please check the new version."),
}


# Common messages of the service functions (English, with values in them): the
# pattern finds one, the msgid (whose placeholders are the pattern's groups)
# says it in the reader's language.
SERVICE_MESSAGES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), message)
    for pattern, message in (
        (r"must not be empty", N_("must not be empty")),
        (r"'(?P<value>[^']*)' is not a whole number", N_("'%(value)s' is not a whole number")),
        (r"'(?P<value>[^']*)' is not a number", N_("'%(value)s' is not a number")),
        (
            r"(?P<value>\S+) is not between (?P<low>\S+) and (?P<high>\S+)",
            N_("%(value)s is not between %(low)s and %(high)s"),
        ),
        (r"is not an http\(s\) URL", N_("is not an http(s) URL")),
        (r"must be after the start", N_("must be after the start")),
        (r"is in the past", N_("is in the past")),
        (r"is not a time \(.*\)", N_("is not a time (e.g. 2027-02-14T10:00)")),
        (r"does not exist in .* \(clock change\)", N_("does not exist (the clocks change)")),
        (
            r"is more than (?P<days>\d+) days after the start",
            N_("is more than %(days)s days after the start"),
        ),
        (r"no member '(?P<slug>[^']*)'", N_("no member '%(slug)s'")),
        (
            r"(?P<members>\d+) members: at most (?P<days>\d+) days here; "
            r"the command line simulates longer \((?P<command>[^)]*)\)",
            N_(
                "%(members)s members: at most %(days)s days here; the command line "
                "simulates longer (%(command)s)"
            ),
        ),
        (
            r"(?P<members>\d+) members are too many to simulate here; "
            r"the command line simulates them \((?P<command>[^)]*)\)",
            N_(
                "%(members)s members are too many to simulate here; the command line "
                "simulates them (%(command)s)"
            ),
        ),
        (
            r"member '(?P<slug>[^']*)' is not in '(?P<theme>[^']*)'",
            N_("member '%(slug)s' is not in theme '%(theme)s'"),
        ),
        (
            r"is not a slug \(.*\)",
            N_("is not a slug (lower-case letters, digits and single hyphens)"),
        ),
        (r"is not a domain name", N_("is not a domain name")),
        (r"is not a PNG, JPEG, WebP or GIF image", N_("is not a PNG, JPEG, WebP or GIF image")),
        (
            r"is (?P<size>\d+) bytes, at most (?P<limit>\d+) allowed",
            N_("is %(size)s bytes, at most %(limit)s allowed"),
        ),
        (
            r"is (?P<width>\d+)×(?P<height>\d+) pixels;"
            r" each side must be (?P<low>\d+) to (?P<high>\d+) pixels",
            N_("is %(width)s×%(height)s pixels; each side must be %(low)s to %(high)s pixels"),
        ),
        (
            r"is (?P<length>\d+) characters long, at most (?P<limit>\d+) allowed",
            N_("is %(length)s characters long, at most %(limit)s allowed"),
        ),
        (r"is not a known field", N_("is not a known field")),
        (r"is not one of ", N_("is not one of ")),
        (r"is not a member of theme", N_("is not a member of theme")),
        (r"is not a postal code", N_("is not a postal code")),
        # joint offers (network/offers.py)
        (r"'(?P<value>[^']*)' is no theme", N_("'%(value)s' is no theme")),
        (r"you are not an active member of it", N_("you are not an active member of it")),
        (r"'(?P<value>[^']*)' is no member", N_("'%(value)s' is no member")),
        (
            r"'(?P<member>[^']*)' is not an active member of '(?P<theme>[^']*)'",
            N_("'%(member)s' is not an active member of '%(theme)s'"),
        ),
        (
            r"name at least one other member of the theme",
            N_("name at least one other member of the theme"),
        ),
        (r"at most (?P<num>\d+) members take part", N_("at most %(num)s members take part")),
        (r"is before valid_from", N_("is before the first day")),
        (r"is in the past", N_("is in the past")),
        (
            r"is more than (?P<num>\d+) days after valid_from",
            N_("is more than %(num)s days after the first day"),
        ),
        (r"is not a date \(YYYY-MM-DD\)", N_("is not a date (YYYY-MM-DD)")),
        (r"is after the last day", N_("is after the last day")),
        (r"is more than max", N_("is more than max")),
        (r"must be an object", N_("must be an object")),
        (r"is not true or false", N_("is not true or false")),
        (
            r"the password must have at least (?P<num>\d+) characters",
            N_("the password must have at least %(num)s characters"),
        ),
        (
            r"is not a category slug \(lower-case.*?bike-repair\)",
            N_(
                "is not a category slug (lower-case letters a-z, digits and single hyphens, at"
                " most 40 characters; umlauts as ae, oe, ue and ß as ss; e.g. fahrradwerkstatt"
                " or bike-repair)"
            ),
        ),
        (
            r"^lower-case letters a-z, digits and single hyphens.*bike-repair$",
            N_(
                "lower-case letters a-z, digits and single hyphens, at most 40 characters;"
                " umlauts as ae, oe, ue and ß as ss; e.g. fahrradwerkstatt or bike-repair"
            ),
        ),
        (r"; nearest: (?P<names>.*)$", N_("; nearest: %(names)s")),
        (
            r"must not contain < or > or control characters",
            N_("must not contain < or > or control characters"),
        ),
        (
            r"is not a user name: .*",
            N_(
                "is not a user name: 2 to 40 characters, lower-case letters, digits, '.', '_'"
                " or '-', starting with a letter or digit"
            ),
        ),
    )
)


def reason_text(lang: str, reason: str) -> str:
    """A validation message for people, in ``lang`` where we know it."""
    t = translator(lang)
    known = REASONS.get(reason)
    if known is not None:
        return t.gettext(known)
    if t.lang == SOURCE_LANG:
        return reason
    for pattern, message in SERVICE_MESSAGES:

        def said(match: re.Match[str], message: str = message) -> str:
            return t.gettext(message, **match.groupdict())

        reason = pattern.sub(said, reason)
    return reason
