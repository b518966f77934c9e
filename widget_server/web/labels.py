"""Texts our pages choose by a value: statuses, actions, notices, states, fields, errors.

Each table maps a value to its msgid, marked with ``N_`` for extraction and
translated where it is shown: ``{{ _(labels.STATUS[status]) }}`` in templates
(where ``labels`` is this module) or ``translator(lang).gettext(...)`` in Python.

The rules editor's words are in ``rule_labels.py``; why an input was refused,
in the reader's language, in ``reasons.py``.
"""

from __future__ import annotations

from widget_server.core.i18n import N_

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

# A theme's kind.
THEME_KIND: dict[str, str] = {
    "topic": N_("Topic"),
    "local": N_("Place"),
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
