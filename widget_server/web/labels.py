"""Texts our pages choose by a value: statuses, actions, notices, settings, errors, reasons.

Each table maps a value to its msgid, marked with ``N_`` for extraction and
translated where it is shown: ``{{ _(labels.STATUS[status]) }}`` in templates
(where ``labels`` is this module) or ``translator(lang).gettext(...)`` in Python.

Validation messages come from the service functions in English; ``reason_text``
translates the reasons our pages give by key and the common service messages.
"""

from __future__ import annotations

import re

from widget_server.core.i18n import N_, SOURCE_LANG, translator

# A member's or a membership's status.
STATUS: dict[str, str] = {
    "pending": N_("Pending"),
    "active": N_("Active"),
    "paused": N_("Paused"),
    "removed": N_("Removed"),
    "left": N_("Left"),
}

# What a member's status means, on its admin page.
MEMBER_STATUS_TEXT: dict[str, str] = {
    "pending": N_(
        "This member has registered and awaits approval. Until then it is shown nowhere."
    ),
    "active": N_("This member is active and shown in the other members' blocks."),
    "paused": N_("This member is paused and currently not shown."),
    "removed": N_("This member has been removed. Its figures are kept."),
}

# The buttons that change a member's status.
MEMBER_ACTION: dict[str, str] = {
    "approve": N_("Approve"),
    "pause": N_("Pause"),
    "resume": N_("Resume"),
    "remove": N_("Remove"),
}

# The notice after a change (?done=...).
DONE: dict[str, str] = {
    "saved": N_("Your changes have been saved."),
    "logged_out": N_("You have been signed out."),
    "portal_revoked": N_("Every portal link and portal session of this member has been ended."),
    "domains_saved": N_("The domains have been saved."),
    "logo_saved": N_("The logo has been saved."),
    "membership_saved": N_("The theme membership has been changed."),
    "status_approve": N_("The member has been approved."),
    "status_pause": N_("The member has been paused."),
    "status_resume": N_("The member is active again."),
    "status_remove": N_("The member has been removed."),
    "theme_created": N_("The theme has been created."),
    "rules_saved": N_("The rules have been saved as a new version."),
    "profile_saved": N_("Your details have been saved. Visitors will see them within minutes."),
    "profile_pending": N_(
        "Thank you! Your changes have been submitted and await the coordinators' approval."
    ),
    "profile_unchanged": N_("There was nothing to change: your details are stored as they are."),
    "logo_pending": N_("Thank you! Your new logo awaits the coordinators' approval."),
    "change_withdrawn": N_("Your submitted change has been withdrawn."),
    "theme_paused": N_("Your participation is paused. The others will not show you for now."),
    "theme_left": N_("You have left. Please remove this theme's code from your website."),
    "change_approved": N_("The changed details have been approved."),
    "change_rejected": N_("The changed details have been rejected."),
    "mail_saved": N_("The e-mail settings have been saved."),
    "coordinator_deactivate": N_("The coordinator has been deactivated and signed out."),
    "coordinator_activate": N_("The coordinator may sign in again."),
    "password_changed": N_("Your password has been changed. Please sign in with it."),
    "password_set": N_("Your password has been set. Please sign in with it."),
    "category_added": N_("The category has been added. It can be chosen for members now."),
    "member_added": N_("The member has been added. Its code and member area link are below."),
    "members_imported": N_("The members have been imported."),
    "invitation_revoked": N_("The invitation link has been ended."),
    "join_saved": N_("The public page offers the ticked themes now."),
    "application_approved": N_("The application has been approved: the business is a member now."),
    "application_declined": N_("The application has been declined."),
    "event_created": N_("The event has been published."),
    "event_publish": N_("The event has been published."),
    "event_decline": N_("The proposed event has been declined."),
    "event_cancel": N_("The event has been cancelled. Subscribed calendars show it as cancelled."),
    "event_restore": N_("The event takes place again."),
    "event_deleted": N_("The event has been deleted."),
    "event_proposed": N_("Thank you! Your event awaits the coordinators' approval."),
    "event_withdrawn": N_("Your proposed event has been withdrawn."),
    "offer_proposed": N_(
        "Thank you! The offer has been proposed. It goes live once everyone taking part has"
        " confirmed it."
    ),
    "offer_confirmed": N_("You have confirmed the offer."),
    "offer_withdrawn": N_("You have withdrawn your confirmation: the offer is not shown for now."),
    "offer_approve": N_("The offer has been approved."),
    "offer_decline": N_("The offer has been declined."),
    "offer_remove": N_("The offer has been removed."),
    "offer_saved": N_("The offer has been changed."),
    "offer_saved_asked": N_(
        "The offer has been changed. Everyone taking part is asked to confirm it again; until"
        " then it is not shown."
    ),
    "offer_ended": N_("The offer has ended: it is no longer shown."),
}

# The audit log's actions.
AUDIT_ACTION: dict[str, str] = {
    "rules.change": N_("Rules changed"),
    "member.approve": N_("Member approved"),
    "member.pause": N_("Member paused"),
    "member.resume": N_("Member resumed"),
    "member.remove": N_("Member removed"),
    "member.edit": N_("Profile changed"),
    "member.domains": N_("Domains changed"),
    "member.logo": N_("Logo uploaded"),
    "member.theme": N_("Theme membership changed"),
    "member.mail": N_("E-mail settings changed"),
    "portal.link": N_("Portal link created"),
    "portal.revoke": N_("Portal links and sessions ended"),
    "theme.create": N_("Theme created"),
    "theme.edit": N_("Theme changed"),
    "profile.submit": N_("Details submitted for approval"),
    "profile.approve": N_("Changed details approved"),
    "profile.reject": N_("Changed details rejected"),
    "profile.withdraw": N_("Submitted details withdrawn"),
    "coordinator.add": N_("Coordinator added"),
    "member.add": N_("Member added"),
    "category.add": N_("Category added"),
    "theme.remove": N_("Theme deleted"),
    "member.import": N_("Members imported"),
    "invitation.create": N_("Invitation link created"),
    "invitation.revoke": N_("Invitation link ended"),
    "join.open": N_("Public join page changed"),
    "application.submit": N_("Application received"),
    "application.approve": N_("Application approved"),
    "application.decline": N_("Application declined"),
    "coordinator.deactivate": N_("Coordinator deactivated"),
    "coordinator.activate": N_("Coordinator activated"),
    "coordinator.reset_link": N_("Password link created"),
    "coordinator.password": N_("Password changed"),
    "coordinator.password_reset": N_("Password set with a link"),
    "event.create": N_("Event created"),
    "event.edit": N_("Event changed"),
    "event.publish": N_("Event published"),
    "event.decline": N_("Proposed event declined"),
    "event.cancel": N_("Event cancelled"),
    "event.restore": N_("Event restored"),
    "event.delete": N_("Event deleted"),
    "event.propose": N_("Event proposed"),
    "event.withdraw": N_("Proposed event withdrawn"),
    "offer.propose": N_("Joint offer proposed"),
    "offer.confirm": N_("Joint offer confirmed"),
    "offer.withdraw": N_("Confirmation of a joint offer withdrawn"),
    "offer.approve": N_("Joint offer approved"),
    "offer.decline": N_("Joint offer declined"),
    "offer.remove": N_("Joint offer removed"),
    "offer.edit": N_("Joint offer changed"),
    "offer.image": N_("Image of a joint offer changed"),
    "offer.end": N_("Joint offer ended by its proposer"),
}

# Joint events' statuses (network/events.py).
EVENT_STATUS: dict[str, str] = {
    "proposed": N_("awaiting approval"),
    "published": N_("published"),
    "cancelled": N_("cancelled"),
    "declined": N_("declined"),
}

# What a joint offer is now (network/offers.state).
OFFER_STATE: dict[str, str] = {
    "waiting": N_("Waiting for confirmations"),
    "approval": N_("Waiting for approval"),
    "scheduled": N_("Confirmed, starts later"),
    "live": N_("Live"),
    "ended": N_("Ended"),
    "declined": N_("Declined"),
    "removed": N_("Removed"),
}

# The rules preview when no partner is left.
FALLBACK: dict[str, str] = {
    "directory": N_("(no partner: link to the directory)"),
    "hide": N_("(no partner: block hidden)"),
}

# A theme's kind.
THEME_KIND: dict[str, str] = {
    "topic": N_("Topic"),
    "local": N_("Place"),
}

# The rules editor's common settings, by rule path: in the coordinator's words.
KNOB: dict[str, str] = {
    "strategy": N_("How are the partners chosen?"),
    "partners.max": N_("Partners per block (at most)"),
    "partners.min": N_("Partners per block (at least)"),
    "fairness.alpha": N_("How strictly should giving and taking be balanced?"),
    "fairness.beta": N_("How quickly are imbalances evened out?"),
    "fairness.half_life_days": N_("How many days does the network remember?"),
    "exclusions.same_category": N_("No partners of the host's own category"),
    "exclusions.one_per_category": N_("At most one partner per category"),
    "region.mode": N_("Partners from the same town?"),
    "caps.max_share": N_("How often may one partner appear at most?"),
    "fallback": N_("When too few partners"),
    "links.label": N_("Label on the block"),
    "rotation.granularity": N_("How often does the block change?"),
    "portal.approve_profile_changes": N_("Show members' changed details only after approval"),
    "portal.approve_offers": N_("Show joint offers only after approval"),
}

# Their hints (not every setting has one).
KNOB_HINT: dict[str, str] = {
    "partners.max": N_("1 to 12."),
    "partners.min": N_("Fewer found: the fallback below applies."),
    "fairness.alpha": N_(
        "1: strictly one for one – who shows others is shown as often in return. 0: everyone "
        "is shown equally often, whatever they give. Default 0.8: mostly give and take, some "
        "solidarity."
    ),
    "fairness.beta": N_(
        "How hard the rotation pushes towards balance: 0 not at all, 20 very hard; default 4."
    ),
    "fairness.half_life_days": N_(
        "After this many days a view counts half as much in the balance. Default 14."
    ),
    "region.mode": N_("Prefers partners from the same town."),
    "caps.max_share": N_(
        "The largest share of blocks one partner may appear in: 1 means no limit, 0.5 at most "
        "every second block."
    ),
    "links.label": N_("e.g. “Ad”; at most 30 characters."),
    "rotation.granularity": N_(
        "Every few minutes: visitors of one page see the same partners for a while, and "
        "servers can cache the block."
    ),
    "portal.approve_profile_changes": N_(
        "Changes from the member area (name, description, logo, website) then wait for "
        "your approval."
    ),
    "portal.approve_offers": N_(
        "Joint offers of members then go live only when you have approved them too."
    ),
}

# The technical name of an advanced setting, shown with it ("Für Fortgeschrittene").
KNOB_TERM: dict[str, str] = {
    "fairness.alpha": N_("Reciprocity α"),
    "fairness.beta": N_("Balancing strength β"),
    "fairness.half_life_days": N_("Half-life of the ledger"),
    "caps.max_share": N_("Cap on the inclusion probability"),
    "rotation.granularity": N_("Rotation bucket"),
}

# What a strategy does, shown with the strategy choice (it follows the choice).
STRATEGY_HELP: dict[str, str] = {
    "fixed": N_(
        "Always the same partners in the same order: the first of your list below. Good for a "
        "small, settled group."
    ),
    "round-robin": N_(
        "Everyone takes turns: over a day every partner appears equally often, in every place."
    ),
    "weighted": N_(
        "Partners appear as often as their weight says: weight 2 twice as often as weight 1."
    ),
    "fair-exchange": N_(
        "Give and take: who shows the others on its website is shown more often in return; "
        "newcomers get a head start."
    ),
}

# The choices of a setting, by "path.choice".
CHOICE: dict[str, str] = {
    "strategy.fixed": N_("Fixed order"),
    "strategy.round-robin": N_("Round robin"),
    "strategy.weighted": N_("Weighted"),
    "strategy.fair-exchange": N_("Fair exchange"),
    "region.mode.off": N_("Off"),
    "region.mode.boost": N_("Boost"),
    "region.mode.tiered": N_("Same town first"),
    "region.mode.only": N_("Same town only"),
    "fallback.directory": N_("Link to the directory"),
    "fallback.hide": N_("Hide the block"),
    "rotation.granularity.bucket": N_("Every few minutes"),
    "rotation.granularity.request": N_("On every request"),
}

# The portal's notice about a member that is not active.
PORTAL_STATUS: dict[str, str] = {
    "pending": N_(
        "Your registration is still being checked by the coordinators. Until it is "
        "approved the other websites do not show you yet – but you can already add your "
        "block."
    ),
    "paused": N_(
        "Your membership is paused at the moment: the other websites do not show you "
        "right now. The coordinators can answer questions about it."
    ),
}

# A member's participation in a theme, in the portal.
PARTICIPATION: dict[str, str] = {
    "active": N_("You take part: your website shows partners, and the others show you."),
    "paused": N_(
        "Paused: the others do not show you right now. To take part again, a short "
        "message to the coordinators is enough."
    ),
    "left": N_("Left. If you would like to take part again, please contact the coordinators."),
    "pending": N_("The coordinators are still checking your participation in this theme."),
}

# A member's profile fields.
FIELD: dict[str, str] = {
    "name": N_("Name"),
    "website": N_("Website"),
    "description": N_("Short description"),
    "category": N_("Category"),
    "town": N_("Town"),
    "postal_code": N_("Postal code"),
    "domains": N_("Further domains"),
}

# Error pages: (title, text) by problem.
ERROR: dict[str, tuple[str, str]] = {
    "csrf": (
        N_("Request refused"),
        N_(
            "The form had expired or did not come from this site. Please reload the page and "
            "try again."
        ),
    ),
    "not_found": (
        N_("Not found"),
        N_("This page does not exist (any more)."),
    ),
    "too_large": (
        N_("Too large"),
        N_("The data sent is too large."),
    ),
    "unavailable": (
        N_("Temporarily unavailable"),
        N_("The database is not answering. Please try again in a moment."),
    ),
}

# The portal link's page: (title, text) by problem.
LINK_PROBLEM: dict[str, tuple[str, str]] = {
    "expired": (
        N_("This link has expired"),
        N_(
            "For your security, every link to the member area is valid for a limited time "
            "only. Please ask your network's coordinators for a new link."
        ),
    ),
    "invalid": (
        N_("This link does not work"),
        N_(
            "Perhaps it was cut off when it was copied. Best open it straight from the "
            "coordinators' message – or ask them for a new link."
        ),
    ),
    "removed": (
        N_("No access any more"),
        N_(
            "Your business is no longer a member of this network. If you have questions, "
            "please contact the coordinators."
        ),
    ),
    "signed_out": (
        N_("Please open your personal link"),
        N_(
            "The member area opens with the personal link you got from the coordinators. If "
            "your session has ended, simply open the link again. If the link has expired "
            "too, ask the coordinators for a new one."
        ),
    ),
    "logged_out": (
        N_("You are signed out"),
        N_("See you soon! Your personal link lets you back in for as long as it is valid."),
    ),
}

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


# The alphabets a look-alike name mixes (network/lookalike.py), as the admin names them.
SCRIPT = {
    "LATIN": N_("Latin"),
    "CYRILLIC": N_("Cyrillic"),
    "GREEK": N_("Greek"),
}

# Kinds of mail (core/models.MAIL_KINDS): the opt-out choices and the unsubscribe page.
MAIL_KINDS: dict[str, str] = {
    "report": N_("the monthly report"),
    "decisions": N_("decisions on applications and profile changes"),
    "activity": N_("notices when the widget is not seen"),
    "digest": N_("the coordinators' daily digest"),
}
