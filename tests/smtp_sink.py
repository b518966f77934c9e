"""A real SMTP server for the mail tests, run as its own process (aiosmtpd).

``python -m tests.smtp_sink PORT DIRECTORY`` accepts mail on 127.0.0.1:PORT and
writes each message as it arrived (the envelope recipient first) to a file in
DIRECTORY.  Recipients whose local part starts with ``refused`` get a 550, as
a server answers for a mailbox that does not exist.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session


class Sink:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.count = 0

    async def handle_RCPT(  # noqa: N802  (aiosmtpd's hook name)
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        if address.startswith("refused"):
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        self.count += 1
        content = envelope.original_content or b""
        name = f"{self.count:05d}-{id(envelope)}.eml"
        target = self.directory / name
        part = target.with_suffix(".part")
        part.write_bytes(
            ("X-Envelope-To: " + ",".join(envelope.rcpt_tos) + "\r\n").encode() + content
        )
        part.rename(target)  # whole files only: the test reads what has arrived
        return "250 Message accepted"


async def main(port: int, directory: Path) -> None:
    sink = Sink(directory)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(sink, hostname="sink.test", ident="test sink"), "127.0.0.1", port
    )
    print("ready", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), Path(sys.argv[2])))
