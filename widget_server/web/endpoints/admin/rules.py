"""The rules editor: common knobs as a form, the whole document as YAML/JSON, a live preview.

Both forms post to the same handler with ``action`` ``preview`` or ``save``.
The knob form carries the draft document in a hidden field and changes only
the knobs whose value differs from what the draft says, so the two forms
never undo each other's edits.  Input names of the knobs are the rules' field
paths (``partners.max``), so a ``ValidationError`` from ``parse_rules`` lands
next to its input; errors elsewhere are shown at the document.

The preview runs the real selection (``rotation.plan``/``draw``) for three
sample hosts on the theme's pool from the snapshot, with the parsed but
unsaved rules in place of the stored ones, beside what they show now.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from typing import Any

import yaml
from starlette.requests import Request
from starlette.responses import Response

from widget_server.core.collation import sort_key, sorted_german
from widget_server.core.errors import PreconditionFailedError, ValidationError
from widget_server.core.models import Member
from widget_server.network import rules as rulesets
from widget_server.network.rules import theme_rules
from widget_server.rotation import STRATEGY_NAMES, Rules, ThemePool, draw, parse_rules, plan
from widget_server.rotation.pool import eligible_ids
from widget_server.rotation.rules import REGION_MODES
from widget_server.rotation.shared import SharedPlan, shared_plan
from widget_server.serving.blocks import rotation_at
from widget_server.web.endpoints.admin.base import actor, lang_of, render
from widget_server.web.endpoints.guards import form_of, form_text, redirect, refresh
from widget_server.web.runtime import runtime_of

SAMPLE_HOSTS = 3
# knob (= field path) -> (kind, choices or None, the value in parsed rules)
KNOBS: dict[str, tuple[str, tuple[str, ...] | None, Any]] = {
    "strategy": ("choice", STRATEGY_NAMES, lambda r: r.strategy),
    "partners.max": ("int", None, lambda r: r.max_partners),
    "partners.min": ("int", None, lambda r: r.min_partners),
    "fairness.alpha": ("number", None, lambda r: r.fairness.alpha),
    "fairness.beta": ("number", None, lambda r: r.fairness.beta),
    "fairness.half_life_days": ("number", None, lambda r: r.fairness.half_life_days),
    "exclusions.same_category": ("flag", None, lambda r: r.exclude_same_category),
    "exclusions.one_per_category": ("flag", None, lambda r: r.one_per_category),
    "region.mode": ("choice", REGION_MODES, lambda r: r.region.mode),
    "caps.max_share": ("number", None, lambda r: r.max_share),
    "fallback": ("choice", ("directory", "hide"), lambda r: r.fallback),
    "links.label": ("text", None, lambda r: r.links.label),
    "rotation.granularity": ("choice", ("bucket", "request"), lambda r: r.granularity),
    "portal.approve_profile_changes": ("flag", None, lambda r: r.approve_profile_changes),
    "portal.approve_offers": ("flag", None, lambda r: r.approve_offers),
}


# knobs that only some strategies use: hidden (and their help with them) for the others
STRATEGY_KNOBS: dict[str, tuple[str, ...]] = {
    "fairness.alpha": ("fair-exchange",),
    "fairness.beta": ("fair-exchange",),
    "fairness.half_life_days": ("fair-exchange",),
    "caps.max_share": ("weighted", "fair-exchange"),
}
# per-member columns and the strategies that use them (pins work with every strategy)
MEMBER_COLUMNS: dict[str, tuple[str, ...]] = {
    "weight": ("weighted", "fair-exchange"),
    "order": ("fixed",),
    "pin": STRATEGY_NAMES,
}
ADVANCED = ("fairness.beta", "fairness.half_life_days", "caps.max_share", "rotation.granularity")


def simple_pins(rules: Rules) -> dict[str, int]:
    """Pins the form can show: on every host, always (others live in the document only)."""
    return {p.member: p.position for p in rules.pins if not p.hosts and p.schedule is None}


def member_values(rules: Rules, slugs: list[str]) -> dict[str, dict[str, Any]]:
    pins = simple_pins(rules)
    order = {slug: n for n, slug in enumerate(rules.order, start=1)}
    values: dict[str, dict[str, Any]] = {}
    for slug in slugs:
        weight = rules.weights.get(slug, 1.0)
        values[slug] = {
            "weight": int(weight) if float(weight).is_integer() else weight,
            "pin": pins.get(slug, ""),
            "order": order.get(slug, ""),
        }
    return values


def _member_number(name: str, raw: str, *, whole: bool) -> float | None:
    raw = raw.strip().replace(",", ".")
    if not raw:
        return None
    try:
        return int(raw) if whole else float(raw)
    except ValueError:
        kind = "a whole number" if whole else "a number"
        raise ValidationError(name, f"{raw[:20]!r} is not {kind}") from None


def apply_members(document: dict[str, Any], form: Any) -> dict[str, Any]:
    """Per-member weights, pins and the fixed order from the form's member table."""
    slugs = [s for s in (form.get("members") or "").split(",") if s]
    if not slugs:
        return document
    rules = parse_rules(document)
    current = member_values(rules, slugs)
    weights = dict(document.get("weights") or {})
    pins = [p for p in document.get("pins") or [] if isinstance(p, dict)]
    order_given: dict[str, float] = {}
    changed_weights = changed_pins = changed_order = False
    for slug in slugs:
        weight = _member_number(
            f"member.{slug}.weight", form.get(f"member.{slug}.weight") or "", whole=False
        )
        if weight is not None and weight != current[slug]["weight"]:
            changed_weights = True
            if weight == 1:
                weights.pop(slug, None)
            else:
                weights[slug] = weight
        pin = _member_number(f"member.{slug}.pin", form.get(f"member.{slug}.pin") or "", whole=True)
        if (pin or "") != current[slug]["pin"]:
            changed_pins = True
            pins = [
                p
                for p in pins
                if not (p.get("member") == slug and not p.get("hosts") and "schedule" not in p)
            ]
            if pin:
                pins.append({"member": slug, "position": int(pin)})
        place = _member_number(
            f"member.{slug}.order", form.get(f"member.{slug}.order") or "", whole=True
        )
        if place is not None:
            order_given[slug] = place
        if (place or "") != current[slug]["order"]:
            changed_order = True
    out = dict(document)
    if changed_weights:
        out["weights"] = weights
        if not weights:
            out.pop("weights")
    if changed_pins:
        out["pins"] = pins
        if not pins:
            out.pop("pins")
    if changed_order:
        listed = [s for s in rules.order if s not in slugs]  # members the form does not show
        out["order"] = sorted(order_given, key=lambda s: (order_given[s], s)) + listed
        if not out["order"]:
            out.pop("order")
    return out


def knob_values(rules: Rules) -> dict[str, Any]:
    values = {name: get(rules) for name, (_, _, get) in KNOBS.items()}
    # 4.0 shows as 4 (and still compares equal to the parsed 4.0)
    return {k: int(v) if isinstance(v, float) and v.is_integer() else v for k, v in values.items()}


def _knob(name: str, raw: str | None) -> Any:
    kind, choices, _ = KNOBS[name]
    if kind == "flag":
        return raw is not None
    raw = (raw or "").strip()
    if kind == "int":
        try:
            return int(raw)
        except ValueError:
            raise ValidationError(name, f"{raw[:20]!r} is not a whole number") from None
    if kind == "number":
        try:
            return float(raw.replace(",", "."))  # German decimal comma
        except ValueError:
            raise ValidationError(name, f"{raw[:20]!r} is not a number") from None
    return raw


def apply_knobs(document: dict[str, Any], form: Any) -> dict[str, Any]:
    """The document with the knobs set whose value differs from what it says now."""
    current = knob_values(parse_rules(document))
    out: dict[str, Any] = json.loads(json.dumps(document))  # a deep copy
    for name in KNOBS:
        value = _knob(name, form.get(name))
        if value == current[name]:
            continue
        *sections, key = name.split(".")
        target = out
        for section in sections:
            if not isinstance(target.get(section, {}), dict):
                raise ValidationError(section, "must be an object")
            target = target.setdefault(section, {})
        target[key] = value
    return out


def load_text(text: str) -> dict[str, Any]:
    """A rule document typed into the textarea: YAML or JSON (JSON is YAML too)."""
    raw = rulesets.parse_yaml(text, "document") if text.strip() else {}
    document = rulesets.to_document(raw if raw is not None else {})
    if not isinstance(document, dict):
        raise ValidationError("document", "must be an object (key: value lines)")
    return document


def dump(document: dict[str, Any]) -> str:
    if not document:
        return ""
    return str(yaml.safe_dump(document, allow_unicode=True, sort_keys=False))


async def _draft(request: Request) -> tuple[str, dict[str, Any], str]:
    """(which form, the draft document, the document's text) of a POST; raises on bad input."""
    form = form_of(request)
    which = form_text(form, "form")
    if which == "knobs":
        try:
            base = json.loads(form_text(form, "base") or "{}")
        except json.JSONDecodeError:
            raise ValidationError("document", "the draft was damaged; reload the page") from None
        if not isinstance(base, dict):
            raise ValidationError("document", "must be an object")
        document = apply_members(apply_knobs(base, form), form)
        return which, document, dump(document)
    text = form_text(form, "document")
    # In a thread: even a bounded document must not hold up the widget's requests.
    return "document", await asyncio.to_thread(load_text, text), text


# A theme of up to this many members lists every one in the form's "per member" table;
# a larger one (a town's, a region's: thousands, a page of 10 MB) lists those with a
# setting of their own and those the coordinator searches for (``MEMBER_FOUND`` at most).
MEMBER_TABLE_ALL = 200
MEMBER_FOUND = 50


def _table_members(
    listed: list[Member], rules: Rules, find: str, member_form: Any
) -> tuple[list[Member], int]:
    """The members of a large theme's "per member" table and how many ``find`` found:
    after a sent form, the ones it showed; else those with a weight, a fixed place or
    a place in the order, and those whose name or slug holds ``find``."""
    if member_form:
        sent = set((member_form.get("members") or "").split(","))
        return [m for m in listed if m.slug in sent], 0
    own = set(rules.weights) | set(simple_pins(rules)) | set(rules.order)
    needle = find.casefold()
    found = []
    if needle:
        found = [m for m in listed if needle in m.name.casefold() or needle in m.slug]
    found = found[:MEMBER_FOUND]
    picked = {m.slug for m in found}
    return found + [m for m in listed if m.slug in own and m.slug not in picked], len(found)


def preview(request: Request, theme_id: int, draft: Rules | None) -> list[dict[str, Any]]:
    """What sample hosts show now and would show with ``draft``."""
    runtime = runtime_of(request)
    assert runtime.snapshots is not None
    snapshot = runtime.snapshots.current
    pool = snapshot.pools.get(theme_id)
    if pool is None:
        return []
    now = runtime.clock()
    eligible = eligible_ids(pool.members)
    if len(eligible) > MEMBER_TABLE_ALL:  # any three: not a name made of thousands
        eligible = eligible[:SAMPLE_HOSTS]
    hosts = sorted(eligible, key=lambda m: sort_key(snapshot.members[m].name))[:SAMPLE_HOSTS]
    # One shared part per pool for its sample hosts (each plan made its own: a pass over
    # every member, three times, at 10,000 members 50 ms of the loop).
    parts: dict[int, SharedPlan] = {}

    def shown(p: ThemePool, host: int) -> list[dict[str, Any]]:
        rules = p.rules.at(now)
        part = parts.get(id(p))
        if part is None:
            part = parts[id(p)] = shared_plan(p, rules, now, now)
        chosen = plan(p, host, now, runtime.key, limit=rules.max_partners, shared=part)
        bucket = rotation_at(rules, now, runtime.request_nonce()).bucket
        return [
            {"name": snapshot.members[s.member_id].name, "pinned": s.pinned}
            for s in draw(chosen, bucket, runtime.key)
        ]

    trial = replace(pool, rules=draft) if draft is not None else None
    return [
        {
            "name": snapshot.members[h].name,
            "now": shown(pool, h),
            "draft": shown(trial, h) if trial is not None else None,
            "fallback": (draft or pool.rules).fallback,
        }
        for h in hosts
    ]


async def _page(
    request: Request,
    *,
    draft: dict[str, Any] | None = None,
    text: str | None = None,
    which: str = "",
    errors: dict[str, str] | None = None,
    knobs: dict[str, Any] | None = None,
    member_form: Any = None,
    status: int = 200,
    fragment: bool = False,
) -> Response:
    storage = runtime_of(request).storage
    theme = await storage.get_theme(request.path_params["slug"])
    current = await storage.get_rule_set(theme.id)
    stored = current.rules if current else {}
    draft_rules = parse_rules(draft) if draft is not None and not errors else None
    # The document the knob form builds on: the draft, else what the page was showing.
    document = draft if draft is not None else stored
    lang = lang_of(request)
    shown_rules = draft_rules or theme_rules(current)
    listed = [m for m in await storage.list_members(theme_id=theme.id) if m.status != "removed"]
    find = (request.query_params.get("find") or "").strip()[:100]
    shown, found = listed, 0
    if len(listed) > MEMBER_TABLE_ALL:
        shown, found = _table_members(listed, shown_rules, find, member_form)
    members = sorted_german(shown, key=lambda m: m.name)
    slugs = [m.slug for m in members]
    values = member_values(shown_rules, slugs)
    if member_form:
        for slug in slugs:
            for column in MEMBER_COLUMNS:
                raw = member_form.get(f"member.{slug}.{column}")
                if isinstance(raw, str):
                    values[slug][column] = raw
    context = {
        "section": "themes",
        "theme": theme,
        "current": current,
        "version": current.version if current else 0,
        "errors": errors or {},
        "which": which,
        "text": text if text is not None else dump(document),
        "base": json.dumps(document),
        "knobs": (shown_knobs := knobs or knob_values(shown_rules)),
        "strategy": shown_knobs.get("strategy", shown_rules.strategy),
        "strategy_knobs": STRATEGY_KNOBS,
        "member_columns": MEMBER_COLUMNS,
        "advanced": ADVANCED,
        "members": members,
        "member_total": len(listed),
        "member_table_all": len(listed) <= MEMBER_TABLE_ALL,
        "member_find": find,
        "member_found": found,
        "member_values": values,
        "member_slugs": ",".join(slugs),
        "pins_elsewhere": [p for p in shown_rules.pins if p.hosts or p.schedule is not None],
        "choices": {name: spec[1] for name, spec in KNOBS.items()},
        "kinds": {name: spec[0] for name, spec in KNOBS.items()},
        "samples": preview(request, theme.id, draft_rules),
        "drafted": draft_rules is not None,
        "history": (await rulesets.history(storage, theme.slug))[::-1][:10],
        "lang_name": lang,
    }
    template = "_preview.html" if fragment else "rules.html"
    return render(request, template, context, status=status)


def _member_field(field: str) -> str:
    """``weights.blumen`` -> ``member.blumen.weight``: a rule error lands at its table cell."""
    if field.startswith("weights."):
        return f"member.{field.removeprefix('weights.')}.weight"
    return field


async def rules_page(request: Request) -> Response:
    return await _page(request)


async def rules_post(request: Request, *, fragment: bool = False) -> Response:
    storage = runtime_of(request).storage
    form = form_of(request)
    action = "preview" if fragment else form_text(form, "action")
    which = form_text(form, "form")
    text: str | None = form_text(form, "document") if which == "document" else None
    submitted = {name: form.get(name) for name in KNOBS} if which == "knobs" else None
    base = None
    if which == "knobs":
        try:
            base = json.loads(form_text(form, "base") or "{}")
        except json.JSONDecodeError:
            base = None
    try:
        which, draft, text = await _draft(request)
        theme = await storage.get_theme(request.path_params["slug"])
        await rulesets.check_members(storage, theme, draft)
        if action == "save":
            version = int(form_text(form, "version") or "0")
            await rulesets.set_rules(
                storage, theme.slug, draft, actor(request), expected_version=version
            )
            await refresh(request)
            return redirect(request, "admin_rules", slug=theme.slug, done="rules_saved")
    except PreconditionFailedError:
        return await _page(
            request,
            text=text,
            which=which,
            errors={"document": "stale"},
            status=409,
            fragment=fragment,
        )
    except ValidationError as exc:
        field = _member_field(exc.field)
        known = field in KNOBS or field.startswith("member.")
        where = field if which == "knobs" and known else "document"
        reason = exc.reason if where == field else f"{exc.field}: {exc.reason}"
        knobs = None
        if submitted is not None:
            knobs = {
                n: (v is not None if KNOBS[n][0] == "flag" else v) for n, v in submitted.items()
            }
        return await _page(
            request,
            draft=base if isinstance(base, dict) else None,
            text=text if which == "document" else None,
            which=which,
            errors={where: reason},
            knobs=knobs,
            member_form=form if which == "knobs" else None,
            status=422,
            fragment=fragment,
        )
    return await _page(request, draft=draft, text=text, which=which, fragment=fragment)


async def rules_preview(request: Request) -> Response:
    """The preview alone, as an HTML fragment, for the page's script."""
    return await rules_post(request, fragment=True)


async def reference(request: Request) -> Response:
    """What every rule means, in the page's language (German; English otherwise)."""
    return render(request, "rules_reference.html", {"section": "themes"})
