"""The members' part of the OpenAPI document: members, their themes, mail and placements.

Kept apart from ``openapi.py`` (which merges ``BODIES``, ``SCHEMAS`` and
``paths()`` into the document) so each part stays short.
"""

from __future__ import annotations

from typing import Any

from widget_server.core.models import MEMBER_STATUSES
from widget_server.web.bodies import Body
from widget_server.web.endpoints.api import member_bulk
from widget_server.web.endpoints.api.mail import MEMBER_MAIL_PUT
from widget_server.web.endpoints.api.members import MEMBER_CREATE, MEMBER_PATCH, MEMBERSHIP_PUT
from widget_server.web.endpoints.api.placements import PLACEMENT_CREATE
from widget_server.web.openapi_operations import (
    API,
    CREATED,
    IDEMPOTENT,
    PAGE,
    SLUG_MEMBER,
    ok,
    op,
    path,
    query,
    ref,
)

BODIES: tuple[Body, ...] = (
    MEMBER_CREATE,
    MEMBER_PATCH,
    MEMBERSHIP_PUT,
    MEMBER_MAIL_PUT,
    PLACEMENT_CREATE,
)

SCHEMAS: dict[str, Any] = {
    "MemberBulk": {
        "type": "array",
        "items": ref("MemberCreate"),
        "minItems": 1,
        "maxItems": member_bulk.MAX_ROWS,
    },
}


def bulk_create() -> dict[str, Any]:
    operation = op(
        "bulkCreateMembers",
        "Register many members at once",
        "members",
        {
            200: ok(
                "The rows created and, with skip_invalid, the rows left out.",
                ref("MemberBulkResult"),
            )
        },
        (403, 409, 413, 422),
        params=(
            query(
                "skip_invalid",
                {"type": "string", "enum": ["true", "false"]},
                "true: create the good rows and list the bad ones (default: all or nothing).",
            ),
            IDEMPOTENT,
        ),
        description=(
            f"Up to {member_bulk.MAX_ROWS} members with the fields of createMember, as a JSON"
            " array or as NDJSON (application/x-ndjson, one object per line), at most"
            f" {member_bulk.MAX_BYTES // 2**20} MiB."
            " Every row is checked as createMember checks one; the good rows are written"
            " in one transaction. Without skip_invalid one bad row is a 422 invalid-rows"
            " problem whose errors list every bad row, and nothing is written."
        ),
    )
    operation["requestBody"] = {
        "required": True,
        "content": {
            "application/json": {"schema": ref("MemberBulk")},
            member_bulk.NDJSON: {
                "schema": {"type": "string", "description": "One MemberCreate object per line."}
            },
        },
    }
    return operation


def paths() -> dict[str, dict[str, Any]]:
    member = (SLUG_MEMBER,)
    return {
        f"{API}/members": {
            "get": op(
                "listMembers",
                "List members",
                "members",
                {200: ok("A page of members (a member key: only itself).", ref("MemberList"))},
                (422,),
                params=(
                    query("status", {"type": "string", "enum": list(MEMBER_STATUSES)}),
                    query("theme", {"type": "string"}, "Only members of this theme."),
                    *PAGE,
                ),
            ),
            "post": op(
                "createMember",
                "Register a member",
                "members",
                {201: ok("The new member, pending or active.", ref("Member"), **CREATED)},
                (403, 409, 422),
                params=(IDEMPOTENT,),
                body="MemberCreate",
            ),
        },
        f"{API}/members/bulk": {"post": bulk_create()},
        f"{API}/members/{{slug}}": {
            "get": op(
                "getMember",
                "Read a member",
                "members",
                {200: ok("The member.", ref("Member"))},
                (403, 404),
                params=member,
            ),
            "patch": op(
                "updateMember",
                "Change a member's profile",
                "members",
                {
                    200: ok("The changed member.", ref("Member")),
                    202: ok(
                        "A member key's change, waiting for a coordinator's approval.",
                        ref("MemberProposal"),
                    ),
                },
                (403, 404, 422),
                params=member,
                body="MemberPatch",
                description=(
                    "A coordinator key changes the member at once. A member key proposes:"
                    " website, domains, category, town and postal code always wait for a"
                    " coordinator, name and description when a theme asks for approval."
                ),
            ),
            "delete": op(
                "removeMember",
                "Remove a member",
                "members",
                {200: ok("The member, removed.", ref("Member"))},
                (403, 404),
                params=member,
                description="Its blocks stop; its record and figures stay.",
            ),
        },
        f"{API}/members/{{slug}}/pause": {
            "post": op(
                "pauseMember",
                "Pause a member",
                "members",
                {200: ok("The member, paused.", ref("Member"))},
                (403, 404, 409, 422),
                params=(SLUG_MEMBER, IDEMPOTENT),
            ),
        },
        f"{API}/members/{{slug}}/activate": {
            "post": op(
                "activateMember",
                "Activate (approve) a member",
                "members",
                {200: ok("The member, active.", ref("Member"))},
                (403, 404, 409, 422),
                params=(SLUG_MEMBER, IDEMPOTENT),
            ),
        },
        f"{API}/members/{{slug}}/memberships": {
            "get": op(
                "listMemberships",
                "A member's themes",
                "members",
                {200: ok("Every membership.", ref("MembershipList"))},
                (403, 404),
                params=member,
            ),
        },
        f"{API}/members/{{slug}}/memberships/{{theme}}": {
            "put": op(
                "putMembership",
                "Join, pause or leave a theme",
                "members",
                {200: ok("The membership.", ref("Membership"))},
                (403, 404, 409, 422),
                params=(SLUG_MEMBER, path("theme", "A theme's slug.")),
                body="MembershipUpdate",
            ),
        },
        f"{API}/members/{{slug}}/mail": {
            "get": op(
                "getMemberMail",
                "A member's mail settings",
                "members",
                {200: ok("Its address, mail language and opt-outs.", ref("MemberMail"))},
                (403, 404),
                params=member,
            ),
            "put": op(
                "putMemberMail",
                "Set a member's mail settings",
                "members",
                {200: ok("The settings now.", ref("MemberMail"))},
                (403, 404, 422),
                params=member,
                body="MemberMailUpdate",
                description=(
                    "The address mails go to, their language and the kinds of mail the"
                    " member does not want; an empty email deletes all three."
                ),
            ),
        },
        f"{API}/members/{{slug}}/placements": {
            "get": op(
                "listPlacements",
                "A member's placements and embed codes",
                "placements",
                {200: ok("A page of placements.", ref("PlacementList"))},
                (403, 404, 422),
                params=(SLUG_MEMBER, *PAGE),
            ),
            "post": op(
                "createPlacement",
                "Get an embed code",
                "placements",
                {
                    200: ok("The existing placement with these options.", ref("Placement")),
                    201: ok("A new placement.", ref("Placement")),
                },
                (403, 404, 409, 422),
                params=(SLUG_MEMBER, IDEMPOTENT),
                body="PlacementCreate",
            ),
        },
    }
