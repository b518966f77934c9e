"""The simulator's worker processes do not outlive the process they work for.

``comparison.compare`` plays its three strategies in processes of their own
(the admin's simulator: beside the server).  A server killed while they ran
left them playing on for nobody: a theme of 10,000 members kept two CPUs busy
for many minutes after the server was gone.  Each worker now looks after every
half second whether its parent is still there, busy or idle.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# A run of many minutes: 2,000 members over 120 days, three strategies in parallel.
PLAYER = """
import hashlib, multiprocessing
from widget_server.counting.comparison import compare
from widget_server.counting.scenario import Scenario
from widget_server.counting.simulation import zipf_traffic
from widget_server.rotation import MemberInfo, ThemePool, parse_rules

members = {i: MemberInfo(i, f"m{i}", "", "Heide", "25746", True, 0.0) for i in range(1, 2001)}
pool = ThemePool(
    theme_id=7,
    rules=parse_rules({"strategy": "fair-exchange"}),
    members=members,
    ids_by_slug={m.slug: m.id for m in members.values()},
    balances={},
    ledger={},
    themes_of={m: 1 for m in members},
)

told = []


def tell_workers(done, total):  # once they are playing: their process ids
    if not told:
        told.append(done)
        print(" ".join(str(p.pid) for p in multiprocessing.active_children()), flush=True)


compare(
    Scenario({7: pool}, zipf_traffic(sorted(members), 20_000, 1.0), 120),
    key=hashlib.sha256(b"seed").digest(),
    start=1_749_031_200.0,
    warmup=10,
    slugs={m: info.slug for m, info in members.items()},
    parallel=True,
    progress=tell_workers,
)
print("finished", flush=True)
"""


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped by init) is gone for our purpose.
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split(") ", 1)[1].startswith("Z"))


def test_workers_stop_when_the_process_they_work_for_is_killed() -> None:
    player = subprocess.Popen(
        [sys.executable, "-c", PLAYER],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    pids: list[int] = []
    try:
        assert player.stdout is not None
        pids += [int(p) for p in player.stdout.readline().split()]
        assert len(pids) == 3
        assert all(alive(p) for p in pids)
        player.send_signal(signal.SIGKILL)
        player.wait(timeout=30)
        # Each stops within a second; without the watch they would play their 120
        # days (or, idle, wait for work forever).  The limit only guards a hang.
        deadline = time.monotonic() + 120
        while any(alive(p) for p in pids) and time.monotonic() < deadline:
            time.sleep(0.2)
        left = [p for p in pids if alive(p)]
        assert left == [], f"workers still running: {left}"
    finally:
        if player.poll() is None:
            player.kill()
            player.wait()
        if player.stdout is not None:
            player.stdout.close()
        for pid in pids:  # what a failure left behind
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
