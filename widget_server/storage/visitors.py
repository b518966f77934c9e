"""The shared visitor state (counting/visitors.py): one-time claims, daily tallies, salts.

Only salted 16-byte hashes and the salts themselves; rows expire by the end
of the next UTC day and salts are deleted after two days.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Mapping, Sequence
from datetime import date, timedelta

from widget_server.storage.queries import Queries

BATCH = 400  # rows per multi-row INSERT: a few bound values each, far below either limit


class Visitors(Queries):
    async def visitor_salt(self, day: date, candidate: bytes) -> bytes:
        """The day's shared salt: ``candidate`` if none was stored yet; older salts go."""
        async with self._write(bump=False) as conn:
            await conn.execute(
                "INSERT INTO visitor_salts (day, salt) VALUES (?, ?) ON CONFLICT (day) DO NOTHING",
                self._dialect.day(day),
                candidate,
            )
            # Forgotten after two days: then no stored key can be linked to anyone again.
            await conn.execute(
                "DELETE FROM visitor_salts WHERE day < ?",
                self._dialect.day(day - timedelta(days=1)),
            )
            salt = await conn.fetchval(
                "SELECT salt FROM visitor_salts WHERE day = ?", self._dialect.day(day)
            )
        return bytes(salt)

    async def settle_visitors(
        self, claims: Collection[bytes], tallies: Mapping[bytes, int], expires: float
    ) -> tuple[set[bytes], dict[bytes, int]]:
        """Claim keys (which were new?) and add to tallies (totals after), one transaction."""
        # Sorted: processes settling at the same moment lock rows in the same order.
        keys, counted = sorted(claims), sorted(tallies.items())
        new: set[bytes] = set()
        totals: dict[bytes, int] = {}
        async with self._write(bump=False) as conn:
            now = time.time()
            await conn.execute("DELETE FROM visitor_claims WHERE expires_at < ?", now)
            await conn.execute("DELETE FROM visitor_tallies WHERE expires_at < ?", now)
            for i in range(0, len(keys), BATCH):
                part = keys[i : i + BATCH]
                rows = await conn.fetch(
                    "INSERT INTO visitor_claims (key, expires_at) VALUES "
                    + ", ".join(["(?, ?)"] * len(part))
                    + " ON CONFLICT (key) DO NOTHING RETURNING key",
                    *[v for key in part for v in (key, expires)],
                )
                new.update(bytes(r[0]) for r in rows)
            for i in range(0, len(counted), BATCH):
                chunk = counted[i : i + BATCH]
                rows = await conn.fetch(
                    "INSERT INTO visitor_tallies (key, n, expires_at) VALUES "
                    + ", ".join(["(?, ?, ?)"] * len(chunk))
                    + " ON CONFLICT (key) DO UPDATE SET n = visitor_tallies.n + excluded.n"
                    " RETURNING key, n",
                    *[v for key, n in chunk for v in (key, n, expires)],
                )
                totals.update((bytes(r[0]), int(r[1])) for r in rows)
        return new, totals

    async def add_capped(self, rows: Sequence[tuple[date, int, int, int]]) -> None:
        """Add (day, theme id, host id, refused beacons) to the daily cap counts."""
        if not rows:
            return
        async with self._write(bump=False) as conn:
            await conn.executemany(
                "INSERT INTO daily_capped (day, theme_id, host_id, count) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (day, theme_id, host_id)"
                " DO UPDATE SET count = daily_capped.count + excluded.count",
                sorted((self._dialect.day(d), t, h, n) for d, t, h, n in rows),
            )

    async def list_capped(
        self, theme_id: int, since: date, until: date
    ) -> list[tuple[date, int, int]]:
        """(day, host id, refused beacons) of a theme in a period, newest first."""
        rows = await self._fetch(
            "SELECT day, host_id, count FROM daily_capped"
            " WHERE theme_id = ? AND day >= ? AND day <= ? ORDER BY day DESC, count DESC",
            theme_id,
            self._dialect.day(since),
            self._dialect.day(until),
        )
        return [(self._dialect.from_day(r[0]), r[1], r[2]) for r in rows]
