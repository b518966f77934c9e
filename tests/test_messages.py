"""The message catalogs: complete, consistent with the code, and the only way to text."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from jinja2 import Environment, FileSystemLoader, select_autoescape

from widget_server.core.i18n import LOCALE_DIR, catalog_path, translator
from widget_server.core.models import LANGUAGES
from widget_server.web.templating import make_templates

ROOT = Path(__file__).parents[1]
PACKAGE = ROOT / "widget_server"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|%[sd]")


def catalog(lang: str) -> Catalog:
    with catalog_path(lang).open("rb") as po:
        return read_po(po, locale=lang)


def messages(cat: Catalog) -> list[Message]:
    return [m for m in cat if m.id]


def key(message: Message) -> tuple[str | None, str]:
    msgid = message.id if isinstance(message.id, str) else message.id[0]
    return message.context, msgid


def placeholders(text: str) -> set[str]:
    return {m.group(1) or m.group(0) for m in PLACEHOLDER.finditer(text)}


def test_every_language_has_a_catalog_and_every_catalog_a_language() -> None:
    found = {p.parent.parent.name for p in LOCALE_DIR.glob("*/LC_MESSAGES/messages.po")}
    assert found == set(LANGUAGES)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_message_is_translated(lang: str) -> None:
    cat = catalog(lang)
    assert cat.num_plurals >= 1 and cat.plural_expr
    empty = []
    for message in messages(cat):
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        expected = cat.num_plurals if message.pluralizable else 1
        if message.fuzzy or len(forms) != expected or not all(forms):
            empty.append(key(message))
    assert not empty, empty


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_translation_has_the_placeholders_of_its_msgid(lang: str) -> None:
    wrong = []
    for message in messages(catalog(lang)):
        if isinstance(message.id, str):
            pairs = [(message.id, message.string)]
        else:  # the first form answers the singular, every other one the plural
            singular, plural = message.id
            pairs = [(singular if i == 0 else plural, s) for i, s in enumerate(message.string)]
        for msgid, text in pairs:
            assert isinstance(text, str)
            if placeholders(msgid) != placeholders(text):
                wrong.append((msgid, text))
            values = {name: 1 for name in placeholders(msgid)}
            text % values  # formats: no stray %  # noqa: B018
    assert not wrong, wrong


def test_the_catalogs_hold_the_same_messages_as_the_template() -> None:
    with (LOCALE_DIR / "messages.pot").open("rb") as pot:
        template = {key(m) for m in messages(read_po(pot))}
    for lang in LANGUAGES:
        assert {key(m) for m in messages(catalog(lang))} == template, lang


def test_the_template_holds_every_message_of_the_code_and_no_other() -> None:
    with (ROOT / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found = {
        (context, msgid if isinstance(msgid, str) else msgid[0])
        for _, _, msgid, _, context in extract_from_dir(str(PACKAGE), method_map, options_map)
    }
    with (LOCALE_DIR / "messages.pot").open("rb") as pot:
        template = {key(m) for m in messages(read_po(pot))}
    assert found == template, "run scripts/messages update"


def test_python_code_gets_texts_with_values_and_plurals() -> None:
    de, en = translator("de"), translator("en")
    assert de.gettext("Rules: %(theme)s", theme="Hochzeit") == "Regeln: Hochzeit"
    assert en.ngettext("%(num)d partner", "%(num)d partners", 1) == "1 partner"
    assert en.ngettext("%(num)d partner", "%(num)d partners", 3) == "3 partners"
    assert de.pgettext("theme participation", "Leave") == "Austreten"
    assert translator("xx").lang == "de"  # an unknown language gets the default


def render(source: str, lang: str, **context: object) -> str:
    env = make_templates(PACKAGE / "templates").env
    return env.from_string(source).render(lang=lang, **context)


def test_templates_translate_by_the_pages_language_and_escape_values() -> None:
    source = (
        '{{ _("Rules: %(theme)s", theme=name) }}|'
        '{{ ngettext("%(num)d member", "%(num)d members", n) }}'
    )
    assert render(source, "de", name="<b>", n=1) == "Regeln: &lt;b&gt;|1 Mitglied"
    assert render(source, "en", name="A & B", n=2) == "Rules: A &amp; B|2 members"


def test_messages_are_text_and_escaped_like_any_text() -> None:
    page = render('{{ _("Logo of %(name)s", name="x") }} {% trans %}Save{% endtrans %}', "en")
    assert page == "Logo of x Save"
    hint = render(
        '{{ _("One line without a script. The box is 360 pixels high; if that is too little,'
        ' change height=\\"360\\" in the code.") }}',
        "en",
    )
    assert "height=&#34;360&#34;" in hint


OLD_SYSTEMS = [  # (files, pattern, what it finds)
    (".html", r"\bt\(", "t(key) in a template"),
    (".html", r"== ?1 else", "a plural made by hand (use ngettext)"),
    (".py", r"ui_texts|portal_texts", "the old text modules"),
    (".py", r"\b(translate|translator)\(\s*lang\s*,|import .*\btranslate\b", "i18n.translate"),
    (".py", r"\bMESSAGES\b|\bTEXTS\b", "the old text tables"),
]


def test_nothing_uses_the_old_text_systems() -> None:
    found = []
    for path in [*PACKAGE.rglob("*.py"), *PACKAGE.rglob("*.html")]:
        text = path.read_text("utf-8")
        for suffix, pattern, what in OLD_SYSTEMS:
            if path.suffix == suffix and re.search(pattern, text):
                found.append(f"{path.relative_to(ROOT)}: {what}")
    assert not found, found


def test_the_language_switch_lists_every_language_by_its_own_name() -> None:
    env = make_templates(PACKAGE / "templates").env
    assert env.globals["languages"] == (("de", "Deutsch"), ("en", "English"))


def test_jinja_can_extract_from_every_template() -> None:
    env = Environment(
        loader=FileSystemLoader(PACKAGE / "templates"),
        autoescape=select_autoescape(),
        extensions=["jinja2.ext.i18n"],
    )
    for name in env.list_templates(extensions=["html"]):
        env.get_template(name)  # parses: every {% trans %} is well-formed
