"""The block body joined from parts is ``json.dumps`` of ``build_block``'s dict, to the byte.

``serving/fragments.py`` makes the body of ``/w/{token}`` from parts kept per
theme and display; the dict ``build_block`` makes (the REST API's, the portal's)
stays the definition.  Hostile member and theme text (quotes, backslashes,
``</script>``, control characters, U+2028, emoji, right-to-left marks) must come
out the same from both, and a part made from a theme before its change is never
served after it.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from starlette.applications import Starlette

from tests.conftest import WEDDING_MEMBERS, Clock, caught_up
from widget_server.core.models import Logo, Member, Placement, Theme
from widget_server.core.signing import Signer
from widget_server.counting.served import served_token
from widget_server.network.services import update_member, update_theme
from widget_server.rotation import Rules, Slot
from widget_server.rotation.rules import Links
from widget_server.serving import fragments, page
from widget_server.serving import slots as joint
from widget_server.serving.blocks import (
    Display,
    Drawn,
    Rotation,
    build_block,
    resolve_display,
)
from widget_server.serving.nav import nav_markup
from widget_server.serving.snapshot import LedgerInput, Snapshot
from widget_server.storage import NetworkData, Storage

NOW = 1_800_000_000.0
HOSTILE = [
    '"quoted"',
    "back\\slash",
    "</script><script>alert(1)</script>",
    "line\u2028break\u2029",
    "ctrl\x00\x01\x1f\x7f",
    "tab\tnew\nline\r",
    "emoji 🦊🎉",
    "\u202eRTL\u200f mark \u200e",
    "Ünïcödé · ß",
    "",
    " ",
]
text = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=20))
category = st.one_of(st.sampled_from(["flowers", "catering", "venue", ""]), text)
logo = st.one_of(
    st.none(),
    st.builds(
        Logo,
        member_id=st.just(0),
        digest=st.sampled_from(["0123456789abcdef0123", '"\\</'.ljust(20, "x")]),
        content_type=st.sampled_from(["image/png", "image/jpeg", 'image/"x\\']),
        width=st.just(48),
        height=st.just(48),
    ),
)
member_fields = st.fixed_dictionaries(
    {"name": text, "description": text, "category": category, "town": text, "logo": logo}
)
base_url = st.sampled_from(
    ["https://partnerkreis.example", "http://127.0.0.1:8000", 'http://h"\\ost\u2028']
)


def snapshot_of(theme: Theme, members: list[Member]) -> Snapshot:
    data = NetworkData(1, (theme,), tuple(members), (), (Placement(1, members[0].id, 1),), ())
    return Snapshot.build(data, LedgerInput(), NOW)


def reference(
    snapshot: Snapshot,
    display: Display,
    slots: tuple[Slot, ...],
    extra: dict[str, Any] | None,
    rules: Rules,
    signer: Signer,
    base: str,
    view: str | None,
) -> bytes:
    """What the endpoint sent before: the dict, the slot's card appended, the view set."""
    block = build_block(
        snapshot,
        snapshot.placements[1],
        display,
        slots=slots,
        rules=rules,
        rotation=Rotation(6_000_000, cacheable=True, seconds_left=10),
        signer=signer,
        base_url=base,
    )
    if extra is not None:  # as slots.block_dict appends it
        block["partners"].append(extra)
        block["fallback"] = False
    block["view"] = view
    return json.dumps(block, ensure_ascii=False, separators=(",", ":")).encode()


@hypothesis_settings(max_examples=300, deadline=None)
@given(
    fields=st.lists(member_fields, min_size=1, max_size=5),
    shown=st.integers(0, 5),
    theme_name=text,
    kind=st.sampled_from(["topic", "local"]),
    lang=st.sampled_from(["de", "en"]),
    layout=st.sampled_from(["list", "cards", "compact"]),
    scheme=st.sampled_from(["auto", "light", "dark"]),
    label=st.one_of(st.sampled_from(["", "Anzeige", "sponsored"]), text),
    rel=st.one_of(st.sampled_from(["sponsored nofollow noopener", ""]), text),
    fallback=st.sampled_from(["directory", "hide"]),
    base=base_url,
    view=st.one_of(st.none(), text),
    extra=st.one_of(st.none(), st.fixed_dictionaries({"name": text, "kind": text})),
)
def test_the_joined_body_is_the_dicts_json_for_hostile_text(
    fields: list[dict[str, Any]],
    shown: int,
    theme_name: str,
    kind: str,
    lang: str,
    layout: str,
    scheme: str,
    label: str,
    rel: str,
    fallback: str,
    base: str,
    view: str | None,
    extra: dict[str, Any] | None,
) -> None:
    members = [
        Member(n + 10, f"m{n}", website=f"https://m{n}.example/", status="active", **f)
        for n, f in enumerate(fields)
    ]
    theme = Theme(1, "t-1", theme_name or "x", theme_name, kind=kind)  # type: ignore[arg-type]
    snapshot = snapshot_of(theme, members)
    rules = Rules(fallback=fallback, links=Links(rel=rel, label=label))
    display = Display(lang, layout, scheme)
    slots = tuple(Slot(m.id, n + 1) for n, m in enumerate(members[:shown]))
    signer = Signer(["fragments-test-key"], clock=lambda: NOW)
    made = fragments.block_body(
        snapshot,
        snapshot.placements[1],
        display,
        Drawn(slots, extra, rules, Rotation(6_000_000, cacheable=True, seconds_left=10)),
        signer=signer,
        base_url=base,
        view=view,
    )
    assert made == reference(snapshot, display, slots, extra, rules, signer, base, view)
    # and again, from the parts kept by the first
    again = fragments.block_body(
        snapshot,
        snapshot.placements[1],
        display,
        Drawn(slots, extra, rules, Rotation(6_000_000, cacheable=True, seconds_left=10)),
        signer=signer,
        base_url=base,
        view=view,
    )
    assert again == made


@hypothesis_settings(max_examples=300, deadline=None)
@given(
    fields=st.lists(member_fields, min_size=1, max_size=5),
    shown=st.integers(0, 5),
    theme_name=text,
    lang=st.sampled_from(["de", "en"]),
    layout=st.sampled_from(["list", "cards", "compact"]),
    label=st.one_of(st.sampled_from(["", "Anzeige"]), text),
    rel=st.one_of(st.sampled_from(["sponsored nofollow noopener", ""]), text),
    fallback=st.sampled_from(["directory", "hide"]),
    base=st.one_of(base_url, st.sampled_from(["", " https://x.example", "ftp://x"])),
    extra=st.one_of(
        st.none(),
        st.fixed_dictionaries(
            {"name": text, "url": st.sampled_from(["https://o.example/o/x", "x"]), "kind": text}
        ),
    ),
)
def test_the_pages_nav_is_the_dicts_for_hostile_text(
    fields: list[dict[str, Any]],
    shown: int,
    theme_name: str,
    lang: str,
    layout: str,
    label: str,
    rel: str,
    fallback: str,
    base: str,
    extra: dict[str, Any] | None,
) -> None:
    members = [
        Member(n + 10, f"m{n}", website=f"https://m{n}.example/", status="active", **f)
        for n, f in enumerate(fields)
    ]
    snapshot = snapshot_of(Theme(1, "t-1", theme_name or "x", theme_name), members)
    rules = Rules(fallback=fallback, links=Links(rel=rel, label=label))
    display = Display(lang, layout, "auto")
    slots = tuple(Slot(m.id, n + 1) for n, m in enumerate(members[:shown]))
    signer = Signer(["fragments-test-key"], clock=lambda: NOW)
    rotation = Rotation(6_000_000, cacheable=True, seconds_left=10)
    block = json.loads(reference(snapshot, display, slots, extra, rules, signer, base, None))
    for _ in range(2):  # made, then from the frame kept
        made = page.block_nav(
            snapshot,
            snapshot.placements[1],
            display,
            Drawn(slots, extra, rules, rotation),
            signer=signer,
            base_url=base,
        )
        assert made == nav_markup(block, lang)


def test_a_frame_made_before_a_theme_changed_is_not_served_after() -> None:
    member = Member(10, "m0", "Blumen", "https://m0.example/", status="active")
    before = snapshot_of(Theme(1, "t-1", "Hochzeit", "Wedding"), [member])
    rules = Rules()
    display = Display("de", "list", "auto")
    signer = Signer(["fragments-test-key"], clock=lambda: NOW)

    def body(snapshot: Snapshot) -> bytes:
        return fragments.block_body(
            snapshot,
            snapshot.placements[1],
            display,
            Drawn(
                (Slot(10, 1),), None, rules, Rotation(6_000_000, cacheable=True, seconds_left=10)
            ),
            signer=signer,
            base_url="https://p.example",
            view=None,
        )

    assert "Hochzeit" in body(before).decode()
    # A snapshot that took the render cache over without dropping the theme (what a
    # missed invalidation would be): the frame is checked against the theme object.
    renamed = dataclasses.replace(before, themes={1: Theme(1, "t-1", "Trauung", "Wedding")})
    assert renamed.cache is before.cache
    made = body(renamed).decode()
    assert "Trauung" in made and "Hochzeit" not in made
    assert made.encode() == reference(
        renamed, display, (Slot(10, 1),), None, rules, signer, "https://p.example", None
    )


# -- through the endpoint -------------------------------------------------------------------


def served_reference(app: Starlette, placement_id: int, now: float) -> bytes:
    """The body ``/w/`` sent before this module: ``block_dict``'s dict with its view link."""
    runtime = app.state.runtime
    snapshot = runtime.snapshots.current
    placement = snapshot.placements[placement_id]
    display = resolve_display(placement, None, None, None)
    base_url = "http://testserver"
    drawn = runtime.drawn(snapshot, placement, display, base_url, now)
    block = joint.block_dict(
        snapshot, placement, display, drawn, signer=runtime.signer, base_url=base_url
    )
    rotation = drawn.rotation
    prefix = runtime.counting.signer.view_prefix(placement.id, rotation.bucket, drawn.shown)
    start = rotation.bucket * drawn.rules.bucket_seconds
    block["view"] = f"http://testserver/v/{served_token(runtime.counting, prefix, start)}"
    return json.dumps(block, ensure_ascii=False, separators=(",", ":")).encode()


@pytest.mark.asyncio
async def test_the_endpoint_serves_the_dicts_bytes_before_and_after_changes(
    network: dict[str, int],
    app: Starlette,
    client: httpx.AsyncClient,
    signer: Signer,
    storage: Storage,
    clock: Clock,
) -> None:
    clock.now -= clock.now % 300  # the start of a bucket: every request below is in it
    placement_id = network["blumen"]
    token = signer.embed_token(placement_id)
    first = await client.get(f"/w/{token}")
    assert first.content == served_reference(app, placement_id, clock())
    assert "Hochzeit" in first.json()["heading"]

    # The theme renamed and every member's text changed in the same bucket: the parts
    # made before are never served again.
    await update_theme(storage, "hochzeit", {"name_de": 'Trau"ung </script>'})
    for slug, _, _ in WEDDING_MEMBERS:
        await update_member(storage, slug, {"name": f'{slug} "neu" 🦊', "town": "Husum \\"})
    await caught_up(app, storage)
    clock.advance(1)
    again = await client.get(f"/w/{token}")
    block = again.json()
    assert block["heading"].endswith('Trau"ung </script>')
    assert block["partners"] and all(p["town"] == "Husum \\" for p in block["partners"])
    assert all(p["name"].endswith(' "neu" 🦊') for p in block["partners"])
    assert again.content == served_reference(app, placement_id, clock())
