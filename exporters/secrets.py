"""A value that never prints itself: SNMP communities, v3 keys, passwords, tokens.

``str()``, ``repr()`` and f-strings of a :class:`Secret` show ``<redacted>``; only
:meth:`Secret.reveal` gives the value, so a secret reaches a log line, an error message or a
crash trace only by someone writing ``reveal()`` there on purpose.
"""

from __future__ import annotations

import hmac
from typing import Final

_REDACTED: Final = "<redacted>"


class Secret:
    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __repr__(self) -> str:
        return f"Secret({_REDACTED!r})"

    def __str__(self) -> str:
        return _REDACTED

    def __format__(self, spec: str) -> str:
        return _REDACTED

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        return hmac.compare_digest(self._value.encode(), other._value.encode())

    def __hash__(self) -> int:
        return hash(("Secret", self._value))

    def __reduce__(self) -> str | tuple[object, ...]:
        raise TypeError("a Secret is not pickled; pass it explicitly")
