"""web/endpoints/widget.py's shortcuts on a block's first sight give what they replace."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from starlette.requests import Request

from widget_server.core.models import LANGUAGES, LAYOUTS, SCHEMES, Placement, PlacementOptions
from widget_server.rotation import Rules
from widget_server.serving.blocks import resolve_display, rotation_at
from widget_server.web.endpoints import widget

# Known values, values next to them, and none: what a placement's fixed options may hold.
option = st.none() | st.sampled_from([*LANGUAGES, *LAYOUTS, *SCHEMES, "", "EN", " de", "x"])
options = st.builds(
    PlacementOptions,
    layout=option,
    max_partners=st.integers(1, 6),
    lang=option,
    scheme=option,
    show=st.none() | st.just("partners,offer"),
)


@given(st.lists(options, min_size=1, max_size=40))
def test_a_plain_requests_display_is_resolve_displays(found: list[PlacementOptions]) -> None:
    for n, opts in enumerate(found):
        placement = Placement(n + 1, 7, 3, opts)
        assert widget._plain_display(placement) == resolve_display(placement, None, None, None)


def test_plain_displays_are_kept_bounded() -> None:
    widget._PLAIN_DISPLAYS.clear()
    for n in range(widget._PLAIN_DISPLAYS_KEPT + 5):
        widget._plain_display(Placement(1, 7, 3, PlacementOptions(lang=f"x{n}")))
    assert 0 < len(widget._PLAIN_DISPLAYS) <= widget._PLAIN_DISPLAYS_KEPT


header_names = st.sampled_from([b"host", b"if-none-match", b"If-None-Match", b"if-none", b"x"])
header_values = st.binary(max_size=12)


@given(st.lists(st.tuples(header_names, header_values), max_size=6))
def test_if_none_match_is_the_request_headers(headers: list[tuple[bytes, bytes]]) -> None:
    request = Request({"type": "http", "headers": list(headers)})
    expected = Request({"type": "http", "headers": list(headers)}).headers.get("if-none-match")
    assert widget._if_none_match(request) == expected


@given(
    st.sampled_from(["bucket", "request"]),
    st.integers(10, 86_400),
    st.floats(0, 4e9, allow_nan=False) | st.integers(0, 4 * 10**9).map(float),
)
def test_the_bucket_is_rotation_ats(granularity: str, seconds: int, now: float) -> None:
    rules = Rules(granularity=granularity, bucket_seconds=seconds)
    rotation = rotation_at(rules, now, 0)
    assert widget._bucket(rules, now) == (rotation.cacheable, rotation.bucket)
