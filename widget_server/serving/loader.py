"""Builds the /embed.js asset from static/embed.src.js and static/widget.css.

The transformations are deliberately simple and only safe for the two source
files in this package; the rules they rely on are listed in the header
comments of both files:

* CSS: comments removed, whitespace collapsed, spaces around ``{ } ; : ,``
  and the last ``;`` of a block dropped. Spaces around ``(``, ``)``, ``+``,
  ``-`` and ``/`` are kept (``and (...)`` and ``calc()`` need them).
* JS: full-line ``//`` comments, blank lines and indentation removed, then
  spaces/tabs next to punctuation removed outside string and template
  literals. Line breaks are never touched (so automatic semicolon insertion
  is unaffected) and a space between two operator characters is kept (so
  ``a - -b`` or ``x ? .5`` cannot turn into other tokens).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

CSS_PLACEHOLDER = '"__PK_CSS__"'

_CSS_COMMENT = re.compile(r"/\*.*?\*/", re.S)
_CSS_PUNCT = re.compile(r"\s*([{};:,])\s*")
# A string/template literal, or a run of spaces/tabs with its neighbours.
_JS_TOKEN = re.compile(
    r"""("(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`[^`]*`)|(?<=(.))[ \t]+(?=(.))"""
)
_JS_PUNCT = set("{}()[],;:=<>?!&|+-*\"'`")
_JS_OPERATOR = set("+-*/%<>=!&|?.^~")


@dataclass(frozen=True)
class LoaderAsset:
    body: bytes
    etag: str
    gzip_size: int


def minify_css(text: str) -> str:
    """Strip comments and redundant whitespace from widget.css."""
    text = re.sub(r"\s+", " ", _CSS_COMMENT.sub("", text))
    return _CSS_PUNCT.sub(r"\1", text).replace(";}", "}").strip()


def _squeeze(m: re.Match[str]) -> str:
    if m.group(1):  # literal: verbatim
        return m.group(1)
    left, right = m.group(2), m.group(3)
    if left in _JS_OPERATOR and right in _JS_OPERATOR:
        return " "
    return "" if left in _JS_PUNCT or right in _JS_PUNCT else " "


def minify_js(text: str) -> str:
    """Drop comment lines, blank lines, indentation and spaces at punctuation."""
    lines = (line.strip() for line in text.splitlines())
    code = "\n".join(ln for ln in lines if ln and not ln.startswith("//"))
    return _JS_TOKEN.sub(_squeeze, code) + "\n"


def build_loader(static_dir: Path) -> LoaderAsset:
    """Return the served /embed.js: minified loader source with the CSS inlined."""
    js = minify_js((static_dir / "embed.src.js").read_text(encoding="utf-8"))
    css = minify_css((static_dir / "widget.css").read_text(encoding="utf-8"))
    if js.count(CSS_PLACEHOLDER) != 1:
        raise ValueError(f"embed.src.js must contain {CSS_PLACEHOLDER} exactly once")
    # ensure_ascii escapes U+2028/U+2029 too, so this is always a valid JS literal.
    body = js.replace(CSS_PLACEHOLDER, json.dumps(css)).encode("utf-8")
    etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
    return LoaderAsset(body=body, etag=etag, gzip_size=len(gzip.compress(body, 9)))


@dataclass(frozen=True)
class BlockStylesheet:
    """widget.css plus block.css, for blocks rendered on the server."""

    css: str
    digest: str  # of the content: the URL changes when the styles do

    @property
    def path(self) -> str:
        return f"/static/blocks-{self.digest}.css"


def build_block_stylesheet(static_dir: Path) -> BlockStylesheet:
    css = minify_css(
        (static_dir / "widget.css").read_text(encoding="utf-8")
        + "\n"
        + (static_dir / "block.css").read_text(encoding="utf-8")
    )
    return BlockStylesheet(css, hashlib.sha256(css.encode()).hexdigest()[:16])
