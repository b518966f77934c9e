"""The mails' HTML, from Jinja2 templates in ``templates/mail/`` (with the catalogs).

Mail clients show little CSS and no scripts: the templates use tables and
inline styles, link nothing remote (no images, fonts or style sheets) and
carry no tracking of any kind; bars are table cells of a given width.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from widget_server.core.i18n import install_catalogs

TEMPLATES = Path(__file__).parents[1] / "templates"


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        extensions=["jinja2.ext.i18n"],
        auto_reload=False,  # shipped with the package: never changes while running
    )
    install_catalogs(env)
    return env


def html(template: str, lang: str, **context: Any) -> str:
    return environment().get_template(f"mail/{template}").render(lang=lang, **context)
