"""Where an event-loop stall comes from: a lag sampler on the loop and a watchdog thread.

A stall seen by a client (a request answered late) has four possible causes,
and only two of them are the server's code:

* the loop thread **computing** (a long step on the event loop);
* the loop thread **waiting for the GIL** while another thread of the process
  holds it (a worker thread in a long C call, or pure Python between switches);
* the loop thread **waiting for a CPU** (the kernel's run queue: the machine's
  load, not the program);
* the client or the network.

``Watch`` tells them apart from inside the process.  A ticker task on the loop
sleeps ``tick`` seconds at a time; each wake-up later than ``threshold``
becomes a stall record with, over the late interval, the loop thread's CPU
time and its time on the run queue (``/proc/thread-self/schedstat``: the
kernel's own accounting), the CPU the process's other threads used meanwhile,
the garbage collections that ran (``gc.callbacks``), and the loop thread's
stack, and those of the other threads (a GIL holder among them), as a
watchdog thread sampled them every millisecond while the loop was late
(``sys._current_frames``).  Stall time minus loop CPU minus run-queue
wait is time the loop thread was runnable-but-blocked: the GIL (or a
blocking call).

Used in process (``bench_ledger.py``: ``Watch(path).start(loop)``) or around
a server (``python -m bench.stallwatch FILE serve ...`` runs ``widget-server
serve ...`` with a watch on uvicorn's loop); the records are JSON lines in
FILE, ``summary(FILE, since, until)`` condenses those of a phase.
"""

from __future__ import annotations

import asyncio
import collections
import gc
import json
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

TICK = 0.002  # seconds the ticker sleeps
THRESHOLD = 0.02  # a wake-up this late is a stall worth a record
SAMPLE = 0.001  # seconds between the watchdog's stack samples


def _schedstat(path: str) -> tuple[float, float]:
    """(CPU seconds, run-queue seconds) of a thread, from the kernel's schedstat."""
    try:
        with open(path) as f:
            on_cpu, waiting, _ = f.read().split()
    except (OSError, ValueError):
        return 0.0, 0.0
    return int(on_cpu) / 1e9, int(waiting) / 1e9


def _threads_cpu(skip: set[int]) -> tuple[float, float]:
    """CPU and run-queue seconds of this process's threads, except ``skip`` (native ids)."""
    cpu = queued = 0.0
    for tid in os.listdir("/proc/self/task"):
        if int(tid) not in skip:
            on, waiting = _schedstat(f"/proc/self/task/{tid}/schedstat")
            cpu, queued = cpu + on, queued + waiting
    return cpu, queued


def _frames(frame: Any, depth: int = 8) -> str:
    """The innermost ``depth`` frames, innermost last, as ``file:function:line``."""
    out = []
    while frame is not None and len(out) < depth:
        code = frame.f_code
        name = "/".join(Path(code.co_filename).parts[-2:])
        out.append(f"{name}:{code.co_name}:{frame.f_lineno}")
        frame = frame.f_back
    return " < ".join(out)


class Watch:
    def __init__(self, path: str | Path, threshold: float = THRESHOLD) -> None:
        self.path = Path(path)
        self.threshold = threshold
        self.last_wake = time.monotonic()
        self.loop_ident = 0  # the loop thread's Python ident
        self.loop_native = 0
        self.samples: collections.Counter[str] = collections.Counter()
        # What the process's other threads were doing meanwhile (a GIL holder among them).
        self.others: collections.Counter[str] = collections.Counter()
        self.gcs: list[tuple[float, int, float, str, int]] = []  # (start, gen, s, thread, freed)
        self._gc_start = 0.0
        # Reentrant: a collection can start in a thread that holds it (the watchdog, as
        # it makes its samples), and the collector's callback takes it again; with a
        # plain lock that thread waited for itself and the loop for it: a hung server.
        self._lock = threading.RLock()
        self._others_before: tuple[float, float] | None = None
        self._watchdog_late = 0.0
        self._watchdog_native = 0
        self._task: asyncio.Task[None] | None = None

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop_ident = threading.get_ident()
        self.loop_native = threading.get_native_id()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        gc.callbacks.append(self._gc)
        threading.Thread(target=self._watchdog, daemon=True, name="stallwatch").start()
        self._task = loop.create_task(self._ticker(), name="stallwatch")

    def _gc(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._gc_start = time.perf_counter()
            return
        took = time.perf_counter() - self._gc_start
        if took > 0.002:
            who = "loop" if threading.get_ident() == self.loop_ident else "other"
            with self._lock:
                self.gcs.append(
                    (time.time() - took, info["generation"], took, who, info.get("collected", 0))
                )

    async def _ticker(self) -> None:
        own = f"/proc/self/task/{self.loop_native}/schedstat"
        cpu, queued = _schedstat(own)
        while True:
            before = time.monotonic()
            await asyncio.sleep(TICK)
            now = time.monotonic()
            self.last_wake = now
            late = now - before - TICK
            cpu_now, queued_now = _schedstat(own)
            if late >= self.threshold:
                self._record(late, cpu_now - cpu, queued_now - queued)
            cpu, queued = cpu_now, queued_now

    def _record(self, late: float, cpu: float, queued: float) -> None:
        with self._lock:
            samples, self.samples = self.samples, collections.Counter()
            other_samples, self.others = self.others, collections.Counter()
            others_before, self._others_before = self._others_before, None
            gcs = [g for g in self.gcs if g[0] >= time.time() - late - 0.01]
            self.gcs = []
            watchdog_late, self._watchdog_late = self._watchdog_late, 0.0
        others = others_queued = None
        if others_before is not None:
            cpu_now, queued_now = _threads_cpu({self.loop_native, self._watchdog_native})
            others = round((cpu_now - others_before[0]) * 1e3, 1)
            others_queued = round((queued_now - others_before[1]) * 1e3, 1)
        record = {
            "at": round(time.time() - late, 3),
            "late_ms": round(late * 1e3, 1),
            "loop_cpu_ms": round(cpu * 1e3, 1),
            "loop_runqueue_ms": round(queued * 1e3, 1),
            # runnable but not running, and not on the run queue: the GIL or a blocking call
            "loop_blocked_ms": round(max(0.0, late - cpu - queued) * 1e3, 1),
            # The process's other threads meanwhile: their CPU, and their time queued for
            # a CPU (a GIL holder waiting for a CPU keeps the loop blocked: the machine).
            "other_threads_cpu_ms": others,
            "other_threads_queued_ms": others_queued,
            "watchdog_late_ms": round(watchdog_late * 1e3, 1),
            "gc": [
                {"gen": g, "ms": round(s * 1e3, 1), "thread": w, "collected": c}
                for _, g, s, w, c in gcs
            ],
            "stacks": samples.most_common(6),
            "other_stacks": other_samples.most_common(6),
        }
        with self.path.open("a") as f:
            f.write(json.dumps(record) + "\n")

    def _watchdog(self) -> None:
        me = self._watchdog_native = threading.get_native_id()
        expected = time.monotonic()
        while True:
            time.sleep(SAMPLE)
            now = time.monotonic()
            self._watchdog_late = max(self._watchdog_late, now - expected - SAMPLE)
            expected = now
            if now - self.last_wake < self.threshold / 2:
                continue
            frames = sys._current_frames()
            frame = frames.get(self.loop_ident)
            mine = threading.get_ident()
            with self._lock:
                if self._others_before is None:
                    self._others_before = _threads_cpu({self.loop_native, me})
                if frame is not None:
                    self.samples[_frames(frame)] += 1
                for ident, other in frames.items():
                    if ident not in (self.loop_ident, mine):
                        self.others[_frames(other)] += 1


def work(record: dict[str, Any]) -> float:
    """A stall's part that was work of this process (see ``summary``)."""
    others = record.get("other_threads_cpu_ms") or 0.0
    return round(record["loop_cpu_ms"] + min(record["loop_blocked_ms"], others), 1)


def summary(
    path: str | Path,
    since: float,
    until: float,
    top: int = 3,
    windows: list[tuple[float, float]] | None = None,
) -> dict[str, Any]:
    """The stalls recorded between ``since`` and ``until`` (``time.time()``), or only
    those that began in one of ``windows`` (each a (since, until)): the longest, their
    causes summed, and the longest ones in full."""
    spans = windows if windows is not None else [(since, until)]
    found = []
    if Path(path).exists():
        for line in Path(path).read_text().splitlines():
            record = json.loads(line)
            if any(a <= record["at"] <= b for a, b in spans):
                found.append(record)
    found.sort(key=lambda r: -r["late_ms"])
    return {
        "stalls": len(found),
        "longest_ms": found[0]["late_ms"] if found else 0.0,
        # The longest stall less what the kernel says the loop thread spent queued for a
        # CPU: the part the process itself caused (its loop's work, the GIL).
        "longest_own_ms": max((r["late_ms"] - r["loop_runqueue_ms"] for r in found), default=0.0),
        # The work that held the loop, whatever the machine's load: the loop thread's own
        # CPU in the late interval, plus the GIL held by other threads while they ran
        # (not while they waited for a CPU holding it).  What a quiet machine would show.
        "longest_work_ms": max((work(r) for r in found), default=0.0),
        "sum_ms": {
            k: round(sum(r[k] for r in found), 1)
            for k in ("late_ms", "loop_cpu_ms", "loop_runqueue_ms", "loop_blocked_ms")
        },
        "longest": found[:top],
    }


def _serve(path: str, argv: list[str]) -> int:
    """``widget-server ARGV`` with a watch on uvicorn's event loop."""
    import uvicorn.server

    watch = Watch(path)
    serve = uvicorn.server.Server.serve

    async def watched(self: Any, sockets: Any = None) -> None:
        watch.start(asyncio.get_running_loop())
        await serve(self, sockets)

    uvicorn.server.Server.serve = watched  # type: ignore[method-assign]
    from widget_server.cli import main

    return main(argv)


def show(path: str, least_ms: float = 50.0) -> None:
    """The records of ``path`` from ``least_ms`` on, one line each, with the top stack."""
    for line in Path(path).read_text().splitlines():
        r = json.loads(line)
        if r["late_ms"] < least_ms:
            continue
        when = time.strftime("%H:%M:%S", time.gmtime(r["at"])) + f"{r['at'] % 1:.2f}"[1:]
        gcs = " ".join(f"gc{g['gen']}:{g['ms']}ms@{g['thread']}" for g in r["gc"])
        print(
            f"{when} late {r['late_ms']} cpu {r['loop_cpu_ms']} queued {r['loop_runqueue_ms']}"
            f" blocked {r['loop_blocked_ms']} others {r['other_threads_cpu_ms']}"
            f" (queued {r.get('other_threads_queued_ms')}) {gcs}"
        )
        for stack, count in r["stacks"][:3]:
            print(f"    {count:>3} {stack}")


if __name__ == "__main__":
    if sys.argv[1] == "show":  # python -m bench.stallwatch show FILE [LEAST_MS]
        show(sys.argv[2], float(sys.argv[3]) if len(sys.argv) > 3 else 50.0)
        sys.exit(0)
    sys.exit(_serve(sys.argv[1], sys.argv[2:]))
