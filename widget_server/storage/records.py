"""The records the storage layer hands over (the snapshot's data, the change log, a
stored response, the ledger's versions and what a computation stores) and its
helpers (the ledger's meta rows, checked identifiers, the shipped migrations),
imported from here; ``storage/base.py`` holds only the ``Storage`` protocol."""

from __future__ import annotations

import re
from collections.abc import AsyncIterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from widget_server.core.errors import StorageError
from widget_server.core.models import (
    Member,
    MemberRecord,
    Membership,
    Placement,
    PlacementOptions,
    RuleSet,
    Theme,
)
from widget_server.rotation.ledger import Base, ThemeLedger, read_theme_chain


@dataclass(frozen=True)
class NetworkData:
    """Everything the widget hot path needs, read in one go for the snapshot."""

    version: int
    themes: tuple[Theme, ...]
    members: tuple[Member, ...]
    memberships: tuple[Membership, ...]
    placements: tuple[Placement, ...]
    rule_sets: tuple[RuleSet, ...]  # the current version per theme
    # ``load_network(compact=True)``: the members as the serving snapshot keeps them
    # (``members`` is then empty) ...
    records: tuple[MemberRecord, ...] = ()
    # ... and the memberships as it indexes them: (member id, theme id, status, joined as
    # Unix time), no ``Membership`` made (``memberships`` is then empty).
    joined: tuple[tuple[int, int, str, float], ...] = ()
    # ... and the placements as (id, member id, theme id, options), no ``Placement`` made
    # (``placements`` is then empty).
    placement_rows: tuple[tuple[int, int, int, PlacementOptions], ...] = ()


@dataclass(frozen=True)
class RuleChange:
    """A version of a theme's rules as the audit log lists it (``recent_rule_changes``)."""

    slug: str  # the theme's
    rule_set: RuleSet
    previous: dict[str, Any]  # the rules it replaced; empty for a theme's first version


@dataclass(frozen=True)
class ChangeLog:
    """What the change log says happened after a version (``Storage.changes_since``).

    ``complete`` is False when the log no longer reaches back that far (or a
    writer did not say what it changed): then only a full reload is right.
    """

    version: int  # the data version now
    complete: bool
    members: frozenset[int] = frozenset()
    themes: frozenset[int] = frozenset()
    placements: frozenset[int] = frozenset()


@dataclass(frozen=True)
class StoredResponse:
    """The first answer to a POST with an ``Idempotency-Key`` (``status`` 0: still running)."""

    api_key_id: str
    key: str
    fingerprint: str  # sha256 of method, path and body
    created_at: float  # unix seconds
    status: int = 0
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""


@dataclass(frozen=True)
class ThemeVersion:
    """A published version of a theme's fairness ledger as stored: the checkpoint it builds
    on (the theme's first version that day, a full document) and the deltas after it."""

    theme_id: int
    version: int  # the deployment's ledger version that published it
    computed_at: float  # unix seconds, by the computing process's clock
    # (version, computed_at, JSON document); None when the reader asked only for what
    # followed a version it holds (``get_ledger(since=...)``).
    checkpoint: tuple[int, float, str] | None
    deltas: tuple[tuple[int, float, str], ...] = ()  # oldest first, up to ``version``

    def read(self, onto: ThemeLedger | None = None) -> ThemeLedger:
        """The theme's ledger of this version (``onto``: the version the deltas follow,
        when there is no checkpoint); ``ValueError`` if it cannot be read."""
        return read_theme_chain(self.checkpoint, self.deltas, onto)


@dataclass(frozen=True)
class StoredLedger:
    """The deployment's ledger version and the theme versions a reader asked for."""

    version: int  # counts up with every computation
    computed_at: float  # unix seconds, by the computing process's clock
    themes: Mapping[int, ThemeVersion] = field(default_factory=dict)


@dataclass(frozen=True)
class LedgerHead:
    """A theme's latest published version, as a computation continues from it."""

    version: int
    checkpoint: int  # the full document its chain builds on
    digest: str  # sha256 of its full document (``theme_document``)


@dataclass(frozen=True)
class Publication:
    """A theme's new version: its full document's digest, and what is stored."""

    digest: str
    document: str  # the full document, or with ``checkpoint`` only what changed
    checkpoint: int | None = None  # None: a full document (a new checkpoint)


@dataclass(frozen=True)
class LedgerUpdate:
    """What one computation of the ledger stores, in one transaction."""

    bases: Mapping[int, Base]  # the themes whose base rolled or was rebuilt
    documents: Mapping[int, Publication]  # the themes whose published figures changed
    keep_since: float  # theme versions older than this are pruned (each theme's latest stays)


# The meta rows that hold the deployment's ledger version.
LEDGER_KEYS = ("ledger_version", "ledger_computed_at")


def ledger_from_meta(meta: Mapping[str, str]) -> StoredLedger | None:
    """The stored ledger version from its meta rows (key -> value), or None before the first."""
    if "ledger_computed_at" not in meta:
        return None
    return StoredLedger(int(meta.get("ledger_version", "0")), float(meta["ledger_computed_at"]))


def identifier(name: str) -> str:
    """A table or column name, checked before it is written into SQL."""
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        raise StorageError(f"not a table or column name: {name!r}")
    return name


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def load_migrations(dialect: str) -> tuple[Migration, ...]:
    """The numbered migrations shipped for ``dialect``, in order."""
    folder = resources.files("widget_server.storage") / "migrations" / dialect
    found = []
    for entry in folder.iterdir():
        name = entry.name
        if not name.endswith(".sql"):
            continue
        number, _, rest = name.partition("_")
        found.append(Migration(int(number), rest.removesuffix(".sql"), entry.read_text("utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if versions != list(range(1, len(found) + 1)):
        raise RuntimeError(f"{dialect} migrations are not numbered 1..n: {versions}")
    return tuple(found)


TableRows = AsyncIterable[Sequence[tuple[Any, ...]]]  # batches of rows
