"""The theme page's pure parts: the JSON-LD checker itself, script-safe JSON, intro text."""

from __future__ import annotations

import json

import pytest

from tests.schema_org import problems
from widget_server.network.prose import check_prose, paragraphs
from widget_server.serving.structured_data import script_json

HOSTILE = '</script><script>alert(1)</script><!--\u2028"&'


def test_the_checker_finds_what_is_wrong() -> None:
    """The JSON-LD check can fail: missing, misplaced and malformed properties."""
    bad = {
        "@context": "https://schema.org",
        "@graph": [
            {"@type": "Event", "name": "x", "startDate": "2027-05-01T10:00:00"},
            {"@type": "Offer", "name": "y", "url": "/o/y", "startDate": "2027-05-01"},
            {"@type": "ItemList", "itemListElement": [{"@type": "ListItem", "position": "1"}]},
        ],
    }
    assert problems(bad) == [
        "@graph/Event: location missing",
        "@graph/Event.startDate: '2027-05-01T10:00:00' has no time zone",
        "@graph/Offer.url: '/o/y' is not an absolute URL",
        "@graph/Offer: startDate is not a property of Offer",
        "@graph/ItemList.itemListElement/ListItem: item missing",
        "@graph/ItemList.itemListElement/ListItem.position: '1' is not an integer",
    ]


@pytest.mark.parametrize("text", [HOSTILE, "a\u2029b", "\u2028", "<>&", 'x"y', "ü\u2028ä"])
def test_script_json_round_trips_and_never_closes_the_script(text: str) -> None:
    embedded = script_json({"name": text})
    assert not set(embedded) & {"<", ">", "&", "\u2028", "\u2029"}
    assert json.loads(embedded) == {"name": text}


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("  Eins  zwei \r\n\r\n\r\n Drei ", "Eins zwei\n\nDrei"),
        ("a\nb\n \n\nc", "a\nb\n\nc"),
        ("<b>fett</b>", "<b>fett</b>"),  # kept as typed; the page escapes it
        ("links\u202eschts", "linksschts"),
        ("", ""),
    ],
)
def test_intro_is_tidied_into_paragraphs(typed: str, stored: str) -> None:
    assert check_prose("intro_de", typed) == stored


def test_paragraphs_are_lists_of_lines() -> None:
    assert paragraphs("a\nb\n\nc") == [["a", "b"], ["c"]]
    assert paragraphs("") == []
