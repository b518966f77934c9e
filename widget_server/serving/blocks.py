"""Building a referral block: the partners one placement shows, as plain data.

The same dict is sent as JSON to the loader, rendered into the iframe page and
(later) returned by the REST API, so every channel shows the same block.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from widget_server.core.i18n import N_, translator
from widget_server.core.models import (
    LANGUAGES,
    LAYOUTS,
    SCHEMES,
    Member,
    MemberRecord,
    Placement,
)
from widget_server.core.signing import Signer
from widget_server.network.categories import category_label
from widget_server.rotation import Plan, Rules, Slot, ThemePool, draw, plan
from widget_server.rotation.fused import fused_slots
from widget_server.rotation.guide import GUIDED_FROM
from widget_server.rotation.shared import SharedPlan, shared_plan
from widget_server.serving.snapshot import Snapshot

BLOCK_FORMAT = 1
MINUTE = 60
DAY = 86_400
# The block's heading by theme kind: a topic ("for weddings") or a place ("from Heide").
HEADINGS = {
    "topic": N_("Our partners for %(theme)s"),
    "local": N_("Our partners from %(theme)s"),
}


# The usual disclosure labels a coordinator writes, shown in the block's language;
# any other label is shown as written.
BADGES = {
    "anzeige": N_("Advertisement"),
    "werbung": N_("Advertisement"),
    "advertisement": N_("Advertisement"),
    "ad": N_("Advertisement"),
    "gesponsert": N_("Sponsored"),
    "sponsored": N_("Sponsored"),
}


def badge(label: str, lang: str) -> str | None:
    """The rules' label next to the heading, translated when it is a usual one."""
    known = BADGES.get(label.strip().casefold())
    return translator(lang).gettext(known) if known else (label or None)


@dataclass(frozen=True)
class Display:
    lang: str
    layout: str
    scheme: str
    show: tuple[str, ...] = ()  # the joint slot's kinds asked for (serving/slots.py)


class Drawn(NamedTuple):
    """What a block is made of: its partners beside its joint slot's card (``extra``),
    the rules in force, its rotation and what its view link names (partner, position,
    share)."""

    partners: tuple[Slot, ...]
    extra: dict[str, Any] | None
    rules: Rules
    rotation: Rotation
    shown: Sequence[tuple[int, int, int]] = ()


@dataclass(frozen=True)
class Rotation:
    """Where a block stands in its rotation: the bucket, and how long it stays valid."""

    bucket: int
    cacheable: bool  # False when the rules rotate on every request
    seconds_left: int


def resolve_display(
    placement: Placement, lang: str | None, layout: str | None, scheme: str | None
) -> Display:
    """The placement's fixed options win over the embed's; unknown values fall back."""
    opts = placement.options

    def choose(fixed: str | None, asked: str | None, allowed: tuple[str, ...]) -> str:
        for value in (fixed, asked):
            if value in allowed:
                return value
        return allowed[0]

    return Display(
        lang=choose(opts.lang, lang, LANGUAGES),
        layout=choose(opts.layout, layout, LAYOUTS),
        scheme=choose(opts.scheme, scheme, SCHEMES),
    )


def rotation_at(rules: Rules, now: float, nonce: int) -> Rotation:
    if rules.granularity == "request":
        return Rotation(nonce, cacheable=False, seconds_left=0)
    size = rules.bucket_seconds
    return Rotation(int(now // size), cacheable=True, seconds_left=max(1, int(size - now % size)))


def logo_path(member: Member | MemberRecord) -> str | None:
    if member.logo is None:
        return None
    ext = member.logo.content_type.rsplit("/", 1)[-1].replace("jpeg", "jpg")
    return f"/logos/{member.id}-{member.logo.digest[:16]}.{ext}"


def directory_path(theme_slug: str, lang: str) -> str:
    return f"/t/{theme_slug}" + ("?lang=en" if lang == "en" else "")


def with_utm(url: str, utm: dict[str, str], *, theme: str, host: str) -> str:
    """The partner's URL with the rules' UTM parameters (``{theme}``, ``{host}`` filled in)."""
    if not utm:
        return url
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in utm]
    query += [(k, v.replace("{theme}", theme).replace("{host}", host)) for k, v in utm.items()]
    return urlunsplit(parts._replace(query=urlencode(query)))


def plan_moment(rules: Rules, now: float) -> float:
    """The moment a block's plan is made for: the start of its rotation bucket (or, rotating
    per request, of the minute), so that a block depends on the bucket, not on which
    request came first, and ``explain`` can make the same plan again."""
    if rules.granularity == "request":
        return float(int(now // MINUTE) * MINUTE)
    size = rules.bucket_seconds
    return float(int(now // size) * size)


def shared_part(snapshot: Snapshot, pool: ThemePool, rules: Rules, now: float) -> SharedPlan | None:
    """The theme's host-independent plan part, kept once for all its hosts: for as long as
    the snapshot lives when nothing in it changes with time, else for the bucket ``now``
    falls in; None when a period's fairness makes it depend on the very moment."""
    if rules.strategy == "fair-exchange" and rules.fairness != pool.rules.fairness:
        return None
    timeless = not rules.availability and rules.inactive_after_days is None
    size = rules.bucket_seconds
    span = None if timeless else int(now // size)
    # id(rules): a period's rules differ from the theme's; the pool keeps them alive,
    # and covers() checks identity, so a reused id never passes.  One part per rules:
    # a span's part replaces the one before it.  Kept among the theme's parts, beside
    # the render cache's entries, so the long tail of first sights (one block entry
    # each) never pushes out what every host of the theme is drawn from.
    key = ("shared", id(rules))
    found: SharedPlan | None = snapshot.cache.part(pool.theme_id, key)
    if found is None or not found.covers(rules, now):
        if span is None:
            found = shared_plan(pool, rules, -math.inf, math.inf)
        else:
            found = shared_plan(pool, rules, span * size, (span + 1) * size)
        snapshot.cache.keep_part(pool.theme_id, key, found)
    return found


def prepare_theme(
    snapshot: Snapshot, theme_id: int, now: float, key: bytes
) -> Callable[[], None] | None:
    """Make a theme's shared plan part and, for the weighted draws, all its keyed orders
    of the day, its weights as an array and, in a large theme, its walks' guides ahead
    of its first request (``SnapshotHolder.warm``): what the first sights of its hosts
    would otherwise make (a pool's worth once per theme, then a variant's on the first
    draw that walks it).

    A large theme's orders and guides are returned to be made beside the event loop
    (16 sorts of 10,000 members and their guides held it some 200 ms per theme at a
    start); what they are made into is only read by draws, which make a variant that
    is not there yet themselves."""
    pool = snapshot.pools[theme_id]
    moment = plan_moment(pool.rules.at(now), now)
    rules = pool.rules.at(moment)
    shared = shared_part(snapshot, pool, rules, moment)
    if shared is None or rules.strategy not in ("weighted", "fair-exchange"):
        return None
    orders = shared.orders(key, int(moment // DAY))
    values = shared.values()

    def rest() -> None:
        orders.prepare()
        if len(values) >= GUIDED_FROM:  # a large theme's draws read their walks' guides
            for k in range(orders.count):
                orders.guide(k, values)

    if len(values) < GUIDED_FROM:
        rest()  # a fraction of a millisecond
        return None
    return rest


def host_plan(snapshot: Snapshot, placement: Placement, moment: float, key: bytes) -> Plan:
    """The placement's plan (filters, pins, weights) made for ``moment`` (``plan_moment``),
    from the theme's shared part.

    Kept a minute only when the rules draw on every request; with buckets the
    block built from it is kept instead, so a plan is made once per block.
    """
    pool = snapshot.pools[placement.theme_id]
    rules = pool.rules.at(moment)
    limit = placement.options.max_partners
    if rules.granularity != "request":
        shared = shared_part(snapshot, pool, rules, moment)
        return plan(pool, placement.member_id, moment, key, limit=limit, shared=shared)
    cache_key = ("plan", placement.theme_id, placement.member_id, limit, moment)
    found: Plan | None = snapshot.cached(cache_key)
    if found is not None:
        return found
    shared = shared_part(snapshot, pool, rules, moment)
    made = plan(pool, placement.member_id, moment, key, limit=limit, shared=shared)
    snapshot.remember(placement.theme_id, cache_key, made)
    return made


def select_slots(
    snapshot: Snapshot, placement: Placement, now: float, key: bytes, nonce: int
) -> tuple[tuple[Slot, ...], Rules, Rotation]:
    """The partners a placement shows right now, the rules in force and the rotation.

    Most first sights take the fused path (``rotation/fused.py``): the slots straight
    from the theme's shared part, without a plan in between.  Where it does not
    apply, and for rules that draw on every request (whose plans are kept a minute),
    the placement's plan is made (``host_plan``) and drawn from.  Both give the same
    slots.
    """
    pool = snapshot.pools[placement.theme_id]
    rules = pool.rules.at(now)
    moment = plan_moment(rules, now)
    rotation = rotation_at(rules, now, nonce)
    in_force = pool.rules.at(moment)  # what the plan is made with (host_plan)
    if in_force.granularity != "request":
        shared = shared_part(snapshot, pool, in_force, moment)
        if shared is not None:
            slots = fused_slots(
                pool,
                shared,
                in_force,
                placement.member_id,
                moment,
                rotation.bucket,
                key,
                limit=placement.options.max_partners,
            )
            if slots is not None:
                return slots, in_force, rotation
    p = host_plan(snapshot, placement, moment, key)
    return draw(p, rotation.bucket, key), p.rules, rotation


def build_block(
    snapshot: Snapshot,
    placement: Placement,
    display: Display,
    *,
    slots: tuple[Slot, ...],
    rules: Rules,
    rotation: Rotation,
    signer: Signer,
    base_url: str,
) -> dict[str, Any]:
    """The block as plain data; member text is raw here and escaped by whoever renders it."""
    theme = snapshot.themes[placement.theme_id]
    lang = display.lang
    theme_name = theme.name(lang)
    partners = []
    for slot in slots:
        member = snapshot.members.records[slot.member_id]  # no ``Member`` made
        name, description = member.name_and_description()
        logo = logo_path(member)
        token = signer.click_token(placement.id, member.id, rotation.bucket)
        partners.append(
            {
                "name": name,
                "description": description,
                "category": category_label(member.category, lang),
                "town": member.town,
                "url": f"{base_url}/c/{token}",
                "logo": f"{base_url}{logo}" if logo else None,
                "rel": rules.links.rel,
            }
        )
    fallback = not partners
    hide = fallback and rules.fallback == "hide"
    t = translator(lang)
    return {
        "v": BLOCK_FORMAT,
        "lang": lang,
        "layout": display.layout,
        "scheme": display.scheme,
        "heading": t.gettext(HEADINGS[theme.kind], theme=theme_name),
        "label": t.gettext("Partners in the %(theme)s network", theme=theme_name),
        "badge": badge(rules.links.label, lang),
        "partners": partners,
        "fallback": fallback and not hide,
        "more": None
        if hide
        else {
            "text": t.gettext("See all partners"),
            "url": base_url + directory_path(theme.slug, lang),
        },
        "view": None,
    }
