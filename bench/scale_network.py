"""The networks the scale benchmarks measure: made, signed and counted.

``bench_scale.py`` builds its networks with these, and ``bench_firstsight.py``,
``bench_memory.py`` and ``bench_snapshot.py`` build theirs the same way: each
member in 1-3 themes (about even), m0's first theme first; the themes and a
coordinator key in-process; every placement's embed token; a day of counted
views; a PostgreSQL schema of its own; the CLI timed as a process.
"""

from __future__ import annotations

import asyncio
import random
import resource
import subprocess
import time
from datetime import UTC, datetime
from typing import Any

from bench.bench_widget import PY, ROOT, BenchError

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"

CATEGORIES = ("flowers", "catering", "photography", "venue", "music", "bakery", "cafe")

TOWNS = ("Heide", "Husum", "Meldorf", "Büsum", "Brunsbüttel", "Wesselburen")


# What a real network's member text looks like: names in no order of the ids (a
# sort of them is a real sort), descriptions of their own, 120-300 characters (the
# limit is 300) with umlauts.  Until 2026-12-04 every member was "Betrieb {i}" with
# one 60-character description: names sorted by id, and 20 MB less to hold.
KINDS = (
    "Blumenhaus",
    "Bäckerei",
    "Café",
    "Fotostudio",
    "Weingut",
    "Hotel",
    "Friseur",
    "Atelier",
    "Ökohof",
    "Buchhandlung",
    "Konditorei",
    "Festscheune",
    "Autovermietung",
)
SURNAMES = (
    "Hansen",
    "Jensen",
    "Petersen",
    "Carstens",
    "Boie",
    "Wulf",
    "Thießen",
    "Lüders",
    "Brandt",
    "Möller",
    "Schröder",
    "Claußen",
    "Jürgensen",
    "Sönnichsen",
    "Asmussen",
)
WORDS = (
    "Wir",
    "sind",
    "ein",
    "Familienbetrieb",
    "aus",
    "der",
    "Region",
    "mit",
    "Liebe",
    "zum",
    "Detail",
    "frische",
    "Zutaten",
    "regionale",
    "Produkte",
    "Beratung",
    "und",
    "Service",
    "Qualität",
    "seit",
    "über",
    "Jahren",
    "für",
    "Ihre",
    "Feier",
    "Hochzeit",
    "Geburtstag",
    "Firmenfeier",
    "Blumen",
    "Torten",
    "Musik",
    "Dekoration",
    "Küche",
    "Gäste",
    "Natur",
    "Handwerk",
    "individuell",
    "persönlich",
    "gemütlich",
    "nachhaltig",
    "Öffnungszeiten",
)


def member_text(i: int, rng: random.Random) -> tuple[str, str]:
    """Member ``i``'s name and description."""
    name = f"{rng.choice(KINDS)} {rng.choice(SURNAMES)} {rng.randrange(1, 1000)}"
    size = rng.randrange(120, 301)
    words: list[str] = []
    while sum(len(w) + 1 for w in words) < size:
        words.append(rng.choice(WORDS))
    return name, " ".join(words)[: size - 1].rstrip() + "."


def member_rows(members: int, themes: int, seed: int = 14) -> list[dict[str, Any]]:
    """``members`` members as the API takes them, each in 1-3 of ``themes`` themes
    (about even); member m0's first theme comes first in its list.  Their text comes
    from a random source of its own (``member_text``), so the themes are those the
    seed always gave."""
    rng = random.Random(seed)
    text = random.Random(seed + 1)
    rows = []
    for i in range(members):
        count = min(themes, rng.choice((1, 2, 3)))
        name, description = member_text(i, text)
        rows.append(
            {
                "slug": f"m{i}",
                "name": name,
                "website": f"https://m{i}.example.de/",
                "description": description,
                "category": CATEGORIES[i % len(CATEGORIES)],
                "town": TOWNS[i % len(TOWNS)],
                "themes": [f"t{t}" for t in sorted(rng.sample(range(themes), count))],
            }
        )
    return rows


def cli(env: dict[str, str], *args: str, stdin: str | None = None) -> float:
    """Run ``widget-server ARGS``; its wall time in seconds (its CPU time: ``cli_cpu``)."""
    return cli_cpu(env, *args, stdin=stdin)[0]


def cli_cpu(env: dict[str, str], *args: str, stdin: str | None = None) -> tuple[float, float]:
    """Run ``widget-server ARGS``; its wall time and its CPU time (user + system) in seconds.

    The CPU time is that of the finished child (``RUSAGE_CHILDREN`` before and
    after): on a shared machine the wall time includes waiting for a core, the
    CPU time does not."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    proc = subprocess.run(
        [PY, "-m", "widget_server", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise BenchError(f"widget-server {' '.join(args)} failed: {proc.stderr[-2000:]}")
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return round(wall, 2), round(cpu, 2)


async def add_themes(url: str, themes: int) -> str:
    """The themes, and a coordinator key for the API (returned)."""
    from widget_server.network.keys import create_key
    from widget_server.network.services import add_theme
    from widget_server.storage import storage_from_url

    storage = storage_from_url(url)
    await storage.open()
    try:
        for t in range(themes):
            await add_theme(storage, slug=f"t{t}", name_de=f"Thema {t}")
        _, key = await create_key(storage, "coordinator", "bench_scale")
        return key
    finally:
        await storage.close()


async def embed_tokens(url: str) -> list[str]:
    """Every placement's embed token, signed with the network's key."""
    from widget_server.core.settings import Settings
    from widget_server.core.signing import Signer
    from widget_server.network.database import ensure_secret_keys
    from widget_server.storage import storage_from_url

    storage = storage_from_url(url)
    await storage.open()
    try:
        signer = Signer(await ensure_secret_keys(storage, Settings(), create=False))
        m0 = (await storage.get_member("m0")).id
        placements = await storage.list_placements()
        # m0's first placement first; the stall and change measurements use it.
        placements.sort(key=lambda p: p.member_id != m0)
        return [signer.embed_token(p.id) for p in placements]
    finally:
        await storage.close()


async def counted_day(url: str) -> int:
    """Today's views counted, as the server's intake stores them (``add_counts``): every
    placement served some 1-40 times, each view with 4 partners (bench_ledger.py's
    ``day_rows``), so the ledger job that follows has a day of figures to work through
    (about 1,000,000 counter rows at 100,000 members).  The rows written."""
    from bench.bench_ledger import add, day_rows
    from widget_server.storage import storage_from_url

    storage = storage_from_url(url)
    await storage.open()
    try:
        by_theme: dict[int, list[int]] = {}
        for ms in await storage.list_memberships():
            by_theme.setdefault(ms.theme_id, []).append(ms.member_id)
        today = datetime.now(UTC).date()
        rows = day_rows(by_theme, today, 4, random.Random(12), 1.0)
        await add(storage, rows)
        return len(rows)
    finally:
        await storage.close()


async def schema(url: str, name: str, *, drop: bool) -> None:
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        await conn.execute(
            f"DROP SCHEMA IF EXISTS {name} CASCADE" if drop else f"CREATE SCHEMA {name}"
        )
    finally:
        await conn.close()


def embed_tokens_shuffled(url: str) -> list[str]:
    """Every embed token in a shuffled order, m0's first."""
    first, *tokens = asyncio.run(embed_tokens(url))
    random.Random(6).shuffle(tokens)
    return [first, *tokens]
