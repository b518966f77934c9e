"""For tests of /api/v1: the app's API endpoints, and keys of a coordinator and two members."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.routing import Mount, Route

from widget_server.network.keys import create_key
from widget_server.storage import Storage
from widget_server.web.app import routes


def api_endpoints() -> list[tuple[str, str]]:
    """(method, full path) of every route under /api/v1, as the app declares them."""
    found = []
    for mount in routes:
        if isinstance(mount, Mount) and mount.path == "/api/v1":
            for route in mount.routes:
                assert isinstance(route, Route)
                methods = sorted(route.methods or ())
                found += [(m, mount.path + route.path) for m in methods if m != "HEAD"]
    assert found, "no /api/v1 mount in the app's routes"
    return sorted(found)


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@dataclass(frozen=True)
class Keys:
    coordinator: dict[str, str]
    blumen: dict[str, str]  # the member key of "blumen"
    fotos: dict[str, str]  # the member key of "fotos", another member


async def make_keys(storage: Storage) -> Keys:
    """Keys for the ``network`` fixture's members (request ``network`` first)."""
    _, coordinator = await create_key(storage, "coordinator", "tests")
    _, blumen = await create_key(storage, "member:blumen", "blumen cms")
    _, fotos = await create_key(storage, "member:fotos", "fotos cms")
    return Keys(bearer(coordinator), bearer(blumen), bearer(fotos))
