"""Recording which storage methods a page or a job calls, and how.

At 100,000 members a read of a whole table costs seconds, so tests check that a
page or a job never asks for one.  ``record_calls`` wraps methods of the storage
class in use (the app's storage is of the same kind, on both databases).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import pytest

from widget_server.storage import Storage

# (method name, positional arguments, keyword arguments) -> whether to record the call
Counts = Callable[[str, tuple[Any, ...], dict[str, Any]], bool]


def every_call(name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
    return True


def whole_table(name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
    """A call that reads all rows: no argument, no filter, no limit."""
    return not args and not any(v is not None for v in kwargs.values())


def record_calls(
    monkeypatch: pytest.MonkeyPatch,
    storage: Storage,
    names: Iterable[str],
    counts: Counts = every_call,
) -> list[str]:
    """Wrap the methods ``names`` of ``storage``'s class; the names of the calls that
    ``counts`` accepts are appended to the list returned, in the order made."""
    calls: list[str] = []
    kind = type(storage)
    for name in names:
        original = getattr(kind, name)

        async def recorded(
            self: Storage, *args: Any, _original: Any = original, _name: str = name, **kwargs: Any
        ) -> Any:
            if counts(_name, args, kwargs):
                calls.append(_name)
            return await _original(self, *args, **kwargs)

        monkeypatch.setattr(kind, name, recorded)
    return calls
