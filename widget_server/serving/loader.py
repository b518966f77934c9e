"""Builds the /embed.js asset and the block stylesheet.

/embed.js is static/embed.min.js, the loader as terser minified it at build time
(scripts/build-loader; tests/test_loader.py checks that it matches embed.src.js),
with the path of the block stylesheet put in place of ``"__PK_CSS__"``. The loader
fetches that stylesheet on first use, so the CSS is not part of the loader's bytes.

The stylesheet is widget.css plus block.css, minified here by simple rules that
are only safe for those files (their header comments list them): comments
removed, whitespace collapsed, spaces around ``{ } ; : ,`` and the last ``;`` of
a block dropped. Spaces around ``(``, ``)``, ``+``, ``-`` and ``/`` are kept
(``and (...)`` and ``calc()`` need them).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

CSS_PLACEHOLDER = '"__PK_CSS__"'
LOADER_FILE = "embed.min.js"

_CSS_COMMENT = re.compile(r"/\*.*?\*/", re.S)
_CSS_PUNCT = re.compile(r"\s*([{};:,])\s*")


@dataclass(frozen=True)
class LoaderAsset:
    body: bytes
    etag: str
    gzip_size: int


def minify_css(text: str) -> str:
    """Strip comments and redundant whitespace from widget.css and block.css."""
    text = re.sub(r"\s+", " ", _CSS_COMMENT.sub("", text))
    return _CSS_PUNCT.sub(r"\1", text).replace(";}", "}").strip()


def build_loader(static_dir: Path) -> LoaderAsset:
    """Return the served /embed.js: the minified loader, pointed at the block stylesheet."""
    js = (static_dir / LOADER_FILE).read_text(encoding="utf-8")
    if js.count(CSS_PLACEHOLDER) != 1:
        raise ValueError(f"{LOADER_FILE} must contain {CSS_PLACEHOLDER} exactly once")
    # Relative to the loader's own URL, as the block URLs are: a server under a path
    # prefix (https://host/partnerkreis/embed.js) works too.
    css_path = build_block_stylesheet(static_dir).path.lstrip("/")
    body = js.replace(CSS_PLACEHOLDER, json.dumps(css_path)).encode("ascii")
    etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
    return LoaderAsset(body=body, etag=etag, gzip_size=len(gzip.compress(body, 9)))


@dataclass(frozen=True)
class BlockStylesheet:
    """widget.css plus block.css: the loader's shadow roots and server-side blocks."""

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
