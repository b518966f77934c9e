"""A theme's rotation rules: the model, parsing and validation.

Coordinators write rules as JSON or YAML (see docs/rotation.md).  ``parse_rules``
turns that into a frozen :class:`Rules`, or raises ``ValidationError`` naming the
field path (``pins[0].position``) and the reason; a rule set is accepted whole
or not at all.  Members are named by slug; ``referenced_members`` lists them so
the caller can check they exist.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from widget_server.core.errors import ValidationError
from widget_server.rotation.schedule import Schedule, parse_schedule

STRATEGY_NAMES = ("fixed", "round-robin", "weighted", "fair-exchange")
REGION_MODES = ("off", "boost", "tiered", "only")
REL_TOKENS = ("sponsored", "nofollow", "noopener", "noreferrer", "ugc")
DEFAULT_REL = "sponsored nofollow noopener"
MAX_PARTNERS = 12
_UTM_KEY = re.compile(r"^utm_(source|medium|campaign|term|content)$")
_UTM_VALUE = re.compile(r"^[A-Za-z0-9 ._{}\-]{1,60}$")


@dataclass(frozen=True)
class Fairness:
    alpha: float = 0.8  # 1: strict one-for-one exchange, 0: equal shares for all
    beta: float = 1.0  # how hard credit pulls, per day of a member's target owed
    delta: float = 4.0  # credit is clipped to [-delta, delta] days of target
    kappa: float = 1.0  # exposure per day: keeps tiny targets from dividing by ~0
    half_life_days: float = 14.0
    newcomer_grace_days: int = 30
    newcomer_grant: float = 0.5  # extra target rate on joining, in equal shares; fades to 0


@dataclass(frozen=True)
class Pin:
    member: str
    position: int  # 1-based
    hosts: tuple[str, ...] = ()  # empty: on every host
    schedule: Schedule | None = None
    counts_in_ledger: bool = True


@dataclass(frozen=True)
class Region:
    mode: str = "off"  # off | boost | tiered | only
    by: str = "town"  # town | postal
    postal_digits: int = 2  # postal area = this many leading digits
    boost: float = 2.0  # weight factor for the same region (mode boost)


@dataclass(frozen=True)
class Availability:
    member: str
    schedule: Schedule  # the member is shown only while this is active


@dataclass(frozen=True)
class Links:
    rel: str = DEFAULT_REL
    label: str = ""  # visible label next to the heading, e.g. "Anzeige"
    utm: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Rules:
    strategy: str = "fair-exchange"
    max_partners: int = 3
    min_partners: int = 1
    order: tuple[str, ...] = ()  # fixed strategy: the coordinator's order
    weights: Mapping[str, float] = field(default_factory=dict)  # default weight 1
    fairness: Fairness = field(default_factory=Fairness)
    exclude_pairs: frozenset[frozenset[str]] = frozenset()
    blocklists: Mapping[str, frozenset[str]] = field(default_factory=dict)
    exclude_same_category: bool = False
    one_per_category: bool = False
    pins: tuple[Pin, ...] = ()
    region: Region = field(default_factory=Region)
    availability: tuple[Availability, ...] = ()
    max_share: float = 1.0  # cap: largest share of a host's views one partner may take
    inactive_after_days: int | None = None  # activity gate; None: off
    activity_exempt: frozenset[str] = frozenset()
    fallback: str = "directory"  # directory | hide
    links: Links = field(default_factory=Links)
    granularity: str = "bucket"  # bucket | request
    bucket_seconds: int = 300
    # Not about selection: profile changes made in the member portal wait for a
    # coordinator (docs/portal.md).  Periods cannot change it; the base rules decide.
    approve_profile_changes: bool = False
    # Joint offers of the theme go live only after a coordinator approved them too.
    approve_offers: bool = False
    periods: tuple[tuple[Schedule, Rules], ...] = ()  # overrides while a schedule is active

    def at(self, timestamp: float) -> Rules:
        """The rules in force at a moment: the first active period's, else these."""
        for schedule, rules in self.periods:
            if schedule.active(timestamp):
                return rules
        return self


DEFAULT_RULES = Rules()

_SECTIONS = {
    "strategy",
    "partners",
    "order",
    "weights",
    "fairness",
    "exclusions",
    "pins",
    "region",
    "availability",
    "caps",
    "activity",
    "fallback",
    "links",
    "rotation",
    "portal",
    "periods",
}


class _Reader:
    """Typed access to one object of the rule document, with field paths in errors."""

    def __init__(self, path: str, raw: Any, allowed: set[str]) -> None:
        if raw is None:
            raw = {}
        if not isinstance(raw, dict):
            raise ValidationError(path or "rules", "must be an object")
        unknown = sorted(set(raw) - allowed)
        if unknown:
            raise ValidationError(self._join(path, unknown[0]), "is not a known field")
        self.path = path
        self.raw = raw

    @staticmethod
    def _join(path: str, key: str) -> str:
        return f"{path}.{key}" if path else key

    def at(self, key: str) -> str:
        return self._join(self.path, key)

    def number(self, key: str, default: float, low: float, high: float) -> float:
        value = self.raw.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValidationError(self.at(key), f"{value!r} is not a number")
        if isinstance(value, float) and math.isnan(value):
            raise ValidationError(self.at(key), f"{value!r} is not a number")
        if not low <= value <= high:  # compares huge ints exactly, no float overflow
            raise ValidationError(self.at(key), f"{value} is not between {low:g} and {high:g}")
        return float(value)

    def integer(self, key: str, default: int | None, low: int, high: int) -> int | None:
        value = self.raw.get(key, default)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValidationError(self.at(key), f"{value!r} is not a whole number")
        if not low <= value <= high:
            raise ValidationError(self.at(key), f"{value} is not between {low} and {high}")
        return value

    def flag(self, key: str, default: bool) -> bool:
        value = self.raw.get(key, default)
        if not isinstance(value, bool):
            raise ValidationError(self.at(key), f"{value!r} is not true or false")
        return value

    def choice(self, key: str, default: str, allowed: tuple[str, ...]) -> str:
        value = self.raw.get(key, default)
        if value not in allowed:
            raise ValidationError(self.at(key), f"{value!r} is not one of {', '.join(allowed)}")
        return str(value)

    def slugs(self, key: str) -> tuple[str, ...]:
        return _slug_list(self.at(key), self.raw.get(key, []))

    def text(self, key: str, default: str, limit: int) -> str:
        value = self.raw.get(key, default)
        if not isinstance(value, str) or len(value) > limit:
            raise ValidationError(self.at(key), f"must be text of at most {limit} characters")
        return " ".join(value.split())


def _slug(path: str, value: Any) -> str:
    if not isinstance(value, str) or not re.match(r"^[a-z0-9]+(?:-[a-z0-9]+)*$", value):
        raise ValidationError(path, f"{value!r} is not a member slug")
    return value


def _slug_list(path: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise ValidationError(path, "must be a list of member slugs")
    return tuple(_slug(f"{path}[{i}]", v) for i, v in enumerate(value))


def _items(path: str, value: Any) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValidationError(path, "must be a list")
    return value


def _links(raw: Any) -> Links:
    r = _Reader("links", raw, {"rel", "label", "utm"})
    rel = r.raw.get("rel", DEFAULT_REL)
    tokens = str(rel).split()
    bad = [t for t in tokens if t not in REL_TOKENS]
    if not isinstance(rel, str) or bad:
        raise ValidationError(
            "links.rel", f"{bad[0] if bad else rel!r} is not an allowed rel value"
        )
    utm_raw = r.raw.get("utm") or {}
    if not isinstance(utm_raw, dict):
        raise ValidationError("links.utm", "must be an object such as {utm_source: partnerkreis}")
    utm = {}
    for key, value in utm_raw.items():
        if not _UTM_KEY.match(str(key)):
            raise ValidationError(f"links.utm.{key}", "is not a UTM parameter (utm_source ...)")
        if not isinstance(value, str) or not _UTM_VALUE.match(value):
            raise ValidationError(f"links.utm.{key}", f"{value!r} is not a plain UTM value")
        utm[str(key)] = value
    return Links(" ".join(dict.fromkeys(tokens)), r.text("label", "", 30), utm)


def _pin(path: str, raw: Any, max_partners: int) -> Pin:
    r = _Reader(path, raw, {"member", "position", "hosts", "schedule", "counts_in_ledger"})
    if "member" not in r.raw:
        raise ValidationError(r.at("member"), "is required")
    position = r.integer("position", 1, 1, max_partners)
    schedule = r.raw.get("schedule")
    return Pin(
        member=_slug(r.at("member"), r.raw["member"]),
        position=int(position or 1),
        hosts=r.slugs("hosts"),
        schedule=parse_schedule(r.at("schedule"), schedule) if schedule is not None else None,
        counts_in_ledger=r.flag("counts_in_ledger", True),
    )


def _rules(raw: Any, *, allow_periods: bool) -> Rules:
    top = _Reader("", raw, _SECTIONS if allow_periods else _SECTIONS - {"periods"})
    strategy = top.choice("strategy", "fair-exchange", STRATEGY_NAMES)

    partners = _Reader("partners", top.raw.get("partners"), {"max", "min"})
    max_partners = int(partners.integer("max", 3, 1, MAX_PARTNERS) or 3)
    min_partners = int(partners.integer("min", 1, 0, MAX_PARTNERS) or 0)
    if min_partners > max_partners:
        raise ValidationError("partners.min", f"{min_partners} is more than max {max_partners}")

    weights_raw = top.raw.get("weights") or {}
    if not isinstance(weights_raw, dict):
        raise ValidationError("weights", "must map member slugs to numbers")
    weights_reader = _Reader("weights", weights_raw, set(weights_raw))
    weights = {
        _slug(f"weights.{k}", k): weights_reader.number(k, 1.0, 0.0, 1000.0) for k in weights_raw
    }

    f = _Reader(
        "fairness",
        top.raw.get("fairness"),
        {
            "alpha",
            "beta",
            "delta",
            "kappa",
            "half_life_days",
            "newcomer_grace_days",
            "newcomer_grant",
        },
    )
    fairness = Fairness(
        alpha=f.number("alpha", 0.8, 0.0, 1.0),
        beta=f.number("beta", 1.0, 0.0, 20.0),
        delta=f.number("delta", 4.0, 0.0, 10.0),
        kappa=f.number("kappa", 1.0, 0.001, 1e9),
        half_life_days=f.number("half_life_days", 14.0, 0.5, 365.0),
        newcomer_grace_days=int(f.integer("newcomer_grace_days", 30, 0, 365) or 0),
        newcomer_grant=f.number("newcomer_grant", 0.5, 0.0, 10.0),
    )

    ex = _Reader(
        "exclusions",
        top.raw.get("exclusions"),
        {"pairs", "blocklists", "same_category", "one_per_category"},
    )
    pairs = set()
    for i, pair in enumerate(_items("exclusions.pairs", ex.raw.get("pairs"))):
        members = _slug_list(f"exclusions.pairs[{i}]", pair)
        if len(members) != 2 or members[0] == members[1]:
            raise ValidationError(f"exclusions.pairs[{i}]", "must name two different members")
        pairs.add(frozenset(members))
    block_raw = ex.raw.get("blocklists") or {}
    if not isinstance(block_raw, dict):
        raise ValidationError("exclusions.blocklists", "must map a member to the slugs it blocks")
    blocklists = {
        _slug(f"exclusions.blocklists.{host}", host): frozenset(
            _slug_list(f"exclusions.blocklists.{host}", blocked)
        )
        for host, blocked in block_raw.items()
    }

    pins = tuple(
        _pin(f"pins[{i}]", p, max_partners)
        for i, p in enumerate(_items("pins", top.raw.get("pins")))
    )

    reg = _Reader("region", top.raw.get("region"), {"mode", "by", "postal_digits", "boost"})
    region = Region(
        mode=reg.choice("mode", "off", REGION_MODES),
        by=reg.choice("by", "town", ("town", "postal")),
        postal_digits=int(reg.integer("postal_digits", 2, 1, 5) or 2),
        boost=reg.number("boost", 2.0, 1.0, 100.0),
    )

    availability = []
    for i, item in enumerate(_items("availability", top.raw.get("availability"))):
        a = _Reader(f"availability[{i}]", item, {"member", "schedule"})
        if "member" not in a.raw or "schedule" not in a.raw:
            raise ValidationError(f"availability[{i}]", "needs member and schedule")
        availability.append(
            Availability(
                _slug(a.at("member"), a.raw["member"]),
                parse_schedule(a.at("schedule"), a.raw["schedule"]),
            )
        )

    caps = _Reader("caps", top.raw.get("caps"), {"max_share"})
    act = _Reader("activity", top.raw.get("activity"), {"inactive_after_days", "exempt"})
    rot = _Reader("rotation", top.raw.get("rotation"), {"granularity", "bucket_seconds"})
    por = _Reader("portal", top.raw.get("portal"), {"approve_profile_changes", "approve_offers"})

    rules = Rules(
        strategy=strategy,
        max_partners=max_partners,
        min_partners=min_partners,
        order=top.slugs("order"),
        weights=weights,
        fairness=fairness,
        exclude_pairs=frozenset(pairs),
        blocklists=blocklists,
        exclude_same_category=ex.flag("same_category", False),
        one_per_category=ex.flag("one_per_category", False),
        pins=pins,
        region=region,
        availability=tuple(availability),
        max_share=caps.number("max_share", 1.0, 0.01, 1.0),
        inactive_after_days=act.integer("inactive_after_days", None, 1, 365),
        activity_exempt=frozenset(act.slugs("exempt")),
        fallback=top.choice("fallback", "directory", ("directory", "hide")),
        links=_links(top.raw.get("links")),
        granularity=rot.choice("granularity", "bucket", ("bucket", "request")),
        bucket_seconds=int(rot.integer("bucket_seconds", 300, 10, 86_400) or 300),
        approve_profile_changes=por.flag("approve_profile_changes", False),
        approve_offers=por.flag("approve_offers", False),
    )
    if not allow_periods:
        return rules
    periods = []
    for i, item in enumerate(_items("periods", top.raw.get("periods"))):
        p = _Reader(f"periods[{i}]", item, {"schedule", "rules"})
        if "schedule" not in p.raw or "rules" not in p.raw:
            raise ValidationError(f"periods[{i}]", "needs schedule and rules")
        if not isinstance(p.raw["rules"], dict):
            raise ValidationError(f"periods[{i}].rules", "must be an object")
        merged = _merge({k: v for k, v in top.raw.items() if k != "periods"}, p.raw["rules"])
        try:
            override = _rules(merged, allow_periods=False)
        except ValidationError as exc:
            raise ValidationError(f"periods[{i}].rules.{exc.field}", exc.reason) from None
        periods.append((parse_schedule(p.at("schedule"), p.raw["schedule"]), override))
    return Rules(**{**rules.__dict__, "periods": tuple(periods)})


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """A period's rules over the base: objects are merged key by key, anything else replaced."""
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def parse_rules(raw: Any) -> Rules:
    """Validate a whole rule document (``None`` or ``{}`` gives the defaults)."""
    return _rules(raw, allow_periods=True)


def referenced_members(rules: Rules) -> set[str]:
    """Every member slug the rules name (they must exist when the rules are set)."""
    found = set(rules.order) | set(rules.weights) | set(rules.activity_exempt)
    found |= {m for pair in rules.exclude_pairs for m in pair}
    for host, blocked in rules.blocklists.items():
        found |= {host, *blocked}
    for pin in rules.pins:
        found |= {pin.member, *pin.hosts}
    found |= {a.member for a in rules.availability}
    for _, period in rules.periods:
        found |= referenced_members(period)
    return found
