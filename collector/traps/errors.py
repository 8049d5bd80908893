"""Exceptions of the trap receiver.

    TrapError                    a datagram the receiver refuses; ``reason`` is its label in
    |                            ``netmon_snmp_traps_rejected_total``
    +-- MalformedMessage         not a valid SNMP message (bad BER, impossible lengths, a
    |                            truncated datagram): reason ``malformed``
    +-- UnsupportedMessage       a valid SNMP message that is not a notification (a GetRequest
                                 sent to the trap port) or of an unknown version: reason
                                 ``unsupported``

A configuration mistake is :class:`exporters.errors.ConfigError` (its message names the file,
the line and the key), as everywhere in the collector.
"""

from __future__ import annotations

from typing import ClassVar

__all__ = ["MalformedMessage", "TrapError", "UnsupportedMessage"]


class TrapError(Exception):
    """A datagram refused; :attr:`reason` labels ``netmon_snmp_traps_rejected_total``."""

    reason: ClassVar[str] = "malformed"


class MalformedMessage(TrapError):
    reason = "malformed"


class UnsupportedMessage(TrapError):
    reason = "unsupported"
