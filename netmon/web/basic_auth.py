"""HTTP basic auth against bcrypt hashes, as exporter-toolkit checks it, without blocking.

bcrypt is slow on purpose (a cost-10 check is some 50-100 ms of CPU), so a check never runs
on the event loop: it runs in a worker thread (the bcrypt library releases the GIL), one at a
time (exporter-toolkit's ``bcryptMtx``), so a flood of wrong passwords costs at most one core
and never the loop. Results are cached, as exporter-toolkit does, keyed by a SHA-256 of the
user, the stored hash and the password (the password itself is never kept): Prometheus
scraping every 15 s pays bcrypt once. Failures are cached too (a guesser repeating one
password costs nothing) in a cache bounded to :data:`CACHE_SIZE` entries, emptied when full.
An unknown user is checked against a fixed hash, so the answer's timing does not tell which
users exist.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
from collections.abc import Iterable
from typing import Final

import bcrypt

from exporters.secrets import Secret

__all__ = ["CACHE_SIZE", "BasicAuth", "parse_authorization"]

CACHE_SIZE: Final = 1024
#: bcrypt of a password nobody has (exporter-toolkit checks unknown users against one too).
_DECOY: Final = b"$2b$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi"


def parse_authorization(header: str | None) -> tuple[str, str] | None:
    """``Authorization: Basic base64(user:password)`` -> (user, password); None otherwise."""
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, sep, password = decoded.partition(":")
    return (user, password) if sep else None


class BasicAuth:
    """The users of a web config and a cache of checks already made."""

    def __init__(self, users: Iterable[tuple[str, Secret]]) -> None:
        self._users = {user: hashed.reveal().encode() for user, hashed in users}
        self._cache: dict[bytes, bool] = {}
        self._lock = asyncio.Lock()
        #: bcrypt checks actually run (the rest came from the cache).
        self.checks = 0

    def __bool__(self) -> bool:
        return bool(self._users)

    async def check(self, user: str, password: str) -> bool:
        known = user in self._users
        hashed = self._users.get(user, _DECOY)
        key = hashlib.sha256(b"\0".join((user.encode(), hashed, password.encode()))).digest()
        cached = self._cache.get(key)
        if cached is None:
            async with self._lock:
                cached = self._cache.get(key)
                if cached is None:
                    self.checks += 1
                    cached = await asyncio.to_thread(_bcrypt_ok, password.encode(), hashed)
                    if len(self._cache) >= CACHE_SIZE:
                        self._cache.clear()
                    self._cache[key] = cached
        return cached and known


def _bcrypt_ok(password: bytes, hashed: bytes) -> bool:
    try:
        return bool(bcrypt.checkpw(password, hashed))
    except ValueError:   # a malformed hash (the loader checks their form), a NUL byte
        return False
