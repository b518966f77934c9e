"""The application, assembled from tables: routes, middleware, handlers, lifespan."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from widget_server.core.logs import RequestLogMiddleware, configure_logging
from widget_server.core.settings import Settings
from widget_server.storage import Storage, storage_from_url
from widget_server.web.endpoints import (
    calendars,
    counted,
    crawling,
    demo,
    frame,
    join,
    offer_page,
    participants,
    public,
    theme_page,
    unsubscribe,
    widget,
)
from widget_server.web.endpoints.admin import applications as admin_applications
from widget_server.web.endpoints.admin import audit as admin_audit
from widget_server.web.endpoints.admin import auth as admin_auth
from widget_server.web.endpoints.admin import categories as admin_categories
from widget_server.web.endpoints.admin import changes as admin_changes
from widget_server.web.endpoints.admin import coordinators as admin_coordinators
from widget_server.web.endpoints.admin import events as admin_events
from widget_server.web.endpoints.admin import mail as admin_mail
from widget_server.web.endpoints.admin import member_add as admin_member_add
from widget_server.web.endpoints.admin import members as admin_members
from widget_server.web.endpoints.admin import offers as admin_offers
from widget_server.web.endpoints.admin import rules as admin_rules
from widget_server.web.endpoints.admin import stats as admin_stats
from widget_server.web.endpoints.admin import themes as admin_themes
from widget_server.web.endpoints.admin.base import AdminGuard
from widget_server.web.endpoints.api import base as api
from widget_server.web.endpoints.api import blocks as api_blocks
from widget_server.web.endpoints.api import events as api_events
from widget_server.web.endpoints.api import keys as api_keys
from widget_server.web.endpoints.api import mail as api_mail
from widget_server.web.endpoints.api import member_bulk as api_member_bulk
from widget_server.web.endpoints.api import members as api_members
from widget_server.web.endpoints.api import offer_edits as api_offer_edits
from widget_server.web.endpoints.api import offers as api_offers
from widget_server.web.endpoints.api import openapi as api_openapi
from widget_server.web.endpoints.api import placements as api_placements
from widget_server.web.endpoints.api import rules as api_rules
from widget_server.web.endpoints.api import stats as api_stats
from widget_server.web.endpoints.api import themes as api_themes
from widget_server.web.endpoints.api.base import idempotent
from widget_server.web.endpoints.portal import base as portal
from widget_server.web.endpoints.portal import code as portal_code
from widget_server.web.endpoints.portal import events as portal_events
from widget_server.web.endpoints.portal import figures as portal_figures
from widget_server.web.endpoints.portal import offers as portal_offers
from widget_server.web.endpoints.portal import pages as portal_pages
from widget_server.web.endpoints.portal import profile as portal_profile
from widget_server.web.endpoints.portal.base import PortalGuard
from widget_server.web.fastpath import FastPathApp
from widget_server.web.gil import switch_in, switch_out
from widget_server.web.hosts import HostGuard
from widget_server.web.problems import EXCEPTION_HANDLERS
from widget_server.web.request_ids import RequestIdMiddleware
from widget_server.web.runtime import STATIC_DIR, Runtime

# -- the coordinators' admin: HTML pages under /admin (docs/admin.md) -------------------------
# AdminGuard wraps them all: session cookie (Path=/admin), CSRF check of every POST,
# login required except for /admin/login, security headers.
admin_routes = [
    Route("/", admin_stats.dashboard, name="admin_home"),
    Route("/login", admin_auth.login_form, methods=["GET"], name="admin_login"),
    Route("/login", admin_auth.login, methods=["POST"], name="admin_login_post"),
    Route("/logout", admin_auth.logout, methods=["POST"], name="admin_logout"),
    Route("/coordinators", admin_coordinators.coordinator_list, name="admin_coordinators"),
    Route(
        "/coordinators",
        admin_coordinators.coordinator_add,
        methods=["POST"],
        name="admin_coordinator_add",
    ),
    Route(
        "/coordinators/{user}",
        admin_coordinators.coordinator_change,
        methods=["POST"],
        name="admin_coordinator",
    ),
    Route("/account", admin_coordinators.account_page, methods=["GET"], name="admin_account"),
    Route("/account", admin_coordinators.account_save, methods=["POST"], name="admin_account_save"),
    Route("/reset/{token}", admin_coordinators.reset_form, methods=["GET"], name="admin_reset"),
    Route(
        "/reset/{token}", admin_coordinators.reset_save, methods=["POST"], name="admin_reset_save"
    ),
    Route("/applications", admin_applications.applications_page, name="admin_applications"),
    Route(
        "/applications/invitations",
        admin_applications.invitation_create,
        methods=["POST"],
        name="admin_invitation_create",
    ),
    Route(
        "/applications/invitations/{invitation}/revoke",
        admin_applications.invitation_revoke,
        methods=["POST"],
        name="admin_invitation_revoke",
    ),
    Route(
        "/applications/open",
        admin_applications.open_themes_save,
        methods=["POST"],
        name="admin_join_open",
    ),
    Route(
        "/members/{slug}/application",
        admin_applications.decide,
        methods=["POST"],
        name="admin_application_decide",
    ),
    Route("/members", admin_members.member_list, name="admin_members"),
    Route("/members/new", admin_member_add.new_page, methods=["GET"], name="admin_member_new"),
    Route("/members/new", admin_member_add.create, methods=["POST"], name="admin_member_create"),
    Route(
        "/members/import", admin_member_add.import_page, methods=["GET"], name="admin_member_import"
    ),
    Route(
        "/members/import",
        admin_member_add.import_post,
        methods=["POST"],
        name="admin_member_import_post",
    ),
    Route("/members/{slug}", admin_members.member_page, methods=["GET"], name="admin_member"),
    Route("/members/{slug}", admin_members.member_save, methods=["POST"], name="admin_member_save"),
    Route(
        "/members/{slug}/status",
        admin_members.status_change,
        methods=["POST"],
        name="admin_member_status",
    ),
    Route(
        "/members/{slug}/domains",
        admin_members.domains_save,
        methods=["POST"],
        name="admin_member_domains",
    ),
    Route(
        "/members/{slug}/logo",
        admin_members.logo_upload,
        methods=["POST"],
        name="admin_member_logo",
    ),
    Route(
        "/members/{slug}/themes",
        admin_members.membership_change,
        methods=["POST"],
        name="admin_member_theme",
    ),
    Route(
        "/members/{slug}/portal-link",
        admin_members.portal_link_create,
        methods=["POST"],
        name="admin_member_portal",
    ),
    Route("/members/{slug}/mail", admin_mail.mail_save, methods=["POST"], name="admin_member_mail"),
    Route("/mail/report", admin_mail.report_preview, name="admin_mail_report"),
    Route("/mail/report.html", admin_mail.report_html, name="admin_mail_report_html"),
    Route(
        "/members/{slug}/profile-change",
        admin_changes.decide,
        methods=["POST"],
        name="admin_change_decide",
    ),
    Route(
        "/members/{slug}/profile-change/logo", admin_changes.change_logo, name="admin_change_logo"
    ),
    Route("/themes", admin_themes.theme_list, name="admin_themes"),
    Route("/rules-reference", admin_rules.reference, name="admin_rules_reference"),
    Route("/categories", admin_categories.categories_page, name="admin_categories"),
    Route(
        "/categories",
        admin_categories.category_add,
        methods=["POST"],
        name="admin_category_add",
    ),
    Route("/themes/new", admin_themes.theme_new, methods=["GET"], name="admin_theme_new"),
    Route("/themes/new", admin_themes.theme_create, methods=["POST"], name="admin_theme_create"),
    Route("/themes/{slug}", admin_themes.theme_edit, methods=["GET"], name="admin_theme"),
    Route("/themes/{slug}", admin_themes.theme_save, methods=["POST"], name="admin_theme_save"),
    Route("/themes/{slug}/rules", admin_rules.rules_page, methods=["GET"], name="admin_rules"),
    Route(
        "/themes/{slug}/rules", admin_rules.rules_post, methods=["POST"], name="admin_rules_post"
    ),
    Route(
        "/themes/{slug}/rules/preview",
        admin_rules.rules_preview,
        methods=["POST"],
        name="admin_rules_preview",
    ),
    Route("/themes/{slug}/simulate", admin_stats.simulate_page, name="admin_simulate"),
    Route(
        "/themes/{slug}/participants",
        participants.admin_participants,
        name="admin_participants",
    ),
    Route("/stats", admin_stats.stats_page, name="admin_stats"),
    Route("/events", admin_events.event_list, name="admin_events"),
    Route("/events/new", admin_events.event_new, methods=["GET"], name="admin_event_new"),
    Route("/events/new", admin_events.event_create, methods=["POST"], name="admin_event_create"),
    Route("/events/{slug}", admin_events.event_page, methods=["GET"], name="admin_event"),
    Route("/events/{slug}", admin_events.event_save, methods=["POST"], name="admin_event_save"),
    Route(
        "/events/{slug}/status",
        admin_events.event_status,
        methods=["POST"],
        name="admin_event_status",
    ),
    Route(
        "/events/{slug}/delete",
        admin_events.event_delete,
        methods=["POST"],
        name="admin_event_delete",
    ),
    Route("/audit", admin_audit.audit_page, name="admin_audit"),
    Route("/offers", admin_offers.offers_page, name="admin_offers"),
    Route(
        "/offers/{offer_id:int}/edit",
        admin_offers.edit_page,
        methods=["GET"],
        name="admin_offer_edit",
    ),
    Route(
        "/offers/{offer_id:int}/edit", admin_offers.save, methods=["POST"], name="admin_offer_save"
    ),
    Route(
        "/offers/{offer_id:int}",
        admin_offers.decide,
        methods=["POST"],
        name="admin_offer_decide",
    ),
]

# -- the member portal: HTML pages under /portal (docs/portal.md) ------------------------------
# PortalGuard wraps them all: session cookie (Path=/portal) opened by a signed link, CSRF
# check of every POST, the session's member required for every page but the link itself.
# Pages take their member from the session only; no URL or form names a member.
portal_routes = [
    Route("/", portal_pages.home, name="portal_home"),
    Route("/code", portal_code.code_page, name="portal_code"),
    Route("/preview/{theme}", portal_code.preview, name="portal_preview"),
    Route("/figures", portal_figures.figures_page, name="portal_figures"),
    Route("/profile", portal_profile.profile_page, methods=["GET"], name="portal_profile"),
    Route("/profile", portal_profile.profile_save, methods=["POST"], name="portal_profile_save"),
    Route("/profile/logo", portal_profile.logo_upload, methods=["POST"], name="portal_logo"),
    Route("/profile/logo", portal_profile.pending_logo, methods=["GET"], name="portal_new_logo"),
    Route("/profile/withdraw", portal_profile.withdraw, methods=["POST"], name="portal_withdraw"),
    Route("/profile/mail", portal_profile.mail_save, methods=["POST"], name="portal_mail"),
    Route("/themes", portal_pages.themes_page, methods=["GET"], name="portal_themes"),
    Route("/themes", portal_pages.membership_change, methods=["POST"], name="portal_theme_change"),
    Route(
        "/themes/{slug}/participants",
        participants.portal_participants,
        name="portal_participants",
    ),
    Route("/events", portal_events.events_page, name="portal_events"),
    Route("/events/new", portal_events.event_new, methods=["GET"], name="portal_event_new"),
    Route(
        "/events/new", portal_events.event_propose, methods=["POST"], name="portal_event_propose"
    ),
    Route("/events/{slug}", portal_events.event_page, methods=["GET"], name="portal_event"),
    Route("/events/{slug}", portal_events.event_save, methods=["POST"], name="portal_event_save"),
    Route(
        "/events/{slug}/withdraw",
        portal_events.event_withdraw,
        methods=["POST"],
        name="portal_event_withdraw",
    ),
    Route("/offers", portal_offers.offers_page, methods=["GET"], name="portal_offers"),
    Route("/offers", portal_offers.propose, methods=["POST"], name="portal_offer_propose"),
    Route(
        "/offers/{offer_id:int}/edit",
        portal_offers.edit_page,
        methods=["GET"],
        name="portal_offer_edit",
    ),
    Route(
        "/offers/{offer_id:int}/edit",
        portal_offers.save,
        methods=["POST"],
        name="portal_offer_save",
    ),
    Route(
        "/offers/{offer_id:int}/end", portal_offers.end, methods=["POST"], name="portal_offer_end"
    ),
    Route(
        "/offers/{offer_id:int}/confirm",
        portal_offers.confirm,
        methods=["POST"],
        name="portal_offer_confirm",
    ),
    Route("/logout", portal.logout, methods=["POST"], name="portal_logout"),
    Route("/{token}", portal.open_link, name="portal_open"),  # the link: last, it takes any name
]

# -- the REST API v1 under /api/v1 (docs/api.md; OpenAPI document in openapi.py) -----------
# Every handler authenticates with an API key itself; POSTs honour Idempotency-Key.
api_routes = [
    Route("/openapi.json", api_openapi.openapi_json, name="openapi"),
    Route("/themes", api_themes.list_themes, name="themes"),
    Route("/themes", idempotent(api_themes.create_theme), methods=["POST"], name="theme_create"),
    Route("/themes/{slug}", api_themes.get_theme, name="theme"),
    Route("/themes/{slug}", api_themes.patch_theme, methods=["PATCH"], name="theme_patch"),
    Route("/themes/{slug}/rules", api_rules.get_rules, methods=["GET"], name="rules"),
    Route("/themes/{slug}/rules", api_rules.put_rules, methods=["PUT"], name="rules_put"),
    Route("/themes/{slug}/explain", api_rules.explain_block, name="explain"),
    Route("/members", api_members.list_members, name="members"),
    Route(
        "/members", idempotent(api_members.create_member), methods=["POST"], name="member_create"
    ),
    Route(
        "/members/bulk",
        api_member_bulk.bounded(idempotent(api_member_bulk.bulk_create_members)),
        methods=["POST"],
        name="member_bulk",
    ),
    Route("/members/{slug}", api_members.get_member, name="member"),
    Route("/members/{slug}", api_members.patch_member, methods=["PATCH"], name="member_patch"),
    Route("/members/{slug}", api_members.remove_member, methods=["DELETE"], name="member_remove"),
    Route(
        "/members/{slug}/pause",
        idempotent(api_members.pause_member),
        methods=["POST"],
        name="member_pause",
    ),
    Route(
        "/members/{slug}/activate",
        idempotent(api_members.activate_member),
        methods=["POST"],
        name="member_activate",
    ),
    Route("/members/{slug}/memberships", api_members.list_memberships, name="memberships"),
    Route(
        "/members/{slug}/memberships/{theme}",
        api_members.put_membership,
        methods=["PUT"],
        name="membership_put",
    ),
    Route("/members/{slug}/mail", api_mail.get_mail, name="member_mail"),
    Route("/members/{slug}/mail", api_mail.put_mail, methods=["PUT"], name="member_mail_put"),
    Route("/members/{slug}/placements", api_placements.list_placements, name="placements"),
    Route(
        "/members/{slug}/placements",
        idempotent(api_placements.create_placement),
        methods=["POST"],
        name="placement_create",
    ),
    Route("/blocks/{theme}/{member}", api_blocks.get_block, name="block"),
    Route("/stats/members/{slug}", api_stats.member_stats, name="member_stats"),
    Route("/stats/themes/{slug}", api_stats.theme_stats, name="theme_stats"),
    Route("/keys", api_keys.list_keys, name="keys"),
    Route(
        "/keys",
        idempotent(api_keys.create_api_key, keep=api_keys.without_secret),
        methods=["POST"],
        name="key_create",
    ),
    Route("/keys/{key_id}", api_keys.revoke_key, methods=["DELETE"], name="key_revoke"),
    Route("/events", api_events.list_events, name="events"),
    Route("/events", idempotent(api_events.create_event), methods=["POST"], name="event_create"),
    Route("/events/{slug}", api_events.get_event, name="event"),
    Route("/events/{slug}", api_events.patch_event, methods=["PATCH"], name="event_patch"),
    Route("/events/{slug}", api_events.delete_event, methods=["DELETE"], name="event_delete"),
    Route("/events/{slug}/status", api_events.put_status, methods=["PUT"], name="event_status"),
    Route("/offers", api_offers.list_offers, name="offers"),
    Route("/offers", idempotent(api_offers.create_offer), methods=["POST"], name="offer_create"),
    Route("/offers/{slug}", api_offers.get_offer, name="offer"),
    Route("/offers/{slug}", api_offer_edits.patch_offer, methods=["PATCH"], name="offer_patch"),
    Route(
        "/offers/{slug}/image",
        api_offer_edits.put_image,
        methods=["PUT", "DELETE"],
        name="offer_image_put",
    ),
    Route(
        "/offers/{slug}/confirmation",
        api_offers.confirm,
        methods=["PUT", "DELETE"],
        name="offer_confirmation",
    ),
    Route("/offers/{slug}/decision", api_offers.decide, methods=["POST"], name="offer_decision"),
]

routes = [
    # public, cross-origin: what members' websites load
    Route("/embed.js", widget.embed_js, name="embed_js"),
    Route("/w/{token}.html", frame.block_html, name="block_html"),
    Route("/w/{token}", widget.block_json, name="block_json"),
    Route("/v/{token}", counted.view, methods=["POST"], name="view"),
    Route("/c/{token}", counted.click, name="click"),
    Route("/logos/{member_id:int}-{digest}.{ext}", public.logo, name="logo"),
    # our own public pages
    Route("/", public.index, name="index"),
    Route("/t/{slug}", theme_page.theme_page, name="directory"),
    Route("/sitemap.xml", crawling.sitemap, name="sitemap"),
    Route("/robots.txt", crawling.robots, name="robots"),
    # joint events as iCalendar feeds (docs/events.md)
    Route("/events.ics", calendars.network_feed, name="events_ics"),
    Route("/t/{slug}/events.ics", calendars.theme_feed, name="theme_events_ics"),
    Route("/o/{slug}", offer_page.offer_page, name="offer_page"),
    Route(
        "/offer-images/{offer_id:int}-{digest}.{ext}", offer_page.offer_image, name="offer_image"
    ),
    Route(
        "/downloads/partnerkreis-wordpress.zip",
        public.wordpress_plugin_latest,
        name="wordpress_plugin_latest",
    ),
    Route("/downloads/{filename}", public.wordpress_plugin, name="wordpress_plugin"),
    # joining: the public application form, invitation links, an applicant's status
    Route("/join", join.join_page, methods=["GET"], name="join"),
    Route("/join", join.join_post, methods=["POST"], name="join_post"),
    Route("/join/i/{token}", join.invitation_page, methods=["GET"], name="join_invitation"),
    Route("/join/i/{token}", join.invitation_post, methods=["POST"], name="join_invitation_post"),
    Route("/join/status/{token}", join.status_page, name="join_status"),
    Route("/join/status/{token}/portal", join.status_portal, name="join_status_portal"),
    Route("/demo/", demo.demo_index, name="demo_index"),
    Route("/demo/site/{slug}", demo.demo_site, name="demo_site"),
    Route("/demo/portal/{slug}", demo.demo_portal, name="demo_portal"),
    # mail: one-click unsubscribe (RFC 8058), no login; GET asks, POST records
    Route("/mail/unsubscribe/{token}", unsubscribe.confirm, name="unsubscribe"),
    Route(
        "/mail/unsubscribe/{token}",
        unsubscribe.unsubscribe,
        methods=["POST"],
        name="unsubscribe_post",
    ),
    # machines: the REST API v1 (Authorization: Bearer pkr_...)
    Mount("/api/v1", routes=api_routes, name="api"),
    # humans: the coordinators' admin (a session cookie on /admin only)
    Mount("/admin", routes=admin_routes, middleware=[Middleware(AdminGuard)]),
    # members: their portal (a session cookie on /portal only, opened by a signed link)
    Mount("/portal", routes=portal_routes, middleware=[Middleware(PortalGuard)]),
    # operations
    Route("/healthz", public.healthz, name="healthz"),
    Route("/favicon.ico", public.favicon, name="favicon"),
    Route("/static/blocks-{digest:str}.css", widget.block_stylesheet, name="block_stylesheet"),
    Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
]

# No compression middleware: it costs the widget hot path ~15 % and every
# deployment has a reverse proxy that compresses (docs/deployment.md).
middleware = [Middleware(RequestIdMiddleware), Middleware(RequestLogMiddleware)]


def create_app(
    settings: Settings | None = None,
    *,
    storage: Storage | None = None,
    clock: Callable[[], float] = time.time,
    fast_path: bool = True,
) -> Starlette:
    """The application; without ``settings``, from the environment with logging set up.

    ``fast_path=False``: the public widget endpoints go through Starlette's router and
    middleware like every other route (web/fastpath.py; the tests compare both).

    ``widget-server serve --workers N`` has each worker process call this
    (uvicorn's ``factory=True``): ``widget_server.web.app:create_app``.
    """
    if settings is None:
        settings = Settings.from_environ()
        configure_logging(settings.log_level, "auto")  # workers: readable on a terminal
    runtime = Runtime(
        settings=settings,
        storage=storage or storage_from_url(settings.database_url),
        clock=clock,
    )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        switch_in()  # the GIL handed to the event loop within 1 ms (web/gil.py)
        try:
            await runtime.start()
            try:
                yield
            finally:
                await runtime.stop()
        finally:
            switch_out()

    app = (FastPathApp if fast_path else Starlette)(
        debug=settings.debug,
        routes=routes,
        middleware=[
            middleware[0],
            Middleware(HostGuard, allowed=settings.hosts()),
            *middleware[1:],
        ],
        exception_handlers={**EXCEPTION_HANDLERS, api.Denied: api.on_denied},
        lifespan=lifespan,
    )
    app.state.runtime = runtime
    return app
