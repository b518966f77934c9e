"""The Jinja2 environment of our pages, with the gettext catalogs installed.

Templates write ``{{ _("Save") }}``, ``{{ ngettext("%(num)d partner",
"%(num)d partners", n) }}``, ``{{ pgettext("context", "Leave") }}`` or
``{% trans %}``.  One environment serves every language: the gettext functions
read the page's language from the ``lang`` variable of the render context
(every page has one; imported macros see it when imported ``with context``),
so a render costs one dictionary lookup per text and templates are compiled
once.  Jinja2's "newstyle" gettext fills in the ``%(name)s`` placeholders and
escapes their values.  Messages are plain text, not HTML: they are escaped
here, exactly as ``{{ text }}`` would be.
"""

from __future__ import annotations

from pathlib import Path

import jinja2
from babel import Locale
from markupsafe import escape
from starlette.templating import Jinja2Templates

from widget_server.core.i18n import translations
from widget_server.core.models import LANGUAGES
from widget_server.web import labels


def _text(context: jinja2.runtime.Context, text: str) -> str:
    return escape(text) if context.eval_ctx.autoescape else text


@jinja2.pass_context
def _gettext(context: jinja2.runtime.Context, message: str) -> str:
    return _text(context, translations(context.get("lang")).gettext(message))


@jinja2.pass_context
def _ngettext(context: jinja2.runtime.Context, singular: str, plural: str, n: int) -> str:
    return _text(context, translations(context.get("lang")).ngettext(singular, plural, n))


@jinja2.pass_context
def _pgettext(context: jinja2.runtime.Context, msgctxt: str, message: str) -> str:
    return _text(context, translations(context.get("lang")).pgettext(msgctxt, message))


@jinja2.pass_context
def _npgettext(
    context: jinja2.runtime.Context, msgctxt: str, singular: str, plural: str, n: int
) -> str:
    catalog = translations(context.get("lang"))
    return _text(context, catalog.npgettext(msgctxt, singular, plural, n))


def language_names() -> tuple[tuple[str, str], ...]:
    """(code, the language's name in itself) for the language switches."""
    names = []
    for code in LANGUAGES:
        name = Locale.parse(code).get_display_name(code) or code
        names.append((code, name[:1].upper() + name[1:]))
    return tuple(names)


def make_templates(directory: Path) -> Jinja2Templates:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(directory),
        autoescape=jinja2.select_autoescape(),
        extensions=["jinja2.ext.i18n"],
    )
    # install_gettext_callables is added by the i18n extension
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=_gettext,
        ngettext=_ngettext,
        pgettext=_pgettext,
        npgettext=_npgettext,
        newstyle=True,
    )
    env.globals["labels"] = labels
    for lang in LANGUAGES:  # read the catalogs now rather than in the first request
        translations(lang)
    env.globals["languages"] = language_names()
    return Jinja2Templates(env=env)
