"""Substitute renderers for the Hugo and Jekyll snippets, used where the engine is missing.

Each replaces every template expression, exactly as written in the snippet,
by what the engine makes of it.  test_snippets_static_sites.py proves that no
expression is left out and, where the engine is installed, that the two agree.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from tests.browser.snippet_helpers import SNIPPETS

HUGO_PARTIAL = SNIPPETS / "hugo" / "layouts" / "partials" / "partnerkreis.html"
HUGO_SHORTCODE = SNIPPETS / "hugo" / "layouts" / "shortcodes" / "partnerkreis.html"
JEKYLL_INCLUDE = SNIPPETS / "jekyll" / "_includes" / "partnerkreis.html"

# Values the substitute renderers may put into URLs unescaped: the engines would leave
# them unchanged too (tokens are URL-safe, the server is http://127.0.0.1:PORT).
PLAIN = re.compile(r"[A-Za-z0-9._:/-]*")
OPTIONS = ("token", "server", "theme", "lang", "layout", "color_scheme")


def resolve(call: dict[str, str], site: dict[str, str]) -> dict[str, str]:
    """Each option from the call, else from the site's settings, else ''; no trailing slash."""
    values = {key: call.get(key) or site.get(key) or "" for key in OPTIONS}
    values["server"] = values["server"].removesuffix("/")
    assert values["token"] and values["server"], "the substitute renders only a complete call"
    for key in ("server", "theme", "token"):
        assert PLAIN.fullmatch(values[key]), f"{key}={values[key]!r} needs real escaping"
    return values


def escaper(table: dict[str, str]) -> Callable[[str], str]:
    base = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "'": "&#39;"}
    return lambda value: "".join((base | table).get(c, c) for c in value)


# Go's html/template in a quoted attribute value, and Liquid's escape filter (CGI.escapeHTML).
go_escape = escaper({'"': "&#34;", "+": "&#43;"})
liquid_escape = escaper({'"': "&quot;"})

HUGO_COMMENT = re.compile(r"\s*\{\{- /\*.*?\*/ -\}\}\s*", re.S)


def hugo_partial_units(v: dict[str, str]) -> dict[str, str]:
    """Every expression of the Hugo partial, exactly as written, and what Hugo makes of it."""
    lang, en = v["lang"], v["lang"] == "en"
    return {
        "{{- $cfg := site.Params.partnerkreis | default dict -}}": "",
        '{{- $token := .token | default $cfg.token | default "" -}}': "",
        '{{- $server := strings.TrimSuffix "/" (.server | default $cfg.server | default "") -}}': (
            ""
        ),
        '{{- $theme := .theme | default $cfg.theme | default "" -}}': "",
        '{{- $lang := .lang | default $cfg.lang | default "" -}}': "",
        '{{- $layout := .layout | default $cfg.layout | default "" -}}': "",
        '{{- $scheme := .color_scheme | default $cfg.color_scheme | default "" -}}': "",
        '{{- if not $token }}{{ errorf "partnerkreis: no token (pass \\"token\\" or set'
        ' params.partnerkreis.token)" }}{{ end -}}': "",
        '{{- if not $server }}{{ errorf "partnerkreis: no server (pass \\"server\\" or set'
        ' params.partnerkreis.server)" }}{{ end -}}': "",
        "{{ $server }}": v["server"],
        "{{ $token }}": go_escape(v["token"]),
        '{{ with $lang }} data-lang="{{ . }}"{{ end }}': (
            f' data-lang="{go_escape(lang)}"' if lang else ""
        ),
        '{{ with $layout }} data-layout="{{ . }}"{{ end }}': (
            f' data-layout="{go_escape(v["layout"])}"' if v["layout"] else ""
        ),
        '{{ with $scheme }} data-color-scheme="{{ . }}"{{ end }}': (
            f' data-color-scheme="{go_escape(v["color_scheme"])}"' if v["color_scheme"] else ""
        ),
        "{{ with $theme }}t/{{ . }}{{ end }}": f"t/{v['theme']}" if v["theme"] else "",
        '{{ if eq $lang "en" }}?lang=en{{ end }}': "?lang=en" if en else "",
        '{{ if eq $lang "en" }}Our partners{{ else }}Unsere Partner{{ end }}': (
            "Our partners" if en else "Unsere Partner"
        ),
    }


HUGO_SHORTCODE_UNIT = (
    '{{- partial "partnerkreis.html" (dict "token" (.Get "token") "server" (.Get "server")'
    ' "theme" (.Get "theme") "lang" (.Get "lang") "layout" (.Get "layout")'
    ' "color_scheme" (.Get "color_scheme")) -}}'
)

JEKYLL_COMMENT = re.compile(r"\s*\{%- comment -%\}.*?\{%- endcomment -%\}\s*", re.S)


def jekyll_include_units(v: dict[str, str]) -> dict[str, str]:
    """Every expression of the Jekyll include, exactly as written, and what Liquid makes of it."""
    lang, en = v["lang"], v["lang"] == "en"
    return {
        "{%- assign pk_token = include.token | default: site.partnerkreis.token -%}": "",
        '{%- assign pk_server = include.server | default: site.partnerkreis.server | append: "#"'
        ' | replace: "/#", "" | remove: "#" -%}': "",
        "{%- assign pk_theme = include.theme | default: site.partnerkreis.theme -%}": "",
        "{%- assign pk_lang = include.lang | default: site.partnerkreis.lang -%}": "",
        "{%- assign pk_layout = include.layout | default: site.partnerkreis.layout -%}": "",
        "{%- assign pk_scheme = include.color_scheme | default: site.partnerkreis.color_scheme"
        " -%}": "",
        '{%- if pk_token and pk_token != "" and pk_server != "" %}': "",
        "{{ pk_server | escape }}": liquid_escape(v["server"]),
        "{{ pk_token | escape }}": liquid_escape(v["token"]),
        '{% if pk_lang %} data-lang="{{ pk_lang | escape }}"{% endif %}': (
            f' data-lang="{liquid_escape(lang)}"' if lang else ""
        ),
        '{% if pk_layout %} data-layout="{{ pk_layout | escape }}"{% endif %}': (
            f' data-layout="{liquid_escape(v["layout"])}"' if v["layout"] else ""
        ),
        '{% if pk_scheme %} data-color-scheme="{{ pk_scheme | escape }}"{% endif %}': (
            f' data-color-scheme="{liquid_escape(v["color_scheme"])}"' if v["color_scheme"] else ""
        ),
        "{% if pk_theme %}t/{{ pk_theme | escape }}{% endif %}": (
            f"t/{liquid_escape(v['theme'])}" if v["theme"] else ""
        ),
        '{% if pk_lang == "en" %}?lang=en{% endif %}': "?lang=en" if en else "",
        '{% if pk_lang == "en" %}Our partners{% else %}Unsere Partner{% endif %}': (
            "Our partners" if en else "Unsere Partner"
        ),
        "{%- else %}\n<!-- Partnerkreis: no token or server (include parameters, or"
        ' "partnerkreis:" in _config.yml) -->\n{%- endif %}': "",
    }


def substitute(template: str, comment: re.Pattern[str], units: dict[str, str]) -> str:
    """Replaces each unit by its value, honouring ``{{-``/``{%-`` and ``-}}``/``-%}`` trimming."""
    out = comment.sub("", template)
    for unit, value in units.items():
        pattern = re.escape(unit)
        if unit.startswith(("{{-", "{%-")):
            pattern = r"\s*" + pattern
        if unit.endswith(("-}}", "-%}")):
            pattern += r"\s*"
        out, count = re.subn(pattern, lambda _, value=value: value, out)
        assert count >= 1, f"not in the template: {unit}"
    assert "{{" not in out and "{%" not in out, f"expression left unrendered in:\n{out}"
    return out


def hugo_partial(call: dict[str, str], site: dict[str, str]) -> str:
    units = hugo_partial_units(resolve(call, site))
    return substitute(HUGO_PARTIAL.read_text(), HUGO_COMMENT, units)


def hugo_shortcode(call: dict[str, str], site: dict[str, str]) -> str:
    rendered = hugo_partial(call, site)
    return substitute(HUGO_SHORTCODE.read_text(), HUGO_COMMENT, {HUGO_SHORTCODE_UNIT: rendered})


def jekyll_include(call: dict[str, str], site: dict[str, str]) -> str:
    units = jekyll_include_units(resolve(call, site))
    return substitute(JEKYLL_INCLUDE.read_text(), JEKYLL_COMMENT, units)
