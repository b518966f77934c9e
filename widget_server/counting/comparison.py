"""The coordinator's question: the engine beside equal rotation and a 1:1 credit exchange.

``compare`` plays one scenario (several themes, traffic per day, events)
with each strategy of :mod:`~widget_server.counting.scenario` on the same
traffic and reports, per strategy, :class:`~widget_server.counting.report.StrategyReport`
and, per member, the views, exposure given and received and the rule-aware
bound under the engine, with the baselines' ratios beside it.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

from widget_server.counting.report import StrategyReport, strategy_report
from widget_server.counting.scenario import STRATEGIES, Scenario, member_totals, run_scenario
from widget_server.rotation.rules import Rules


@dataclass(frozen=True)
class MemberRow:
    member: str
    views: int
    given: float
    received: float
    ratio: float | None
    bound: float | None
    baseline_ratios: Mapping[str, float | None]  # strategy -> ratio

    def as_dict(self) -> dict[str, Any]:
        def r(x: float | None) -> float | None:
            return None if x is None else round(x, 4)

        return {
            "member": self.member,
            "views": self.views,
            "given": round(self.given, 3),
            "received": round(self.received, 3),
            "ratio": r(self.ratio),
            "bound": r(self.bound),
            "net_giver": self.bound is not None and self.bound < 1.0,
            "ratio_by_strategy": {s: r(x) for s, x in self.baseline_ratios.items()},
        }


@dataclass(frozen=True)
class Comparison:
    days: int
    warmup: int
    rules: Rules  # the first theme's rules (what --set changed)
    members: tuple[MemberRow, ...]  # most views first
    reports: tuple[StrategyReport, ...]  # engine, equal, credit

    def report(self, strategy: str) -> StrategyReport:
        return next(r for r in self.reports if r.strategy == strategy)

    def as_dict(self) -> dict[str, Any]:
        engine = self.report("engine")
        return {
            "days": self.days,
            "warmup": self.warmup,
            "members": [m.as_dict() for m in self.members],
            "network": {
                "min_ratio": None if engine.min_ratio is None else round(engine.min_ratio, 4),
                "max_ratio": None if engine.max_ratio is None else round(engine.max_ratio, 4),
                "gini": round(engine.gini, 4),
            },
            "strategies": [r.as_dict() for r in self.reports],
        }


def _ratio(totals: Mapping[str, Mapping[int, float]], m: int) -> float | None:
    g = totals["given"].get(m, 0.0)
    return totals["received"].get(m, 0.0) / g if g > 0 else None


# Runs at least this long (days) play the strategies in parallel processes: each is
# independent of the others and deterministic, so the result is the same either way;
# starting a process (it imports the rotation) costs about as much as a day.
PARALLEL_FROM_DAYS = 4
Played = tuple[dict[str, dict[int, float]], StrategyReport]


@dataclass(frozen=True)
class _Job:
    """One strategy's run, as a worker process gets it."""

    scenario: Scenario
    strategy: str
    key: bytes
    start: float
    limit: int
    warmup: int
    slugs: Mapping[int, str]
    themes_of: Mapping[int, int]


def _play(job: _Job, progress: Callable[[int], None] | None = None) -> Played:
    days = run_scenario(
        job.scenario,
        job.strategy,
        key=job.key,
        start=job.start,
        limit=job.limit,
        progress=progress,
    )
    report = strategy_report(
        job.strategy, days, job.warmup, job.slugs, job.themes_of, job.scenario.events
    )
    return member_totals(days, job.warmup, job.scenario.days), report


_progress_queue: Any = None  # in a worker process: where it reports days played


def _start_worker(progress_queue: Any, niceness: int = 0, parent: int = 0) -> None:
    global _progress_queue
    _progress_queue = progress_queue
    if parent:
        threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    if niceness > 0:
        os.nice(niceness)


def _watch_parent(parent: int, every: float = 0.5) -> None:
    """End this worker once ``parent`` (the process it works for, given rather than read:
    one killed before this started would not be the one read) is gone: a server killed
    while its simulator ran left its workers playing on for nobody (minutes of two
    CPUs for a theme of thousands), and idle ones waiting for work forever."""
    while os.getppid() == parent:
        time.sleep(every)
    os._exit(1)


def _play_in_worker(n: int, job: _Job) -> Played:
    put = _progress_queue.put if _progress_queue is not None else None
    return _play(job, None if put is None else lambda d: put((n, d)))


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _play_parallel(
    jobs: Sequence[_Job],
    progress: Callable[[int, int], None] | None,
    total: int,
    niceness: int = 0,
) -> list[Played]:
    """Each strategy in a process of its own ("spawn": nothing of this process's
    threads or event loop is copied); progress summed over them."""
    context = multiprocessing.get_context("spawn")
    progress_queue = context.Queue()
    done = [0] * len(jobs)
    with ProcessPoolExecutor(
        max_workers=len(jobs),
        mp_context=context,
        initializer=_start_worker,
        initargs=(progress_queue, niceness, os.getpid()),
    ) as pool:
        futures: list[Future[Played]] = [
            pool.submit(_play_in_worker, n, job) for n, job in enumerate(jobs)
        ]
        while not all(f.done() for f in futures):
            try:
                n, days = progress_queue.get(timeout=0.2)
            except queue.Empty:
                continue
            done[n] = days
            if progress is not None:
                progress(sum(done), total)
        return [f.result() for f in futures]


def compare(
    scenario: Scenario,
    *,
    key: bytes,
    start: float,
    warmup: int,
    slugs: Mapping[int, str],
    limit: int = 3,
    strategies: Sequence[str] = STRATEGIES,
    progress: Callable[[int, int], None] | None = None,
    parallel: bool | None = None,
    niceness: int = 0,
) -> Comparison:
    """Play ``scenario`` with every strategy on the same traffic and compare them.

    ``progress`` is told (days played, days to play) over all strategies.
    ``parallel``: play the strategies in processes of their own (default: when
    the run is long enough and there is more than one CPU); the result is the same.
    ``niceness``: those processes run that much lower in the CPU's queue (a server
    running the admin's simulator: its answers first).
    """
    if not 0 <= warmup < scenario.days:
        raise ValueError(f"warmup must be between 0 and {scenario.days - 1} days, got {warmup}")
    themes_of = {
        m: sum(m in p.members and p.members[m].eligible for p in scenario.pools.values())
        for p in scenario.pools.values()
        for m in p.members
    }
    total = scenario.days * len(strategies)
    if parallel is None:
        parallel = scenario.days >= PARALLEL_FROM_DAYS and len(strategies) > 1 and _cpus() > 1
    jobs = [
        _Job(scenario, strategy, key, start, limit, warmup, slugs, themes_of)
        for strategy in strategies
    ]
    if parallel:
        played = _play_parallel(jobs, progress, total, niceness)
    else:
        played = []
        for n, job in enumerate(jobs):
            done = n * scenario.days
            tell = None if progress is None else lambda d, done=done: progress(done + d, total)
            played.append(_play(job, tell))
    totals = {strategy: p[0] for strategy, p in zip(strategies, played, strict=True)}
    reports = [p[1] for p in played]
    engine = totals[strategies[0]]
    shown = sorted(
        set(engine["given"]) | set(engine["received"]),
        key=lambda m: (-engine["views"].get(m, 0.0), slugs[m]),
    )
    members = tuple(
        MemberRow(
            member=slugs[m],
            views=int(engine["views"].get(m, 0)),
            given=engine["given"].get(m, 0.0),
            received=engine["received"].get(m, 0.0),
            ratio=_ratio(engine, m),
            bound=engine["reach"].get(m, 0.0) / engine["given"][m]
            if engine["given"].get(m, 0.0) > 0
            else None,
            baseline_ratios={s: _ratio(totals[s], m) for s in strategies},
        )
        for m in shown
    )
    first = next(iter(scenario.pools.values()))
    return Comparison(scenario.days, warmup, first.rules, members, tuple(reports))
