"""core/logs.py: the request log's path, made without a regex for the widget's paths."""

from __future__ import annotations

import re

from hypothesis import example, given
from hypothesis import strategies as st

from widget_server.core.logs import loggable_path

# What loggable_path always did: the portal's token, else one substitution.
WIDGET_TOKEN = re.compile(r"^/(w|c|v)/[^/]*?(\.html)?$")
PORTAL_TOKEN = re.compile(r"^/portal/[^/]*\.[^/]*$")


def by_regex(path: str) -> str:
    if PORTAL_TOKEN.match(path):
        return "/portal/{token}"
    return WIDGET_TOKEN.sub(r"/\1/{token}\2", path)


PIECES = ["w", "c", "v", "/", ".", "html", ".html", "\n", "\r", "x", "a.b", "é", "%2F", " "]
paths = st.tuples(
    st.sampled_from(["/w/", "/c/", "/v/", "/portal/", "/x/", "/w", "/", ""]),
    st.lists(st.sampled_from(PIECES) | st.text(max_size=3), max_size=8),
).map(lambda parts: parts[0] + "".join(parts[1]))


@given(paths)
@example("/w/abc.html\n")  # $ matches before a last newline: the regex's own answer
@example("/w/\n")
@example("/w/.html")
@example("/w/")
@example("/v/a/b.html")
def test_a_logged_path_is_the_regex_substitutions(path: str) -> None:
    assert loggable_path(path) == by_regex(path)
