"""Ctrl-C in a command: it stops at once, says so in one line and exits with status 130.
(A close that the cancellation lands in: tests/test_storage_lifecycle.py.)"""

from __future__ import annotations

import json
import os
import pty
import re
import select
import signal
import subprocess
import sys
import time
from pathlib import Path


def test_ctrl_c_during_a_simulation_stops_it_at_once(tmp_path: Path) -> None:
    """At a terminal (the progress counts up there), on one CPU (the strategies run one
    after another in the command's own process, not in worker processes)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WIDGET_")}
    env |= {"WIDGET_DATABASE_URL": f"sqlite:///{tmp_path / 'n.db'}", "WIDGET_LANGUAGE": "en"}
    command = [sys.executable, "-m", "widget_server"]
    members = tmp_path / "members.json"
    members.write_text(
        json.dumps(
            [
                {"slug": f"m{i}", "name": f"Betrieb {i}", "website": f"https://m{i}.example/"}
                | {"themes": ["hochzeit"]}
                for i in range(40)
            ]
        )
    )
    for args in (
        ["init"],
        ["theme", "add", "hochzeit", "--name-de", "Hochzeit"],
        ["member", "import", str(members)],
    ):
        subprocess.run([*command, *args], env=env, check=True, capture_output=True)

    terminal, its_end = pty.openpty()
    proc = subprocess.Popen(
        [*command, "simulate", "hochzeit", "--days", "120"],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=its_end,
        start_new_session=True,  # its own group, as a terminal's foreground job
        preexec_fn=lambda: os.sched_setaffinity(0, {min(os.sched_getaffinity(0))}),
    )
    os.close(its_end)
    said = b""
    hang = time.monotonic() + 600  # against a hang only, never the verdict
    try:
        # Until the progress shows the simulation under way and not yet half done.
        while not any(
            0 < int(done) <= int(total) // 2 for done, total in re.findall(rb"(\d+)/(\d+)", said)
        ):
            assert proc.poll() is None, said.decode()
            assert time.monotonic() < hang, f"no progress in 10 minutes: {said.decode()}"
            if select.select([terminal], [], [], 60)[0]:
                said += os.read(terminal, 4096)
        os.killpg(proc.pid, signal.SIGINT)  # a terminal's Ctrl-C: the whole group
        out, _ = proc.communicate(timeout=120)  # a hang is what this catches
        while select.select([terminal], [], [], 0.5)[0]:
            try:
                chunk = os.read(terminal, 4096)
            except OSError:  # the other end is closed: all read
                break
            if not chunk:
                break
            said += chunk
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        os.close(terminal)
    text = said.decode()
    assert proc.returncode == 130, text
    assert text.rstrip().endswith("widget-server: interrupted"), text
    assert "Traceback" not in text
    assert "done (" not in text and out == b""  # stopped, not run to its end first
