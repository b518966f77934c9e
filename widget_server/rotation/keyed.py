"""Deterministic randomness: every "random" choice comes from a keyed hash.

Never ``random()`` or Python's ``hash()``: every server process must return the
same block for the same inputs, and a selection must be replayable.
"""

from __future__ import annotations

import hashlib

_SEP = b"\x1f"  # unit separator: ("a", "bc") and ("ab", "c") hash differently


def keyed_hash(key: bytes, *parts: object) -> int:
    """A 64-bit integer from BLAKE2b keyed with ``key`` over ``parts``."""
    data = _SEP.join(str(p).encode("utf-8", "surrogatepass") for p in parts)
    digest = hashlib.blake2b(data, key=key[:64], digest_size=8).digest()
    return int.from_bytes(digest, "big")


def keyed_unit(key: bytes, *parts: object) -> float:
    """A number in [0, 1) from the keyed hash; uniform for a secret key."""
    return (keyed_hash(key, *parts) >> 11) / 2**53  # 53 bits: exact in a float, never 1.0
