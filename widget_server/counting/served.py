"""A cacheable block's exchange: counted as served, answered with a one-time view token.

A block body is the same for every visitor of its rotation bucket, so a CDN or
a shared cache may serve it (``Cache-Control: public``).  It cannot carry the
one-time view token, which is one visitor's: it carries a served token
instead (the block's view prefix, signed under a purpose of its own, with the
start of its bucket).  The loader posts that token once it has shown the block;
the answer counts the block as served (what the block request itself counted
before) and gives a fresh one-time view token for the view beacon.

So everything the view beacon checks stays as it was: a replayed exchange only
yields what fetching the block again always yielded, another one-time token,
and each such token still counts at most once, once per visitor, theme and
day, within the daily caps per address (docs/privacy.md).
"""

from __future__ import annotations

from typing import NamedTuple

from widget_server.core.errors import BadTokenError
from widget_server.counting.intake import Counting
from widget_server.serving.snapshot import Snapshot

# How long after its bucket started a served token is exchanged: the longest bucket
# (a day), plus the time shared caches and then browsers may keep the body.
SERVED_TOKEN_MAX_AGE = 86_400 + 3_600


class Exchanged(NamedTuple):
    view_token: str | None  # None: the token was not valid (``reason`` says why)
    reason: str | None = None  # "bad-token", "expired" or "unknown"


def served_token(counting: Counting, prefix: str, bucket_start: int) -> str:
    """What a cacheable block carries instead of a one-time view token."""
    return counting.signer.served_token(prefix, bucket_start)


def exchange(counting: Counting, token: str, snapshot: Snapshot, user_agent: str) -> Exchanged:
    """Count the block a served token names as served; a fresh view token for its beacon."""
    try:
        claim = counting.signer.read_served_token(token, SERVED_TOKEN_MAX_AGE)
    except BadTokenError as exc:
        return Exchanged(None, "expired" if "expired" in str(exc) else "bad-token")
    placement = snapshot.placements.get(claim.placement_id)
    host = snapshot.members.record(placement.member_id) if placement else None
    if placement is None or host is None or host.status == "removed":
        return Exchanged(None, "unknown")
    partners = tuple(partner for partner, _, _ in claim.slots)
    counting.count_served((placement.theme_id, placement.member_id, partners), user_agent)
    prefix = counting.signer.view_prefix(claim.placement_id, claim.bucket, claim.slots)
    return Exchanged(counting.view_token(prefix))
