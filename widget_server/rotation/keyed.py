"""Deterministic randomness: every "random" choice comes from a keyed hash.

Never ``random()`` or Python's ``hash()``: every server process must return the
same block for the same inputs, and a selection must be replayable.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

_SEP = b"\x1f"  # unit separator: ("a", "bc") and ("ab", "c") hash differently


def _message(parts: Iterable[object]) -> bytes:
    return _SEP.join(str(p).encode("utf-8", "surrogatepass") for p in parts)


def keyed_hash(key: bytes, *parts: object) -> int:
    """A 64-bit integer from BLAKE2b keyed with ``key`` over ``parts``."""
    digest = hashlib.blake2b(_message(parts), key=key[:64], digest_size=8).digest()
    return int.from_bytes(digest, "big")


def keyed_unit(key: bytes, *parts: object) -> float:
    """A number in [0, 1) from the keyed hash; uniform for a secret key."""
    return (keyed_hash(key, *parts) >> 11) / 2**53  # 53 bits: exact in a float, never 1.0


def keyed_hashes(key: bytes, prefix: tuple[object, ...], last: Iterable[int]) -> dict[int, int]:
    """``{i: keyed_hash(key, *prefix, i)}`` for every ``i`` in ``last``, at a fraction of the cost.

    The key and the common prefix are hashed once; each member then costs a copy
    of that state and one short update (BLAKE2b is incremental, so the digests
    are the same as ``keyed_hash``'s).
    """
    head = _message(prefix) + _SEP if prefix else b""
    state = hashlib.blake2b(head, key=key[:64], digest_size=8)
    out = {}
    from_bytes = int.from_bytes
    for i in last:
        h = state.copy()
        h.update(str(i).encode())
        out[i] = from_bytes(h.digest(), "big")
    return out
