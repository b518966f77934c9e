"""A bulk body's JSON array decoded a row at a time (web/bodies.array_items): the same
values as ``json.loads``, and the same documents refused."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from widget_server.web.bodies import array_items, strict_loads

values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=10,
)


@given(st.lists(values, max_size=6), st.sampled_from(["", " ", "\n\t\r "]), st.booleans())
def test_the_items_are_what_json_loads_makes_of_the_array(
    items: list[Any], space: str, compact: bool
) -> None:
    separators = (",", ":") if compact else (", ", ": ")
    between = f"{space},{space}"
    text = f"{space}[{space}" + between.join(json.dumps(i, separators=separators) for i in items)
    text += f"{space}]{space}"
    found = array_items(text)
    assert found is not None
    assert list(found) == strict_loads(text)


@pytest.mark.parametrize(
    "text", ["[1,]", "[1 2]", "[1] x", "[", "[1", "[,1]", "[NaN]", '["a",]', "[1e999]"]
)
def test_what_json_loads_refuses_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        strict_loads(text)
    with pytest.raises(ValueError):
        list(array_items(text) or ())


@pytest.mark.parametrize("text", ['{"a": 1}', "1", '"x"', "null", "  {}"])
def test_a_document_that_is_no_array_is_left_to_json_loads(text: str) -> None:
    assert array_items(text) is None
