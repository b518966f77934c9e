"""A real SMTP server process for the mail tests (tests/smtp_sink.py), and reading what arrived."""

from __future__ import annotations

import email
import socket
import subprocess
import sys
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

ROOT = Path(__file__).parents[1]
SENDER = "Partnerkreis Heide <netz@partnerkreis.example>"
PUBLIC_URL = "https://partnerkreis.example"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class SmtpSink:
    """The sink as its own process: started, stopped and started again on one port."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self.process: subprocess.Popen[str] | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}?tls=off"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.smtp_sink", str(self.port), str(self.directory)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        assert self.process.stdout.readline().strip() == "ready"

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            if self.process.stdout is not None:
                self.process.stdout.close()
            self.process = None

    def messages(self) -> list[tuple[str, EmailMessage]]:
        """(envelope recipient, message) of every mail that arrived, in order."""
        found = []
        for path in sorted(self.directory.glob("*.eml")):
            raw = path.read_bytes()
            head, _, rest = raw.partition(b"\r\n")
            rcpt = head.decode().removeprefix("X-Envelope-To: ")
            msg = email.message_from_bytes(rest, policy=default)
            assert isinstance(msg, EmailMessage)
            found.append((rcpt, msg))
        return found
