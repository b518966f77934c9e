"""Deterministic randomness: every "random" choice comes from a keyed hash.

Never ``random()`` or Python's ``hash()``: every server process must return the
same block for the same inputs, and a selection must be replayable.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from typing import Any

_SEP = b"\x1f"  # unit separator: ("a", "bc") and ("ab", "c") hash differently


def _message(parts: Iterable[object]) -> bytes:
    # Joined as text, then encoded once: the same bytes as encoding each part and
    # joining with _SEP (UTF-8 encodes character by character, and "\x1f" is one byte).
    return "\x1f".join(map(str, parts)).encode("utf-8", "surrogatepass")


@lru_cache(maxsize=64)
def _keyed(key: bytes) -> Callable[[], Any]:
    """A copier of BLAKE2b's state after the key block.  A keyed digest first
    compresses the key padded to a whole block; for the short messages hashed here
    that is half the work, so it is done once per key and copied per message (the
    same digests: BLAKE2b is incremental)."""
    return hashlib.blake2b(key=key[:64], digest_size=8).copy


def keyed_hash(key: bytes, *parts: object) -> int:
    """A 64-bit integer from BLAKE2b keyed with ``key`` over ``parts``."""
    h = _keyed(key)()
    h.update("\x1f".join(map(str, parts)).encode("utf-8", "surrogatepass"))
    return int.from_bytes(h.digest(), "big")


def keyed_unit(key: bytes, *parts: object) -> float:
    """A number in [0, 1) from the keyed hash; uniform for a secret key."""
    return (keyed_hash(key, *parts) >> 11) / 2**53  # 53 bits: exact in a float, never 1.0


def keyed_hash_and_unit(
    key: bytes, hash_tag: str, unit_tag: str, *parts: object
) -> tuple[int, float]:
    """``(keyed_hash(key, hash_tag, *parts), keyed_unit(key, unit_tag, *parts))``: two
    messages that differ only in their first part (a draw's walk and its start), with
    the rest joined once and the key's state fetched once.  The same bytes as
    joining each message whole: ``str`` of a ``str`` is itself, and UTF-8 (with
    surrogatepass) encodes character by character."""
    copy = _keyed(key)
    tail = "".join(["\x1f" + str(p) for p in parts])
    h = copy()
    h.update((hash_tag + tail).encode("utf-8", "surrogatepass"))
    first = int.from_bytes(h.digest(), "big")
    h = copy()
    h.update((unit_tag + tail).encode("utf-8", "surrogatepass"))
    return first, (int.from_bytes(h.digest(), "big") >> 11) / 2**53


def keyed_hashes(
    key: bytes,
    prefix: tuple[object, ...],
    last: Iterable[int],
    encoded: Mapping[int, bytes] | None = None,
) -> dict[int, int]:
    """``{i: keyed_hash(key, *prefix, i)}`` for every ``i`` in ``last``, at a fraction of the cost.

    The key and the common prefix are hashed once; each member then costs a copy
    of that state and one short update (BLAKE2b is incremental, so the digests
    are the same as ``keyed_hash``'s).  ``encoded`` may give ``str(i).encode()``
    made beforehand (a theme's members are hashed for every host).
    """
    state = _keyed(key)()
    if prefix:
        state.update(_message(prefix) + _SEP)
    copy = state.copy
    out = {}
    from_bytes = int.from_bytes
    if encoded is None:
        encoded = {i: str(i).encode() for i in last}
    for i in last:
        h = copy()
        h.update(encoded[i])
        out[i] = from_bytes(h.digest(), "big")
    return out
