"""``bench_scale.py``'s phases under a probe: a probe thread that asks for a block every
20 ms and keeps the longest gap between two answers, the writes (API and CLI) with the
time until a change is served, and the admin pages as a coordinator opens them."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

from bench.bench_widget import BenchError
from bench.scale_network import cli

PROBE_INTERVAL = 0.02  # seconds between the stall probe's requests


class Probe:
    """Asks for one block every 20 ms in a thread; the longest gap between two answers."""

    def __init__(self, url: str) -> None:
        import threading

        self.url = url
        self.longest = 0.0
        self.requests = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        import httpx

        with httpx.Client(timeout=120) as client:
            last = time.monotonic()
            while not self._stop.is_set():
                client.get(self.url).raise_for_status()
                now = time.monotonic()
                self.longest = max(self.longest, now - last)
                self.requests += 1
                last = now
                self._stop.wait(PROBE_INTERVAL)
                last = max(last, time.monotonic() - PROBE_INTERVAL)

    def __enter__(self) -> Probe:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=180)

    @property
    def longest_ms(self) -> float:
        return round(self.longest * 1000, 1)


def block_of(base: str, token: str) -> tuple[int, tuple[str, ...]]:
    import httpx

    answer = httpx.get(f"{base}/w/{token}", timeout=120)
    names = tuple(p["name"] for p in answer.json()["partners"]) if answer.status_code == 200 else ()
    return answer.status_code, names


def changes(
    base: str,
    key: str,
    env: dict[str, str],
    theme: str,
    tokens: list[str],
    probe_token: str,
    slugs_of: Mapping[str, Sequence[str]],
) -> dict[str, Any]:
    """Writes while a probe polls: a rule change and a new member (API), a pause (CLI).
    ``slugs_of``: the slugs of the members of each name."""
    import httpx

    auth = {"Authorization": f"Bearer {key}"}
    found: dict[str, Any] = {}
    with (
        Probe(f"{base}/w/{probe_token}") as probe,
        httpx.Client(base_url=base, headers=auth, timeout=300) as api,
    ):
        time.sleep(1)
        start = time.monotonic()
        api.put(
            f"/api/v1/themes/{theme}/rules", json={"strategy": "round-robin"}
        ).raise_for_status()
        found["rule change (API) s"] = round(time.monotonic() - start, 2)
        start = time.monotonic()
        new = {"slug": "neu-im-bench", "name": "Neu", "website": "https://neu.example/"}
        api.post("/api/v1/members", json={**new, "themes": [theme]}).raise_for_status()
        found["member create (API) s"] = round(time.monotonic() - start, 2)
        # Another process pauses a partner that m0's block shows: until it is gone from it.
        # The generator's names repeat (as real ones do): every member of the shown
        # name is paused, the one with the fewest namesakes taken.
        status, names = block_of(base, tokens[0])
        if not names:
            raise RuntimeError(f"m0's block shows no partner to pause (status {status})")
        slugs = {**slugs_of, new["name"]: [new["slug"]]}  # the new member may be shown
        shown = sorted(names, key=lambda n: len(slugs[n]))
        partners = slugs[shown[0]]
        for partner in partners:
            cli(env, "member", "pause", partner)
        start = time.monotonic()
        served = None
        while time.monotonic() - start < 60:
            if shown[0] not in block_of(base, tokens[0])[1]:
                served = round(time.monotonic() - start, 2)
                break
            time.sleep(0.05)
        found["change served after s"] = served
        for partner in partners:
            cli(env, "member", "activate", partner)
        time.sleep(1)
    found["longest stall while writing ms"] = probe.longest_ms
    return found


ADMIN_PAGES = (
    "/admin/",
    "/admin/themes",
    "/admin/members",
    "/admin/members?q=b%C3%A4ckerei%20m%C3%B6ller",  # "bäckerei möller"
    "/admin/stats",
    "/admin/categories",
    "/admin/mail/report",
    "/admin/themes/{theme}/simulate?run=1&days=60",
)


def admin_pages(base: str, theme: str, probe_token: str) -> dict[str, dict[str, float]]:
    """Each admin page as a coordinator opens it, signed in: its wall time, and the
    probe's longest gap while it loads (the widget's answers meanwhile)."""
    import re

    import httpx

    found: dict[str, dict[str, float]] = {}
    with httpx.Client(base_url=base, timeout=600) as client:
        form = client.get("/admin/login").text
        fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', form))
        fields |= {"username": "koordination", "password": "bench-password-42"}
        if client.post("/admin/login", data=fields).status_code not in (302, 303):
            raise BenchError("the coordinator's login failed")
        for page in ADMIN_PAGES:
            path = page.format(theme=theme)
            with Probe(f"{base}/w/{probe_token}") as probe:
                time.sleep(0.1)
                start = time.monotonic()
                response = client.get(path)
                took = time.monotonic() - start
            # A theme too large for the page's simulator is sent to the command line.
            sent_on = response.status_code == 422 and "widget-server simulate" in response.text
            if not sent_on:
                response.raise_for_status()
            found[path] = {
                "s": round(took, 2),
                "longest probe gap ms": probe.longest_ms,
                "status": response.status_code,
            }
    return found
