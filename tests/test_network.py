"""Network services: validation before any write, domains, placements."""

from __future__ import annotations

from dataclasses import replace

import pytest

from widget_server.core.errors import ConflictError, NotFoundError, ValidationError
from widget_server.core.models import PlacementOptions
from widget_server.network.services import (
    MAX_PARTNERS,
    MemberInput,
    add_member,
    add_theme,
    check_placement_options,
    domains_for,
    normalise_domain,
    placement_for,
    set_member_status,
)
from widget_server.storage import SQLiteStorage

GOOD = MemberInput(
    slug="blumen",
    name="Blumenhaus am Markt",
    website="https://www.blumen.example/",
    description="Sträuße und Gestecke",
    category="flowers",
    town="Heide",
    postal_code="25746",
)


# -- member validation ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field", "bad_value"),
    [
        # slugs
        ({"slug": "Hoch zeit"}, "slug", "Hoch zeit"),
        ({"slug": "-x"}, "slug", "-x"),
        ({"slug": "x-"}, "slug", "x-"),
        ({"slug": "x--y"}, "slug", "x--y"),
        ({"slug": "ÄÖ"}, "slug", "ÄÖ"),
        ({"slug": "Blumen"}, "slug", "Blumen"),
        ({"slug": "a_b"}, "slug", "a_b"),
        ({"slug": ""}, "slug", ""),
        ({"slug": "a" * 61}, "slug", "a" * 61),
        ({"slug": "ab-" * 20 + "c"}, "slug", "ab-" * 20 + "c"),  # 61 characters
        # websites
        ({"website": "ftp://blumen.example/"}, "website", "ftp://blumen.example/"),
        ({"website": "javascript:alert(1)"}, "website", "javascript:alert(1)"),
        ({"website": "https://user:pw@x.example"}, "website", "https://user:pw@x.example"),
        ({"website": "https://user@x.example"}, "website", "https://user@x.example"),
        ({"website": "https://"}, "website", "https://"),
        ({"website": "https:///path"}, "website", "https:///path"),
        ({"website": "blumen.example"}, "website", "blumen.example"),
        ({"website": ""}, "website", ""),
        # a host that is not a domain name is a bad website, not a bad extra domain
        ({"website": "https://bad_host.example/"}, "website", "https://bad_host.example/"),
        # extra domains
        ({"domains": ("bad domain.example",)}, "domains", "bad domain.example"),
        ({"domains": ("under_score.example",)}, "domains", "under_score.example"),
        ({"domains": ("-lead.example",)}, "domains", "-lead.example"),
        ({"domains": ("",)}, "domains", ""),
        # categories
        ({"category": "Flowers"}, "category", "Flowers"),
        ({"category": "bike repair"}, "category", "bike repair"),
        ({"category": "x" * 41}, "category", "x" * 41),
        # text lengths and required text
        ({"name": "x" * 81}, "name", None),
        ({"name": ""}, "name", None),
        ({"name": "  \t\n "}, "name", None),
        ({"description": "x" * 301}, "description", None),
        ({"town": "x" * 81}, "town", None),
        # status
        ({"status": "removed"}, "status", "removed"),
        ({"status": "deleted"}, "status", "deleted"),
        # postal codes
        ({"postal_code": "12"}, "postal_code", "12"),
        ({"postal_code": "12345678901"}, "postal_code", "12345678901"),
        ({"postal_code": "<b>1234</b>"}, "postal_code", "<b>1234</b>"),
    ],
)
@pytest.mark.asyncio
async def test_add_member_rejects_a_bad_value_naming_its_field(
    storage: SQLiteStorage, changes: dict[str, object], field: str, bad_value: str | None
) -> None:
    data = replace(GOOD, **changes)  # type: ignore[arg-type]
    version = await storage.data_version()
    with pytest.raises(ValidationError) as info:
        await add_member(storage, data)
    assert info.value.field == field
    if bad_value:
        assert bad_value in str(info.value)
    assert await storage.list_members() == []
    assert await storage.data_version() == version


@pytest.mark.parametrize(
    "changes",
    [
        {"slug": "a" * 60},
        {"slug": "x-y-2"},
        {"name": "x" * 80},
        {"description": "x" * 300},
        {"website": "http://blumen.example"},
        {"website": "  https://blumen.example/shop?x=1  "},
        {"category": ""},
        {"category": "bike-repair"},  # unknown categories are allowed if they are slugs
        {"postal_code": ""},
        {"postal_code": "DK-6700"},
        {"status": "pending"},
        {"status": "paused"},
    ],
)
@pytest.mark.asyncio
async def test_add_member_accepts_values_at_the_limits(
    storage: SQLiteStorage, changes: dict[str, object]
) -> None:
    data = replace(GOOD, **changes)  # type: ignore[arg-type]
    created = await add_member(storage, data)
    assert await storage.get_member(data.slug) == created


@pytest.mark.asyncio
async def test_add_member_normalises_text_and_derives_domains(storage: SQLiteStorage) -> None:
    created = await add_member(
        storage,
        replace(
            GOOD,
            name="  Blumenhaus \n am   Markt ",
            website=" https://www.Blumen.example/laden ",
            domains=("Shop.Blumen.example", "https://alt.example:8443/x"),
        ),
    )
    assert created.name == "Blumenhaus am Markt"
    assert created.website == "https://www.Blumen.example/laden"
    assert created.domains == (
        "alt.example",
        "blumen.example",
        "shop.blumen.example",
        "www.blumen.example",
    )


@pytest.mark.asyncio
async def test_add_member_with_an_unknown_theme_writes_nothing(storage: SQLiteStorage) -> None:
    await add_theme(storage, slug="hochzeit", name_de="Hochzeit")
    version = await storage.data_version()
    with pytest.raises(ValidationError) as info:
        await add_member(storage, replace(GOOD, themes=("hochzeit", "nope")))
    assert info.value.field == "themes"
    assert "'nope'" in str(info.value)
    with pytest.raises(NotFoundError):
        await storage.get_member(GOOD.slug)
    assert await storage.list_memberships() == []
    assert await storage.data_version() == version


@pytest.mark.asyncio
async def test_add_member_joins_each_theme_once(storage: SQLiteStorage) -> None:
    t = await add_theme(storage, slug="hochzeit", name_de="Hochzeit")
    created = await add_member(storage, replace(GOOD, themes=("hochzeit", "hochzeit")))
    assert [ms.theme_id for ms in await storage.list_memberships(member_id=created.id)] == [t.id]


@pytest.mark.asyncio
async def test_add_member_twice_is_a_conflict_naming_the_slug(storage: SQLiteStorage) -> None:
    await add_member(storage, GOOD)
    with pytest.raises(ConflictError, match="'blumen'"):
        await add_member(storage, replace(GOOD, name="Another"))


@pytest.mark.asyncio
async def test_set_member_status_by_slug(storage: SQLiteStorage) -> None:
    await add_member(storage, GOOD)
    assert (await set_member_status(storage, "blumen", "paused")).status == "paused"
    with pytest.raises(NotFoundError):
        await set_member_status(storage, "nope", "paused")


# -- theme validation -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "field", "bad_value"),
    [
        ({"slug": "Hoch zeit"}, "slug", "Hoch zeit"),
        ({"slug": "x--y"}, "slug", "x--y"),
        ({"slug": "ÄÖ"}, "slug", "ÄÖ"),
        ({"slug": "a" * 61}, "slug", "a" * 61),
        ({"kind": "regional"}, "kind", "regional"),
        ({"name_de": ""}, "name_de", None),
        ({"name_de": "x" * 81}, "name_de", None),
        ({"name_en": "x" * 81}, "name_en", None),
        ({"description_de": "x" * 301}, "description_de", None),
        ({"description_en": "x" * 301}, "description_en", None),
    ],
)
@pytest.mark.asyncio
async def test_add_theme_rejects_a_bad_value_naming_its_field(
    storage: SQLiteStorage, kwargs: dict[str, str], field: str, bad_value: str | None
) -> None:
    args = {"slug": "hochzeit", "name_de": "Hochzeit", **kwargs}
    with pytest.raises(ValidationError) as info:
        await add_theme(storage, **args)
    assert info.value.field == field
    if bad_value:
        assert bad_value in str(info.value)
    assert await storage.list_themes() == []


@pytest.mark.asyncio
async def test_add_theme_twice_is_a_conflict_naming_the_slug(storage: SQLiteStorage) -> None:
    await add_theme(storage, slug="hochzeit", name_de="Hochzeit")
    with pytest.raises(ConflictError, match="'hochzeit'"):
        await add_theme(storage, slug="hochzeit", name_de="Hochzeit 2")


# -- domains --------------------------------------------------------------------------------


def test_domains_for_a_www_website_gives_both_forms() -> None:
    assert domains_for("https://www.example.de/x") == ("example.de", "www.example.de")


def test_domains_for_a_bare_website_gives_both_forms() -> None:
    assert domains_for("https://example.de") == ("example.de", "www.example.de")


def test_domains_for_adds_extra_domains_once() -> None:
    assert domains_for("https://example.de/", ["shop.example.de", "WWW.example.de"]) == (
        "example.de",
        "shop.example.de",
        "www.example.de",
    )


@pytest.mark.parametrize(
    ("raw", "domain"),
    [
        ("example.de", "example.de"),
        ("www.example.de", "www.example.de"),
        ("https://www.Example.de/x", "www.example.de"),
        ("http://example.de:8080/path?q=1", "example.de"),
        ("EXAMPLE.DE", "example.de"),
        ("  example.de  ", "example.de"),
        ("example.de/shop", "example.de"),
        ("example.de:8443", "example.de"),
        ("sub.shop.example.de", "sub.shop.example.de"),
        ("xn--bcher-kva.example", "xn--bcher-kva.example"),
        ("localhost", "localhost"),
        ("a-b.example", "a-b.example"),
    ],
)
def test_normalise_domain(raw: str, domain: str) -> None:
    assert normalise_domain(raw) == domain


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "exa mple.de",
        "exa_mple.de",
        "-lead.example.de",
        "trail-.example.de",
        "example..de",
        "bücher.example",
        "https://",
        "a" * 64 + ".example",
    ],
)
def test_normalise_domain_rejects_what_is_not_a_domain(raw: str) -> None:
    with pytest.raises(ValidationError) as info:
        normalise_domain(raw)
    assert info.value.field == "domains"


# -- placements -----------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_placement_for_reuses_a_placement_with_equal_options(
    network: dict[str, int], storage: SQLiteStorage
) -> None:
    member, theme, placement = await placement_for(storage, "blumen", "hochzeit")
    assert (member.slug, theme.slug, placement.id) == ("blumen", "hochzeit", network["blumen"])
    again = await placement_for(storage, "blumen", "hochzeit", PlacementOptions())
    assert again[2] == placement
    assert len(await storage.list_placements(member_id=member.id)) == 1


@pytest.mark.asyncio
async def test_placement_for_makes_a_new_placement_for_other_options(
    network: dict[str, int], storage: SQLiteStorage
) -> None:
    options = PlacementOptions(layout="list", max_partners=5, lang="en", scheme="dark")
    _, _, placement = await placement_for(storage, "blumen", "hochzeit", options)
    assert placement.id != network["blumen"]
    assert placement.options == options
    _, _, same = await placement_for(storage, "blumen", "hochzeit", options)
    assert same.id == placement.id
    member = await storage.get_member("blumen")
    assert len(await storage.list_placements(member_id=member.id)) == 2


@pytest.mark.asyncio
async def test_placement_for_refuses_a_member_not_in_the_theme(
    network: dict[str, int], storage: SQLiteStorage
) -> None:
    await add_theme(storage, slug="heide", name_de="Heide", kind="local")
    before = await storage.list_placements()
    with pytest.raises(ValidationError) as info:
        await placement_for(storage, "blumen", "heide")
    assert info.value.field == "theme"
    assert "'blumen'" in str(info.value)
    assert "'heide'" in str(info.value)
    assert await storage.list_placements() == before


@pytest.mark.asyncio
async def test_placement_for_refuses_a_member_that_left_the_theme(
    network: dict[str, int], storage: SQLiteStorage
) -> None:
    member = await storage.get_member("blumen")
    theme = await storage.get_theme("hochzeit")
    await storage.set_membership(member.id, theme.id, "left")
    with pytest.raises(ValidationError):
        await placement_for(storage, "blumen", "hochzeit", PlacementOptions(layout="list"))


@pytest.mark.asyncio
async def test_placement_for_an_unknown_member_or_theme_is_not_found(
    network: dict[str, int], storage: SQLiteStorage
) -> None:
    with pytest.raises(NotFoundError):
        await placement_for(storage, "nope", "hochzeit")
    with pytest.raises(NotFoundError):
        await placement_for(storage, "blumen", "nope")


@pytest.mark.parametrize("max_partners", [1, 3, MAX_PARTNERS])
def test_check_placement_options_accepts_partner_counts_in_bounds(max_partners: int) -> None:
    options = check_placement_options(
        layout="cards", max_partners=max_partners, lang="de", scheme="auto"
    )
    assert options == PlacementOptions("cards", max_partners, "de", "auto")


@pytest.mark.parametrize("max_partners", [0, -1, MAX_PARTNERS + 1, 13, 100])
def test_check_placement_options_rejects_partner_counts_out_of_bounds(max_partners: int) -> None:
    with pytest.raises(ValidationError) as info:
        check_placement_options(layout=None, max_partners=max_partners, lang=None, scheme=None)
    assert info.value.field == "max_partners"
    assert str(max_partners) in str(info.value)


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("layout", {"layout": "grid"}),
        ("lang", {"lang": "fr"}),
        ("scheme", {"scheme": "sepia"}),
    ],
)
def test_check_placement_options_rejects_unknown_choices(
    field: str, kwargs: dict[str, str]
) -> None:
    args: dict[str, str | None] = {"layout": None, "lang": None, "scheme": None, **kwargs}
    with pytest.raises(ValidationError) as info:
        check_placement_options(max_partners=3, **args)
    assert info.value.field == field
    assert kwargs[field] in str(info.value)


def test_check_placement_options_leaves_unset_choices_to_the_embed() -> None:
    assert (
        check_placement_options(layout=None, max_partners=3, lang=None, scheme=None)
        == PlacementOptions()
    )


@pytest.mark.asyncio
@pytest.mark.parametrize("field", ["name", "description", "town"])
async def test_control_characters_are_refused_in_member_text(
    storage: SQLiteStorage, field: str
) -> None:
    values = {"slug": "nul", "name": "Nul", "website": "https://nul.example"}
    values[field] = "Blumen\x00haus"
    with pytest.raises(ValidationError) as caught:
        await add_member(storage, MemberInput(**values))  # type: ignore[arg-type]
    assert caught.value.field == field
    with pytest.raises(NotFoundError):
        await storage.get_member("nul")
