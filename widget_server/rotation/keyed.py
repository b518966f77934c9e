"""Deterministic randomness: every "random" choice comes from a keyed hash.

Never ``random()`` or Python's ``hash()``: every server process must return the
same block for the same inputs, and a selection must be replayable.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping

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
    head = _message(prefix) + _SEP if prefix else b""
    copy = hashlib.blake2b(head, key=key[:64], digest_size=8).copy
    out = {}
    from_bytes = int.from_bytes
    if encoded is None:
        encoded = {i: str(i).encode() for i in last}
    for i in last:
        h = copy()
        h.update(encoded[i])
        out[i] = from_bytes(h.digest(), "big")
    return out
