"""bench/stallwatch.py, the benchmarks' stall recorder: it must never hang the server it
watches."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from bench.stallwatch import Watch


def test_a_collection_in_the_thread_that_holds_the_watch_lock_does_not_hang_it(
    tmp_path: Path,
) -> None:
    # The watchdog makes its samples holding the lock; a collection that starts there
    # calls the watch's collector callback, which takes the lock again.  With a plain
    # lock the thread waited for itself, and the server's loop for it (a bench run
    # found a server hung this way).
    watch = Watch(tmp_path / "stalls.jsonl")
    done = threading.Event()

    def sample() -> None:
        with watch._lock:
            watch._gc("start", {"generation": 0})
            time.sleep(0.005)  # a pass longer than the 2 ms the watch records
            watch._gc("stop", {"generation": 0, "collected": 3})
        done.set()

    threading.Thread(target=sample, daemon=True).start()
    assert done.wait(30), "the collector callback waited for a lock its own thread held"
    assert [(gen, who, freed) for _, gen, _, who, freed in watch.gcs] == [(0, "other", 3)]
