"""Models read the fields they know, keep the rest in ``raw``, and are frozen."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from partnerkreis import (
    ApiKey,
    Block,
    Explanation,
    Member,
    MemberStats,
    Placement,
    Rules,
    Theme,
    ThemeStats,
)

MEMBER = {
    "slug": "blumenhaus",
    "name": "Blumenhaus am Markt",
    "website": "https://blumenhaus.example/",
    "domains": ["blumenhaus.example", "www.blumenhaus.example"],
    "description": "Sträuße",
    "category": "flowers",
    "category_label": "Blumen",
    "town": "Heide",
    "postal_code": "25746",
    "status": "active",
    "logo_url": None,
    "themes": [{"theme": "hochzeit-heide", "status": "active", "since": "2027-01-01"}],
}


def test_member_reads_known_fields_and_keeps_unknown_ones_in_raw() -> None:
    member = Member.from_json({**MEMBER, "rating": 5, "opening_hours": {"mo": "9-18"}})
    assert member.slug == "blumenhaus"
    assert member.domains == ("blumenhaus.example", "www.blumenhaus.example")
    assert member.themes[0].theme == "hochzeit-heide"
    assert member.themes[0].raw["since"] == "2027-01-01"
    assert member.raw["rating"] == 5
    assert member == Member.from_json(MEMBER)  # raw takes no part in equality


def test_missing_or_mistyped_fields_read_as_defaults() -> None:
    member = Member.from_json({"slug": "x", "name": "X", "domains": "not-a-list", "themes": None})
    assert member.website == ""
    assert member.domains == ()
    assert member.themes == ()
    assert member.status == "pending"
    assert Theme.from_json({"slug": "t", "members": "many"}).members == 0


def test_theme_carries_its_page_introduction() -> None:
    theme = Theme.from_json({"slug": "t", "name_de": "T", "intro_de": "Eins.\n\nZwei."})
    assert (theme.intro_de, theme.intro_en) == ("Eins.\n\nZwei.", "")


def test_models_are_frozen_and_raw_is_read_only() -> None:
    theme = Theme.from_json({"slug": "hochzeit", "name_de": "Hochzeit", "kind": "local"})
    with pytest.raises(dataclasses.FrozenInstanceError):
        theme.slug = "other"  # type: ignore[misc]
    with pytest.raises(TypeError):
        theme.raw["slug"] = "other"  # type: ignore[index]


@pytest.mark.parametrize(
    ("model", "data", "field", "value"),
    [
        (Theme, {"slug": "t", "name_de": "T", "members": 4, "colour": "red"}, "members", 4),
        (
            Placement,
            {"id": 3, "member": "m", "theme": "t", "token": "tok", "snippet_html": "<script>"},
            "token",
            "tok",
        ),
        (
            ApiKey,
            {"key_id": "pkr_1", "scope": "coordinator", "key": "pkr_1.secret", "last_used": 1},
            "key",
            "pkr_1.secret",
        ),
        (Rules, {"theme": "t", "version": 3, "rules": {"strategy": "fixed"}}, "version", 3),
        (
            Explanation,
            {"member": "m", "theme": "t", "at": "x", "fallback": "hide"},
            "fallback",
            "hide",
        ),
        (MemberStats, {"member": "m", "from": "2027-01-01", "themes": []}, "since", "2027-01-01"),
        (ThemeStats, {"theme": "t", "totals": {"views": 9}, "new": True}, "totals", {"views": 9}),
    ],
)
def test_every_model_tolerates_unknown_fields(
    model: Any, data: dict[str, object], field: str, value: object
) -> None:
    parsed = model.from_json({**data, "added_in_v2": {"nested": [1, 2]}})
    assert getattr(parsed, field) == value
    assert parsed.raw["added_in_v2"] == {"nested": [1, 2]}


def test_the_secret_of_a_key_is_not_in_its_repr() -> None:
    key = ApiKey.from_json({"key_id": "pkr_1", "scope": "coordinator", "key": "pkr_1.secret"})
    assert "secret" not in repr(key)


def test_member_stats_flatten_the_figures() -> None:
    stats = MemberStats.from_json(
        {
            "member": "blumenhaus",
            "name": "Blumenhaus",
            "from": None,
            "to": None,
            "themes": [
                {
                    "theme": "hochzeit",
                    "views_given": 10,
                    "views_received": 12,
                    "clicks_given": 1,
                    "clicks_received": 2,
                    "balance": 1.2,
                    "bound": 0.8,
                    "structural_net_giver": True,
                    "days": [{"day": "2027-03-06", "views_given": 10, "balance": None}],
                }
            ],
        }
    )
    figures = stats.themes[0]
    assert (figures.views_received, figures.balance, figures.bound) == (12, 1.2, 0.8)
    assert figures.structural_net_giver
    assert figures.days[0].day == "2027-03-06"
    assert figures.days[0].balance is None


def test_block_renders_its_html_and_says_where_it_came_from() -> None:
    data = {
        "theme": "hochzeit",
        "member": "blumen",
        "html": "<nav>&lt;b&gt;</nav>",
        "block": {"heading": "Partner", "partners": [{"name": "A", "url": "u", "x": 1}]},
        "future": 1,
    }
    block = Block.from_json(data, etag='"e"')
    assert block.__html__() == str(block) == "<nav>&lt;b&gt;</nav>"
    assert block.source == "network"
    assert block.partners[0].name == "A"
    assert block.heading == "Partner"
    assert block
    empty = Block.empty("hochzeit", "blumen")
    assert str(empty) == empty.__html__() == ""
    assert not empty
    assert empty.source == "fallback"


def test_every_argument_but_the_identifier_is_keyword_only() -> None:
    """members.create(slug, *, name=..., website=...): calls read the same in a year."""
    import inspect

    from partnerkreis import _async_resources, _events, _resources

    # what a call is about: one thing's identifier, or the list a bulk call creates
    identifiers = {"slug", "member", "theme", "key_id", "members"}
    second = {("Members", "set_membership"): "theme"}  # a membership is (member, theme)
    checked = 0
    for module in (_resources, _async_resources, _events):
        for cls_name, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ != module.__name__ or cls_name.endswith(("Resource", "Requester")):
                continue
            if cls_name == "Event":  # the model, not a resource
                continue
            for name, method in inspect.getmembers(cls, inspect.isfunction):
                if name.startswith("_"):
                    continue
                params = list(inspect.signature(method).parameters.values())[1:]
                positional = [p.name for p in params if p.kind is not p.KEYWORD_ONLY]
                allowed = [p for p in positional if p in identifiers][:1]
                if (cls_name.removeprefix("Async"), name) in second:
                    allowed.append(second[(cls_name.removeprefix("Async"), name)])
                assert positional == allowed, f"{cls_name}.{name}({', '.join(positional)}, ...)"
                checked += 1
    assert checked > 40
