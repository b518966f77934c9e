"""User-facing text: gettext catalogs, German by default, English when chosen.

The catalogs are ``widget_server/locale/<lang>/LC_MESSAGES/messages.po``; their
msgids are the English texts with python-format placeholders (``%(name)s``,
``%(num)d`` for the count of a plural).  The languages are ``LANGUAGES`` in
``core/models.py``, the one list to extend with a new catalog.

Python code takes a ``Translator`` for one language and writes
``translator(lang).gettext("Rules: %(theme)s", theme=name)``, so that
``pybabel extract`` (``scripts/messages``) finds the msgid; values are filled
in after translation.  Texts chosen by a value are marked with ``N_`` where
they are declared and translated where they are shown.  Templates get the same
catalogs through Jinja2's i18n extension (``web/templating.py``).
"""

from __future__ import annotations

import gettext as stdlib_gettext
import io
from functools import cache
from pathlib import Path

import jinja2
from markupsafe import escape

from widget_server.core.models import LANGUAGES

DEFAULT_LANG = "de"
SOURCE_LANG = "en"  # the language of the msgids
LOCALE_DIR = Path(__file__).resolve().parents[1] / "locale"
DOMAIN = "messages"


def N_(message: str) -> str:  # noqa: N802  (the name pybabel looks for)
    """Mark ``message`` for extraction; it is translated where it is shown."""
    return message


def pick_language(*candidates: str | None) -> str:
    """The first supported language among ``candidates``, else German."""
    for lang in candidates:
        if lang and lang[:2].lower() in LANGUAGES:
            return lang[:2].lower()
    return DEFAULT_LANG


def catalog_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def translations(lang: str | None) -> stdlib_gettext.NullTranslations:
    """The catalog of ``lang`` (German for anything unsupported), read once per process.

    The ``.po`` file is read and compiled in memory at first use (Babel), so a
    checkout needs no build step and no compiled file can be out of date.
    """
    from babel.messages.mofile import write_mo  # only when a catalog is first needed
    from babel.messages.pofile import read_po

    lang = lang if lang in LANGUAGES else DEFAULT_LANG
    with catalog_path(lang).open("rb") as po:
        catalog = read_po(po, locale=lang, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return stdlib_gettext.GNUTranslations(compiled)


class Translator:
    """The texts of one language, with the placeholders filled in."""

    def __init__(self, lang: str | None) -> None:
        self.lang = lang if lang in LANGUAGES else DEFAULT_LANG
        self.catalog = translations(self.lang)

    def gettext(self, message: str, /, **values: object) -> str:
        return self.catalog.gettext(message) % values

    def ngettext(self, singular: str, plural: str, n: int, /, **values: object) -> str:
        """The form for ``n``; ``%(num)d`` in the text is ``n``."""
        return self.catalog.ngettext(singular, plural, n) % {"num": n, **values}

    def pgettext(self, context: str, message: str, /, **values: object) -> str:
        return self.catalog.pgettext(context, message) % values


@cache
def translator(lang: str | None) -> Translator:
    return Translator(lang)


# -- templates (web/templating.py, mail/render.py): the page's `lang` picks the catalog -------


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


def install_catalogs(env: jinja2.Environment) -> None:
    """Install the gettext functions in an environment with Jinja2's i18n extension."""
    # install_gettext_callables is added by the i18n extension
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=_gettext,
        ngettext=_ngettext,
        pgettext=_pgettext,
        npgettext=_npgettext,
        newstyle=True,
    )
