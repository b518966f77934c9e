"""What a running server holds: storage, signer, snapshot, templates, loader.

``Runtime.start`` is the lifespan's body; handlers reach the runtime through
``request.app.state.runtime``.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.templating import Jinja2Templates

from widget_server.core.models import Placement
from widget_server.core.settings import Settings
from widget_server.core.signing import Signer
from widget_server.counting.intake import Counting
from widget_server.counting.visitors import MemoryStore, visitor_store
from widget_server.mail import jobs as mail_jobs
from widget_server.mail import worker as mail_worker
from widget_server.mail.outbox import Mailer
from widget_server.network.database import (
    DEMO_META,
    ensure_secret_keys,
    open_storage,
    rotation_key,
)
from widget_server.serving.blocks import Display, Drawn, prepare_theme, select_slots
from widget_server.serving.cache import MB
from widget_server.serving.holder import SnapshotHolder
from widget_server.serving.ledger_process import compute_in_child, database_url
from widget_server.serving.loader import (
    BlockStylesheet,
    LoaderAsset,
    build_block_stylesheet,
    build_loader,
)
from widget_server.serving.slots import JOINT_INTERVAL, JointBoard, drawn_block
from widget_server.serving.snapshot import Snapshot
from widget_server.storage import Storage
from widget_server.web.templating import compile_all, make_templates

PACKAGE_DIR = Path(__file__).parents[1]
STATIC_DIR = PACKAGE_DIR / "static"
TEMPLATES_DIR = PACKAGE_DIR / "templates"

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: Settings
    storage: Storage
    clock: Callable[[], float] = time.time
    templates: Jinja2Templates = field(default_factory=lambda: make_templates(TEMPLATES_DIR))
    loader: LoaderAsset = field(default_factory=lambda: build_loader(STATIC_DIR))
    block_css: BlockStylesheet = field(default_factory=lambda: build_block_stylesheet(STATIC_DIR))
    signer: Signer | None = None
    key: bytes = b""
    snapshots: SnapshotHolder | None = None
    demo: bool = False  # the database was made by `widget-server demo`: /demo/ is served
    counting: Counting | None = None
    mailer: Mailer | None = None
    _mail_worker: asyncio.Task[None] | None = None
    _flusher: asyncio.Task[None] | None = None
    _stopping: asyncio.Event = field(default_factory=asyncio.Event)
    _poller: asyncio.Task[None] | None = None
    # The live joint offers and upcoming events a block's slot may show (serving/slots.py).
    joint: JointBoard = field(default_factory=JointBoard)
    _joint_reader: asyncio.Task[None] | None = None
    _requests: itertools.count[int] = field(default_factory=itertools.count)
    # Every template compiled in a worker thread after the start (``compile_all``).
    compiled: asyncio.Task[int] | None = None

    async def start(self) -> None:
        await open_storage(self.storage)
        try:
            await self._start()
        except BaseException:
            # An open connection (a thread on SQLite) would keep the process alive.
            await self.storage.close()
            raise

    async def _start(self) -> None:
        # Status changes and rule versions carry this clock's time: the replay compares
        # them with the moments blocks were served at.
        self.storage.clock = self.clock
        keys = await ensure_secret_keys(self.storage, self.settings, create=False)
        self.signer = Signer(keys, clock=self.clock)
        self.key = rotation_key(keys)
        self.demo = await self.storage.get_meta(DEMO_META) == "1"
        self.snapshots = SnapshotHolder(
            self.storage,
            self.settings.snapshot_interval,
            self.settings.ledger_interval,
            self.clock,
            self.settings.render_cache_size,
            self.settings.render_cache_mb * MB,
        )
        key = self.key
        self.snapshots.ahead = lambda snapshot, theme_id: prepare_theme(
            snapshot, theme_id, self.clock(), key
        )
        # A large network's ledger is computed in a child process (its CPU, its GIL and
        # its transient memory kept out of this one); a small one's here.
        self.snapshots.compute_elsewhere = functools.partial(
            compute_in_child, database_url(self.storage)
        )
        # The ledger as stored: the poller brings it up to date at its first turn, after
        # the first blocks are served.
        await self.snapshots.start(compute_ledger=False, serving=True)
        # Not on a page's first request, on the event loop; nor during the start.
        self.compiled = asyncio.create_task(self._compile(), name="templates-compile")
        self._poller = asyncio.create_task(
            self.snapshots.run(self._stopping), name="snapshot-poller"
        )
        self.joint.zone = self.settings.time_zone
        await self.joint.load(self.storage, self.clock())
        self._joint_reader = asyncio.create_task(
            # Never more often than the snapshot poll (a quiet deployment polls rarely).
            self.joint.run(
                self.storage,
                self._stopping,
                self.clock,
                max(JOINT_INTERVAL, self.settings.snapshot_interval),
            ),
            name="joint-reader",
        )
        redis_url = str(self.settings.redis_url) if self.settings.redis_url else None
        self.counting = Counting(
            self.signer,
            self.clock,
            own_hosts=self._own_hosts(),
            enabled=self.settings.counting,
            demo=self.demo,
            store=visitor_store(redis_url, self.storage, self.key)
            if self.settings.counting
            else MemoryStore(),
        )
        self._flusher = asyncio.create_task(
            self.counting.run(self.storage, self.settings.flush_interval, self._stopping),
            name="count-flusher",
        )
        self.mailer = Mailer(self.settings, self.storage, self.signer, self.clock)
        if self.mailer.problem is None:
            mailer = self.mailer
            self._mail_worker = asyncio.create_task(
                mail_worker.run(
                    self.storage,
                    self.settings,
                    self.clock,
                    self._stopping,
                    lambda: mail_jobs.run_due(mailer),
                ),
                name="mail-worker",
            )

    async def _compile(self) -> int:
        """Every template compiled in a worker thread once the start's warm-up is done
        (0.3-1.5 s of CPU: not taken from the first blocks); 0 when stopped before."""
        assert self.snapshots is not None
        warmed = asyncio.create_task(self.snapshots.warmed.wait())
        stopping = asyncio.create_task(self._stopping.wait())
        await asyncio.wait((warmed, stopping), return_when=asyncio.FIRST_COMPLETED)
        warmed.cancel()
        stopping.cancel()
        if self._stopping.is_set():
            return 0
        try:
            return await asyncio.to_thread(compile_all, self.templates)
        except Exception:  # a broken template: its page fails when asked for, not the start
            log.exception("templates not compiled ahead")
            return 0

    def _own_hosts(self) -> frozenset[str]:
        hosts = set()
        if self.settings.public_url:
            hosts.add((urlsplit(self.settings.public_url).hostname or "").lower())
        if self.demo:  # the demo's member sites are pages of this server
            hosts |= {"127.0.0.1", "localhost", "::1"}
        return frozenset(hosts - {""})

    async def stop(self) -> None:
        """Graceful shutdown (SIGTERM): nothing that was counted is lost.

        The background tasks are asked to stop, never cancelled: a write in
        progress (a flush waiting for the database, a ledger update) finishes,
        then the flusher writes what remains, and only then the storage closes.
        """
        self._stopping.set()
        for task in (self._poller, self._joint_reader, self._flusher, self._mail_worker):
            if task is not None:
                await task
        if self.compiled is not None:
            await self.compiled  # a thread: never left running past the stop
        if self.counting is not None:
            await self.counting.store.close()
        await self.storage.close()

    # -- per-request helpers ------------------------------------------------------------------

    def base_url(self, request: Request) -> str:
        """Where visitors reach us: ``WIDGET_PUBLIC_URL``, else the request's own origin."""
        if self.settings.public_url:
            return self.settings.public_url
        # From the scope directly: building request.url costs more than the block.
        scope = request.scope
        host = next((v for k, v in scope["headers"] if k == b"host"), None)
        name = host.decode("latin-1") if host else "{}:{}".format(*scope["server"])
        return f"{scope['scheme']}://{name}"

    def request_nonce(self) -> int:
        """A unique number per request, for rules that rotate on every request."""
        return (int(self.clock()) << 20) | (next(self._requests) & 0xFFFFF)

    def drawn(
        self,
        snapshot: Snapshot,
        placement: Placement,
        display: Display,
        base_url: str,
        now: float,
    ) -> Drawn:
        """The placement's block at ``now`` with this server's key, signer and joint
        board: its drawn partners and, when the display asks for one, its joint slot's
        counted card (``slots.drawn_block``).  What every channel's block is made of:
        the /w/ JSON and iframe page, and the API's blocks."""
        assert self.signer is not None
        slots, rules, rotation = select_slots(
            snapshot, placement, now, self.key, self.request_nonce()
        )
        return drawn_block(
            self.joint,
            snapshot,
            placement,
            display,
            slots,
            rules=rules,
            rotation=rotation,
            signer=self.signer,
            key=self.key,
            base_url=base_url,
        )


def mailer_of(request: Request) -> Mailer:
    mailer = runtime_of(request).mailer
    assert mailer is not None
    return mailer


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime
