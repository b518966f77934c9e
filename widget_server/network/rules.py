"""Reading and changing a theme's rotation rules: validation, versions, audit trail.

Every change is a new version (who, when) of the theme's rule set; nothing is
changed in place, so the history is the audit log and any two versions can be
compared.  A rule set is validated whole before it is stored: a bad one is
refused with the field and the reason, and nothing is half-applied.
"""

from __future__ import annotations

import difflib
import functools
import json
import logging
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from widget_server.core.errors import ValidationError
from widget_server.core.models import RuleSet, Theme
from widget_server.rotation import DEFAULT_RULES, Rules, parse_rules, referenced_members
from widget_server.storage import Storage

log = logging.getLogger(__name__)


def theme_rules(rule_set: RuleSet | None) -> Rules:
    """The parsed rules of a theme; a stored set that no longer parses falls back to defaults."""
    if rule_set is None:
        return DEFAULT_RULES
    try:
        return parse_rules(rule_set.rules)
    except ValidationError as exc:
        log.error(
            "stored rules do not parse; using defaults",
            extra={"theme_id": rule_set.theme_id, "version": rule_set.version, "error": str(exc)},
        )
        return DEFAULT_RULES


@dataclass(frozen=True)
class RuleChange:
    theme: Theme
    previous: RuleSet | None
    current: RuleSet
    diff: str


def to_document(raw: Any, path: str = "") -> Any:
    """A JSON-safe copy of a parsed YAML/JSON document (dates become ISO strings)."""
    if isinstance(raw, dict):
        out = {}
        for key, value in raw.items():
            if not isinstance(key, str):
                raise ValidationError(path or "rules", f"key {key!r} is not text")
            out[key] = to_document(value, f"{path}.{key}" if path else key)
        return out
    if isinstance(raw, list):
        return [to_document(v, f"{path}[{i}]") for i, v in enumerate(raw)]
    if isinstance(raw, datetime | date | time):
        return raw.isoformat()
    if raw is None or isinstance(raw, str | int | float | bool):
        return raw
    raise ValidationError(path or "rules", f"{raw!r} is not a JSON value")


MAX_DOCUMENT_BYTES = 64 * 1024  # a rule document is a few hundred bytes; the API's limit too


@functools.cache
def _loader() -> type:
    """``yaml.SafeLoader`` without aliases: ``*name`` is refused, so no document expands.

    A 360-byte "billion laughs" of nested aliases used to take 35 s and 492 MB.
    """
    import yaml

    class NoAliasLoader(yaml.SafeLoader):
        def compose_node(self, parent: Any, index: Any) -> Any:
            if self.check_event(yaml.AliasEvent):
                mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
                raise yaml.composer.ComposerError(
                    None, None, "aliases (*name) are not allowed in rules", mark
                )
            return super().compose_node(parent, index)

    return NoAliasLoader


def parse_yaml(text: str, field: str = "rules") -> Any:
    """A YAML (or JSON) document of at most ``MAX_DOCUMENT_BYTES``, without aliases.

    Raises ``ValidationError`` naming ``field`` and, for YAML errors, the line.
    Callers on the event loop run it in a thread (``asyncio.to_thread``).
    """
    import yaml

    size = len(text.encode("utf-8"))
    if size > MAX_DOCUMENT_BYTES:
        raise ValidationError(field, f"is {size} bytes long, at most {MAX_DOCUMENT_BYTES} allowed")
    try:
        return yaml.load(text, Loader=_loader())  # noqa: S506  (a SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or "not YAML or JSON"
        raise ValidationError(field, f"{where}{problem}") from None


def load_document(path: Path) -> Any:
    """Read a rules file: JSON, or YAML (``.yaml``/``.yml``, or anything JSON cannot read)."""
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() not in (".yaml", ".yml") and len(text) <= MAX_DOCUMENT_BYTES:
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            pass
    try:
        return parse_yaml(text)
    except ValidationError as exc:
        raise ValidationError("rules", f"{path.name}: {exc.reason}") from None


def render(document: Any) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False)


def diff_documents(old: Any, new: Any, old_name: str, new_name: str) -> str:
    lines = difflib.unified_diff(
        render(old).splitlines(),
        render(new).splitlines(),
        fromfile=old_name,
        tofile=new_name,
        lineterm="",
    )
    return "\n".join(lines)


def _locate(document: Any, slug: str, path: str = "") -> str | None:
    """The first field path at which ``slug`` is named (as a key or a value)."""
    if isinstance(document, dict):
        for key, value in document.items():
            here = f"{path}.{key}" if path else key
            if key == slug:
                return here
            found = _locate(value, slug, here)
            if found:
                return found
    elif isinstance(document, list):
        for i, value in enumerate(document):
            found = _locate(value, slug, f"{path}[{i}]")
            if found:
                return found
    elif document == slug:
        return path
    return None


async def check_members(storage: Storage, theme: Theme, document: Any) -> None:
    """Every member the rules name must belong to the theme."""
    rules = parse_rules(document)
    in_theme = {m.slug for m in await storage.list_members(theme_id=theme.id)}
    for slug in sorted(referenced_members(rules) - in_theme):
        raise ValidationError(
            _locate(document, slug) or "rules", f"{slug!r} is not a member of theme {theme.slug!r}"
        )


async def set_rules(
    storage: Storage,
    theme_slug: str,
    raw: Any,
    author: str,
    *,
    expected_version: int | None = None,
) -> RuleChange:
    """Validate and store a new version; ``expected_version`` guards against lost updates."""
    theme = await storage.get_theme(theme_slug)
    document = to_document(raw if raw is not None else {})
    if not isinstance(document, dict):
        raise ValidationError("rules", "must be an object")
    await check_members(storage, theme, document)
    previous = await storage.get_rule_set(theme.id)
    current = await storage.add_rule_set(
        theme.id, document, author, expected_version=expected_version
    )
    old = previous.rules if previous else {}
    diff = diff_documents(
        old,
        document,
        f"version {previous.version if previous else 0}",
        f"version {current.version}",
    )
    return RuleChange(theme, previous, current, diff)


async def history(storage: Storage, theme_slug: str) -> list[tuple[RuleSet, str]]:
    """Every version with its diff against the one before: the audit log."""
    theme = await storage.get_theme(theme_slug)
    out = []
    previous: dict[str, Any] = {}
    for rule_set in await storage.list_rule_sets(theme.id):
        diff = diff_documents(
            previous,
            rule_set.rules,
            f"version {rule_set.version - 1}",
            f"version {rule_set.version}",
        )
        out.append((rule_set, diff))
        previous = rule_set.rules
    return out
