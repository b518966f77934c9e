"""Whole responses of ``/w/{token}`` and ``/w/{token}.html`` kept ready for the next request.

Within a rotation bucket a block's bytes are the same for every visitor
(issue 19), so the second request for the same URL needs none of the
endpoint's work: no token check, no placement or display lookup, no rotation,
no render cache, no response object.  A ``Ready`` holds what the endpoint
answered, body and headers already encoded; per request only what must differ
is made: the ``Cache-Control`` max-age (the rest of the bucket), the request id
(added by the caller) and the choice between 200 and 304.

The interface with the endpoints (web/endpoints/widget.py): after a block or
page is rendered (or found in the render cache), the endpoint makes a ``Ready``
of its body and ETag, has the snapshot's render cache keep it under the
request's key (``RenderCache.keep_ready``) and answers with ``Ready.answer``,
so a fresh answer and a kept one are made by the same code.  The fast path
(web/fastpath.py, inline) and the endpoints (``find``) look a request up; the
fast path, having looked, calls the endpoints' ``made_*`` variants, which do
not look again (a first sight looked up once).

What a response depends on, and how a kept one stays right:

* the URL: path (token, ``.html``), query string (the display options) and,
  without ``WIDGET_PUBLIC_URL``, scheme and ``Host`` (the links in the body):
  all four are the key (``request_key``; the server address when there is no
  ``Host``), the raw values, so every byte of the request the body can depend
  on is in it;
* the data: ready responses belong to one snapshot's render cache; a new
  snapshot (a change to members, placements, rules or balances) starts
  without them, and invalidating a theme empties them;
* the joint slot: a block that shows a joint offer or event also depends on the
  runtime's ``JointBoard`` (offers and events are outside the snapshot): an entry
  made with the board at one version does not serve after the board moved;
* the time: an entry serves only within its bucket, under the rules it was
  made with (a period of the rules starting or ending is a miss).

Bounded with the render cache (serving/cache.py): a third of
``WIDGET_RENDER_CACHE_MB``, each kept answer counted with its body and about
0.7 kB of headers and key, and at most ``WIDGET_RENDER_CACHE_SIZE`` of them;
when full, the one kept longest ago goes.  The body is the render cache's own
bytes object, not a copy, so the count is on the safe side.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

from starlette.types import Scope

from widget_server.rotation import Rules
from widget_server.serving.slots import JointBoard
from widget_server.serving.snapshot import Snapshot

BLOCK_MAX_AGE = 300  # seconds a browser or cache may reuse a block, at most until its bucket ends
Header = tuple[bytes, bytes]
# Every Cache-Control a kept block can carry, made once: max-age 1 to BLOCK_MAX_AGE.
_MAX_AGE: tuple[Header, ...] = tuple(
    (b"cache-control", b"public, max-age=%d" % n) for n in range(BLOCK_MAX_AGE + 1)
)


def not_modified(if_none_match: str | None, etag: str) -> bool:
    """Does ``If-None-Match`` name ``etag`` (or ``*``)?  Weak tags compare too (RFC 9110:
    If-None-Match uses the weak comparison)."""
    if not if_none_match:
        return False
    for tag in if_none_match.split(","):
        tag = tag.strip()
        if tag == "*" or tag.removeprefix("W/") == etag:
            return True
    return False


class Ready:
    """One block's answer, encoded: the headers around ``Cache-Control`` for a 200 and a
    304, the body, and the bucket (and rules) within which it may be sent again."""

    __slots__ = (
        "after_304",
        "after_ok",
        "before",
        "board",
        "board_version",
        "body",
        "bucket",
        "etag",
        "log_path",
        "period",
        "rules",
        "size",
    )

    def __init__(
        self,
        body: bytes,
        etag: str,
        before: Sequence[Header],
        after_304: Sequence[Header],
        *,
        length_at: int,
        rules: Rules,
        active: Rules,
        bucket: int,
        log_path: str,
        board: JointBoard | None = None,
    ) -> None:
        self.body = body
        self.etag = etag
        self.before = tuple(before)
        self.after_304 = tuple(after_304)
        # A 200 has its Content-Length at ``length_at`` of the headers after Cache-Control,
        # where the endpoint's response always had it; a 304 has none.
        after = list(after_304)
        after.insert(length_at, (b"content-length", b"%d" % len(body)))
        self.after_ok = tuple(after)
        self.rules = rules  # the theme's rules; ``active`` those of the moment it was made
        self.period = active if rules.periods else None
        self.size = active.bucket_seconds
        self.bucket = bucket
        self.log_path = log_path  # the request log's path (no token in it)
        # A block with a joint slot (serving/slots.py) is made of the offers and events
        # the board held then; they change without a new snapshot, so its version is checked.
        self.board = board
        self.board_version = board.version if board is not None else 0

    def serves(self, now: float) -> bool:
        """Is this still the answer at ``now``: the same bucket under the same rules?"""
        if self.bucket != int(now // self.size):
            return False
        if self.board is not None and self.board.version != self.board_version:
            return False
        return self.period is None or self.rules.at(now) is self.period

    def answer(self, now: float, if_none_match: str | None) -> tuple[int, list[Header], bytes]:
        """Status, headers (the request id still to add) and body at ``now``."""
        size = self.size
        left = int(size - now % size)  # as rotation_at counts it
        max_age = _MAX_AGE[left if 0 < left <= BLOCK_MAX_AGE else max(1, min(BLOCK_MAX_AGE, left))]
        if if_none_match is not None and not_modified(if_none_match, self.etag):
            return 304, [*self.before, max_age, *self.after_304], b""
        return 200, [*self.before, max_age, *self.after_ok], self.body


def request_key(scope: Scope, host: bytes | None) -> Hashable:
    """What of a request a block's bytes can depend on (``host``: the first Host header)."""
    return (scope["path"], scope["query_string"], scope["scheme"], host or scope.get("server"))


def find(snapshot: Snapshot, key: Hashable, now: float) -> Ready | None:
    """The response kept for ``key`` in ``snapshot`` if it still answers at ``now``."""
    ready: Ready | None = snapshot.cache.ready.get(key)
    if ready is None or not ready.serves(now):
        return None
    return ready
