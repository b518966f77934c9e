"""The baseline for bench_widget.py: the least a Starlette app can do per request.

Served by the same uvicorn settings as the widget server, it measures what the
machine, uvicorn and Starlette's routing cost on their own.
"""

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route


async def hello(request: Request) -> PlainTextResponse:
    return PlainTextResponse("hello")


app = Starlette(routes=[Route("/hello", hello)])
