"""Rendezvous (highest random weight) hashing: which member owns a key. Pure.

Each (member, key) pair gets a pseudo-random weight; the key belongs to the member with the
largest one. Removing a member moves only the keys it owned (each to the member with the next
largest weight for that key, so they spread over the survivors); adding it back returns
exactly those keys. The weight is BLAKE2b of the two names, so every collector process (and
every Python, whatever its hash seed) computes the same owners.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping

__all__ = ["assign", "owner", "weight"]


def weight(member: str, key: str) -> int:
    digest = hashlib.blake2b(f"{member}\x00{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def owner(key: str, members: Iterable[str]) -> str | None:
    """The member that owns ``key`` among ``members`` (None when there is none). Ties, which
    need two 64-bit weights to be equal, go to the larger name."""
    return max(members, key=lambda m: (weight(m, key), m), default=None)


def assign(keys: Iterable[str], members: Iterable[str]) -> Mapping[str, str]:
    """Each key's owner; no members: an empty mapping."""
    names = tuple(members)
    if not names:
        return {}
    return {key: owner(key, names) or "" for key in keys}
