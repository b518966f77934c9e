"""The /embed.js build: the committed minified loader, its size budget, what it may not
contain, and the block stylesheet it fetches."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from widget_server.serving.loader import (
    CSS_PLACEHOLDER,
    LOADER_FILE,
    LoaderAsset,
    build_block_stylesheet,
    build_loader,
    minify_css,
)

ROOT = Path(__file__).resolve().parents[1]
STATIC = ROOT / "widget_server" / "static"
SOURCE = (STATIC / "embed.src.js").read_text(encoding="utf-8")
MINIFIED = (STATIC / LOADER_FILE).read_text(encoding="utf-8")
CSS = (STATIC / "widget.css").read_text(encoding="utf-8")
TOOLS = ROOT / "tools"
BUDGET = 2048  # bytes, gzip -9 (issue 19: at most 2 KB)


@pytest.fixture(scope="module")
def asset() -> LoaderAsset:
    return build_loader(STATIC)


def no_space(text: str) -> str:
    return re.sub(r"\s+", "", text)


def without_comments(css: str) -> str:
    return re.sub(r"/\*.*?\*/", "", css, flags=re.S)


def selectors(css: str) -> list[str]:
    """Selectors and at-rule preludes, with insignificant whitespace normalised."""
    found = re.findall(r"([^{}]+)\{", without_comments(css))
    found = [re.sub(r"\s*,\s*", ",", " ".join(s.split())) for s in found]
    return [re.sub(r"\(([\w-]+):\s*", r"(\1:", s) for s in found]  # (feature: value)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --------------------------------------------------------------------------- CSS


def test_minify_css_only_removes_comments_and_whitespace() -> None:
    mini = minify_css(CSS)
    assert "/*" not in mini and "\n" not in mini and "  " not in mini
    assert no_space(without_comments(CSS)).replace(";}", "}") == no_space(mini)
    assert len(mini) < 0.75 * len(CSS)


def test_minify_css_keeps_every_rule_and_selector() -> None:
    mini = minify_css(CSS)
    assert selectors(mini) == selectors(CSS)
    assert mini.count("{") == without_comments(CSS).count("{") == mini.count("}")
    for piece in (
        ":host{all:initial;display:block}",
        ":host,.pk-root{--pk-font:",
        "@media (prefers-color-scheme:dark){.pk:not(.pk-scheme-light){",
        "@media (prefers-reduced-motion:no-preference){",
        ".pk-link:hover .pk-name{",
        ".pk.pk-list .pk-item+.pk-item,",
        "font:400 var(--pk-font-size) / 1.45 var(--pk-font)",
        "calc(var(--pk-radius) * .8)",
    ):
        assert piece in mini


def test_minify_css_keeps_whitespace_that_matters() -> None:
    css = """
    /* comment */
    @media screen and (min-width: 30em) {
      .a .b,
      .c > .d { margin: 0 auto; width: calc(100% - 2px); }
    }
    """
    assert minify_css(css) == (
        "@media screen and (min-width:30em){.a .b,.c > .d{margin:0 auto;width:calc(100% - 2px)}}"
    )


def test_stylesheet_rules() -> None:
    names = set(re.findall(r"--[\w-]+", CSS))
    assert names and all(n.startswith("--pk-") for n in names)
    for public in ("--pk-accent", "--pk-bg", "--pk-fg", "--pk-radius", "--pk-font"):
        assert f"{public}:" in no_space(CSS)
    assert "prefers-color-scheme: dark" in CSS and ".pk-scheme-dark" in CSS
    assert "prefers-reduced-motion" in CSS and ":focus-visible" in CSS
    assert "@import" not in CSS and "url(" not in CSS  # no requests from the stylesheet


# --------------------------------------------------------------------------- build


def test_committed_loader_was_built_from_the_committed_source() -> None:
    """tools/embed-build.json, written by scripts/build-loader, holds the hashes of the
    source, the terser options and the output: an edit of the source without a rebuild
    (or of the output by hand) fails here even where Node.js is missing."""
    record = json.loads((TOOLS / "embed-build.json").read_text())
    assert record["source_sha256"] == sha256(STATIC / "embed.src.js"), "run scripts/build-loader"
    assert record["config_sha256"] == sha256(TOOLS / "terser.json")
    assert record["output_sha256"] == sha256(STATIC / LOADER_FILE), "run scripts/build-loader"
    pinned = json.loads((TOOLS / "package.json").read_text())["devDependencies"]["terser"]
    assert record["minifier"] == f"terser {pinned}"
    lock = json.loads((TOOLS / "package-lock.json").read_text())
    assert lock["packages"]["node_modules/terser"]["version"] == pinned


def test_rebuilding_the_loader_gives_the_committed_bytes() -> None:
    """The real check: terser (pinned by tools/package-lock.json, which scripts/test
    installs) rebuilds embed.min.js from embed.src.js: it must equal the committed file."""
    node = shutil.which("node")
    if node is None or not (TOOLS / "node_modules" / "terser" / "package.json").exists():
        assert not os.environ.get("CI"), "CI must rebuild the loader: node or tools/ missing"
        pytest.skip("terser not installed here (scripts/build-loader installs it)")
    done = subprocess.run(
        [node, str(TOOLS / "build-loader.mjs"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr + done.stdout


def test_minified_loader_keeps_every_message_and_the_placeholder() -> None:
    MINIFIED.encode("ascii")  # pure ASCII, whatever charset the host page declares
    assert MINIFIED.count(CSS_PLACEHOLDER) == 1
    messages = re.findall(r'"((?:no |bad |Partnerkreis: |HTTP )[^"]*)"', SOURCE)
    assert len(messages) >= 5
    for text in messages:  # what the console says stays the same
        assert f'"{text}"' in MINIFIED
    assert "\n" not in MINIFIED.rstrip("\n") and "/*" not in MINIFIED  # no comments left


# --------------------------------------------------------------------------- built asset


def test_built_loader_points_at_the_block_stylesheet(asset: LoaderAsset) -> None:
    body = asset.body.decode("ascii")
    sheet = build_block_stylesheet(STATIC)
    assert CSS_PLACEHOLDER not in body and "__PK_CSS__" not in body
    # Relative, like the block URLs: resolved against the loader's own directory.
    assert body.count(json.dumps(sheet.path.lstrip("/"))) == 1
    assert body == MINIFIED.replace(CSS_PLACEHOLDER, json.dumps(sheet.path[1:]))
    assert minify_css(CSS) in sheet.css  # all of widget.css, as the loader had it inline


def test_built_loader_fits_the_size_budget(asset: LoaderAsset) -> None:
    assert asset.gzip_size == len(gzip.compress(asset.body, 9))
    assert asset.gzip_size <= BUDGET, f"embed.js is {asset.gzip_size} B gzipped (budget {BUDGET})"


def test_etag_is_quoted_and_follows_the_content(asset: LoaderAsset, tmp_path: Path) -> None:
    assert re.fullmatch(r'"[0-9a-f]{20}"', asset.etag)
    assert build_loader(STATIC) == asset
    for name in (LOADER_FILE, "widget.css", "block.css"):
        (tmp_path / name).write_text((STATIC / name).read_text(encoding="utf-8"))
    assert build_loader(tmp_path) == asset
    # New styles: a new stylesheet URL, so a new loader (and ETag) that names it.
    (tmp_path / "widget.css").write_text(CSS + ".x{color:red}", encoding="utf-8")
    changed = build_loader(tmp_path)
    assert changed.etag != asset.etag
    assert build_block_stylesheet(tmp_path).path[1:] in changed.body.decode()


def test_placeholder_must_appear_exactly_once(tmp_path: Path) -> None:
    (tmp_path / "widget.css").write_text(CSS, encoding="utf-8")
    (tmp_path / "block.css").write_text("", encoding="utf-8")
    (tmp_path / LOADER_FILE).write_text("const CSS = 1;\n", encoding="utf-8")
    with pytest.raises(ValueError, match="exactly once"):
        build_loader(tmp_path)


@pytest.mark.parametrize(
    "pattern",
    [
        r"innerHTML",
        r"outerHTML",
        r"insertAdjacentHTML",
        r"\beval\s*\(",
        r"new\s+Function",
        r"document\.write",
        r"\bD\.write",
        r"localStorage",
        r"sessionStorage",
        r"\.cookie\b",
        r"\.style\b",
        r"cssText",
        r"<style",
        r"""setAttribute\(\s*["']style""",
        r"""setAttribute\(\s*["']on""",
    ],
)
def test_loader_avoids_unsafe_apis(asset: LoaderAsset, pattern: str) -> None:
    assert not re.search(pattern, SOURCE)
    assert not re.search(pattern, asset.body.decode())


def test_loader_uses_the_contract_apis() -> None:
    for piece in (
        'attachShadow({ mode: "open" })',
        "new CSSStyleSheet()",
        "replaceSync(await r.text())",
        "adoptedStyleSheets = [css]",
        'fetch(url, { ...opts, credentials: "omit" })',
        "keepalive: true",
        "{ threshold: .5 }",
        '"data-partnerkreis-state"',
        "W.Partnerkreis = {",
    ):
        assert piece in SOURCE
    # Every request goes through get(), which omits credentials.
    assert SOURCE.count("fetch(") == 1


def test_built_loader_is_valid_javascript(asset: LoaderAsset, tmp_path: Path) -> None:
    node = shutil.which("node")
    if node is None:
        # CI machines have Node.js; elsewhere the browser test still parses the loader.
        assert not os.environ.get("CI"), "node is missing in CI"
        pytest.skip("node not installed (the browser test below parses the loader too)")
    script = tmp_path / "embed.js"
    script.write_bytes(asset.body)
    subprocess.run([node, "--check", str(script)], check=True, capture_output=True)


@pytest.mark.browser
def test_minified_css_and_js_behave_like_the_source_in_chromium(asset: LoaderAsset) -> None:
    chromium = os.environ.get("WIDGET_TEST_CHROMIUM", "/usr/bin/chromium")
    assert Path(chromium).exists(), f"Chromium not found at {chromium}: apt-get install chromium"
    from playwright.sync_api import sync_playwright

    args = ["--no-sandbox", "--disable-background-networking", "--disable-component-update"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True, args=args)
        page = browser.new_page()
        errors: list[str] = []
        warnings: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        # The element passed along with the message shows up as "JSHandle@node".
        page.on(
            "console",
            lambda m: m.type == "warning" and warnings.append(m.text.split(" JSHandle@")[0]),
        )
        # The browser's own serialisation of both stylesheets must be identical
        # (custom property values keep their raw tokens, hence the comma rule).
        same = page.evaluate(
            """([a, b]) => {
              const text = (css) => {
                const s = new CSSStyleSheet();
                s.replaceSync(css);
                return [...s.cssRules].map((r) => r.cssText.replace(/\\s*,\\s*/g, ","));
              };
              const x = JSON.stringify(text(a)), y = JSON.stringify(text(b));
              return text(a).length > 20 && x === y;
            }""",
            [CSS, minify_css(CSS)],
        )
        assert same
        # Inline, the loader cannot tell its URL: it must say so and leave the container empty.
        page.set_content('<div data-partnerkreis="abc"></div><div data-partnerkreis=""></div>')
        page.add_script_tag(content=asset.body.decode())
        page.evaluate("() => window.Partnerkreis.ready")
        states = page.evaluate(
            "() => [...document.querySelectorAll('[data-partnerkreis]')]"
            ".map(e => [e.getAttribute('data-partnerkreis-state'), !!e.shadowRoot])"
        )
        assert states == [["error", False], ["error", False]]
        assert sorted(warnings) == [
            "Partnerkreis: no embed.js URL",
            "Partnerkreis: no token",
        ]
        assert page.evaluate("() => window.Partnerkreis.version") == "1.0.0"
        assert errors == []
        browser.close()
