"""The listening socket of ``serve`` and ``demo`` (``cli.server.bind``): its connections
send without Nagle's delay on either event loop."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable

import pytest
import uvloop

from widget_server.cli.server import bind

LOOPS: dict[str, Callable[[], asyncio.AbstractEventLoop]] = {
    "asyncio": asyncio.new_event_loop,  # where uvloop is not installed (Windows)
    "uvloop": uvloop.new_event_loop,
}


@pytest.mark.parametrize("make_loop", LOOPS.values(), ids=LOOPS.keys())
def test_connections_send_without_nagles_delay(
    make_loop: Callable[[], asyncio.AbstractEventLoop],
) -> None:
    """An answer goes out as two writes (head, body); with Nagle's algorithm on, the body
    waits for the client's delayed acknowledgement of the head: ~40 ms a request on
    a kept-alive connection, which asyncio's own loop had on every one."""
    loop = make_loop()
    found: list[int] = []

    class Server(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            conn = transport.get_extra_info("socket")
            found.append(conn.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            transport.close()

    async def connect() -> None:
        listener = bind("127.0.0.1", 0)
        server = await loop.create_server(Server, sock=listener)
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", listener.getsockname()[1])
            assert await reader.read() == b""  # the server saw the connection and closed it
            writer.close()
        finally:
            server.close()
            await server.wait_closed()

    try:
        loop.run_until_complete(connect())
    finally:
        loop.close()
    assert found == [1]
