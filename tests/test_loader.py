"""The /embed.js build: minifiers, size budget and what the loader may not contain."""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from widget_server.serving.loader import (
    CSS_PLACEHOLDER,
    LoaderAsset,
    build_loader,
    minify_css,
    minify_js,
)

STATIC = Path(__file__).resolve().parents[1] / "widget_server" / "static"
SOURCE = (STATIC / "embed.src.js").read_text(encoding="utf-8")
CSS = (STATIC / "widget.css").read_text(encoding="utf-8")
# String and template literals of the loader source (it has no regex literal with quotes).
LITERAL = re.compile(r""""(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`[^`]*`""")
# bytes, gzip -9: 3 KB, plus the 29 B of the served exchange (issue 19, point 2) until
# the loader rewrite (point 3) brings it to 2 KB
BUDGET = 3072 + 32


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


def code_lines(js: str) -> list[str]:
    lines = (line.strip() for line in js.splitlines())
    return [ln for ln in lines if ln and not ln.startswith("//")]


def embedded_css(body: str) -> str:
    start = body.index("const CSS=") + len("const CSS=")
    value, _ = json.JSONDecoder().raw_decode(body, start)
    assert isinstance(value, str)
    return value


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


# --------------------------------------------------------------------------- JS


def test_minify_js_drops_comment_lines_and_indentation_only() -> None:
    mini = minify_js(SOURCE)
    lines = mini.splitlines()
    # Line breaks survive, so automatic semicolon insertion is unchanged.
    assert len(lines) == len(code_lines(SOURCE))
    assert all(line == line.strip() and not line.startswith("//") for line in lines)
    assert no_space("\n".join(code_lines(SOURCE))) == no_space(mini)


def test_minify_js_keeps_every_literal_verbatim() -> None:
    mini = minify_js(SOURCE)
    literals = LITERAL.findall("\n".join(code_lines(SOURCE)))
    assert literals and LITERAL.findall(mini) == literals


def test_loader_source_follows_the_minifier_rules() -> None:
    for line in code_lines(SOURCE):
        code = LITERAL.sub('""', line)
        assert "//" not in code and "/*" not in code, f"comment after code: {line}"
        assert code.count('"') % 2 == 0 and "'" not in code, f"unbalanced quote: {line}"
    assert "`" not in "".join(LITERAL.sub("", line) for line in code_lines(SOURCE))


def test_minify_js_squeezes_only_safe_spaces() -> None:
    src = """
    // comment line
    const a = b - -c, d = e ? .5 : 1;
    const s = "x , ( y" + 'q = r' + `t ${ u } , v`;
    if (a < b && !c) return /^h?:$/.test(s);
    const url = "// not a comment";
    """
    assert minify_js(src) == (
        "const a=b- -c,d=e? .5:1;\n"
        "const s=\"x , ( y\"+'q = r'+`t ${ u } , v`;\n"
        "if(a<b&& !c)return /^h?:$/.test(s);\n"
        'const url="// not a comment";\n'
    )


# --------------------------------------------------------------------------- built asset


def test_built_loader_inlines_the_css(asset: LoaderAsset) -> None:
    body = asset.body.decode("ascii")  # pure ASCII, whatever charset the host page uses
    assert CSS_PLACEHOLDER not in body and "__PK_CSS__" not in body
    assert embedded_css(body) == minify_css(CSS)


def test_built_loader_fits_the_size_budget(asset: LoaderAsset) -> None:
    assert asset.gzip_size == len(gzip.compress(asset.body, 9))
    assert asset.gzip_size <= BUDGET, f"embed.js is {asset.gzip_size} B gzipped (budget {BUDGET})"


def test_etag_is_quoted_and_follows_the_content(asset: LoaderAsset, tmp_path: Path) -> None:
    assert re.fullmatch(r'"[0-9a-f]{20}"', asset.etag)
    assert build_loader(STATIC) == asset
    (tmp_path / "embed.src.js").write_text(SOURCE, encoding="utf-8")
    (tmp_path / "widget.css").write_text(CSS + ".x{color:red}", encoding="utf-8")
    assert build_loader(tmp_path).etag != asset.etag


def test_placeholder_must_appear_exactly_once(tmp_path: Path) -> None:
    (tmp_path / "widget.css").write_text(CSS, encoding="utf-8")
    (tmp_path / "embed.src.js").write_text("const CSS = 1;\n", encoding="utf-8")
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
        "replaceSync(CSS)",
        "adoptedStyleSheets = [sheet]",
        'credentials: "omit"',
        "keepalive: true",
        "{ threshold: .5 }",
        '"data-partnerkreis-state"',
        "W.Partnerkreis = {",
    ):
        assert piece in SOURCE


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
