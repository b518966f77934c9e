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

import functools
from pathlib import Path

import jinja2
from babel import Locale
from starlette.templating import Jinja2Templates

from widget_server.core.i18n import install_catalogs, translations
from widget_server.core.models import LANGUAGES
from widget_server.web import labels, rule_labels


def language_names() -> tuple[tuple[str, str], ...]:
    """(code, the language's name in itself) for the language switches."""
    names = []
    for code in LANGUAGES:
        name = Locale.parse(code).get_display_name(code) or code
        names.append((code, name[:1].upper() + name[1:]))
    return tuple(names)


@functools.cache
def make_templates(directory: Path) -> Jinja2Templates:
    """The pages' environment for ``directory``: one per process (the templates ship with
    the package), so each is compiled once, by ``compile_all`` or its first render."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(directory),
        autoescape=jinja2.select_autoescape(),
        extensions=["jinja2.ext.i18n"],
        # The templates ship with the package and never change under a running server:
        # no stat() of every template (and of each one it includes) on every render.
        auto_reload=False,
    )
    install_catalogs(env)
    env.globals["labels"] = labels
    env.globals["rule_labels"] = rule_labels
    for lang in LANGUAGES:  # read the catalogs now rather than in the first request
        translations(lang)
    env.globals["languages"] = language_names()
    return Jinja2Templates(env=env)


def compile_all(templates: Jinja2Templates) -> int:
    """Compile every page template and the mails' now; how many.  For a worker thread at
    a server's start: compiling one on its first render held the event loop for
    20-60 ms (an admin page at 100,000 members, bench/README.md), and every
    widget request waited.  Compiled templates stay in the environment's cache."""
    from widget_server.mail.render import environment  # the mails' own environment

    count = 0
    # One directory, two environments: the mails' renders only what is under mail/.
    for env, mails in ((templates.env, False), (environment(), True)):
        for name in env.list_templates(extensions=["html"]):
            if name.startswith("mail/") == mails:
                env.get_template(name)
                count += 1
    return count
