"""The pure parts of a ledger install (``SnapshotHolder._install_ledger``): the new
ledgers read from a stored version, the new snapshot moved onto writes applied
meanwhile, and what the install replaced, to be freed off the event loop."""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable, Mapping

from widget_server.rotation import ThemePool
from widget_server.rotation.ledger import ThemeLedger
from widget_server.serving import release
from widget_server.serving.snapshot import Snapshot
from widget_server.storage.records import StoredLedger, ThemeVersion

# The holder's log lines keep the name they always had (operators filter on it).
log = logging.getLogger("widget_server.serving.snapshot")


def read_themes(
    themes: Mapping[int, ThemeVersion], installed: Mapping[int, ThemeLedger]
) -> tuple[dict[int, ThemeLedger], list[int]]:
    """The new ledgers of ``themes`` (a version's deltas applied to the installed one), and
    the themes whose deltas do not follow what is installed (to read whole)."""
    changed, whole = {}, []
    for theme_id, found in themes.items():
        try:
            changed[theme_id] = found.read(installed.get(theme_id))
        except ValueError as exc:
            if found.checkpoint is None:
                whole.append(theme_id)
                continue
            log.error(
                "stored ledger unreadable",
                extra={"theme_id": theme_id, "version": found.version, "error": str(exc)},
            )
    return changed, whole


def rebase(
    ready: Snapshot,
    base: Snapshot,
    current: Snapshot,
    changed: Collection[int],
    now: float,
    freed: list[object] | None = None,
    rebalanced: Mapping[int, tuple[ThemePool, ThemePool]] | None = None,
) -> Snapshot:
    """``ready`` (``base`` with new ledgers for ``changed``) moved onto ``current``, the
    snapshot serving now: the same unless writes were applied meanwhile.

    Then ``current``'s network and pools are kept, a pool of ``changed`` takes its new
    balances where it is still ``base``'s (the same object), or is replaced by the one
    ``rebalanced`` made of it (pool -> with the new ledger; a large theme's, made in
    a worker thread), and is dropped (built again on use) where a write rebuilt it
    since otherwise; a walk over the built pools, with nothing recomputed on the
    event loop.
    """
    if current is base:
        return ready
    cache = current.cache.without(changed, freed)
    new = Snapshot.of(current.network, ready.ledger, now, cache=cache)
    before, after = base.pools.built, ready.pools.built
    for theme_id, pool in current.pools.built.items():
        if theme_id not in changed:
            new.pools.built[theme_id] = pool
        elif before.get(theme_id) is pool and theme_id in after:
            new.pools.built[theme_id] = after[theme_id]
        elif rebalanced and theme_id in rebalanced and rebalanced[theme_id][0] is pool:
            new.pools.built[theme_id] = rebalanced[theme_id][1]
    new.active_members.built.update(current.active_members.built)
    return new


def replaced_objects(
    snapshots: Iterable[Snapshot],
    serving: Snapshot,
    ledgers: Mapping[int, ThemeLedger],
    stored: StoredLedger,
) -> list[object]:
    """What an install replaced, for ``release.release`` in a worker thread: the pools and
    kept answers of ``snapshots`` no longer ``serving`` (the one the install started
    from, the one serving until then and the one made for the swap, when writes came
    between), the replaced ``ledgers`` and the ``stored`` documents."""
    gone = {id(s): s for s in snapshots if s is not serving}.values()
    return release.held(
        [
            *(part for old in gone for part in (old.pools.built, old.cache.ready)),
            ledgers,
            stored.themes,
        ]
    )
