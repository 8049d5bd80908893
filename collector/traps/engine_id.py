"""The collector's SNMP engine ID: the authoritative engine of SNMPv3 informs.

A sender of SNMPv3 *informs* localises its keys with the receiver's engine ID (RFC 3414), so
that ID must not change when the collector restarts: devices that are configured with it
(Cisco's ``snmp-server engineID remote``) would stop being able to send. pysnmp's own default
changes with the process id, so netmon sets its own:

* ``traps.engine_id`` in collector.yml (hex, 5 to 32 octets), or else
* ``80004fb8`` (pysnmp's enterprise number 20408, RFC 3411's "first bit set" form), the
  format octet ``04`` (text, administratively assigned) and ``netmon@<host name>``: stable
  across restarts and distinct between the collectors of both data centres. A host name too
  long for the 27 octets of text keeps its start and a hash of the whole.

The collector logs it at start and exposes it as ``netmon_snmp_trap_engine_info{engine_id}``.
"""

from __future__ import annotations

import hashlib
import platform
from typing import Final

__all__ = ["default_engine_id", "format_engine_id", "parse_engine_id"]

_PREFIX: Final = bytes.fromhex("80004fb8") + b"\x04"
_TEXT_MAX: Final = 27


def default_engine_id(host: str | None = None) -> bytes:
    """``80004fb8 04 "netmon@<host>"`` (see the module's docstring)."""
    node = (host if host is not None else platform.node()).split(".")[0] or "localhost"
    text = f"netmon@{node}".encode()
    if len(text) > _TEXT_MAX:
        digest = hashlib.sha256(node.encode()).hexdigest()[:8].encode()
        text = text[:_TEXT_MAX - 9] + b"~" + digest
    return _PREFIX + text


def parse_engine_id(text: str) -> bytes:
    """Hex (``0x`` and ``:`` separators allowed) to octets; ValueError with the reason."""
    digits = text.strip().lower().removeprefix("0x").replace(":", "")
    try:
        raw = bytes.fromhex(digits)
    except ValueError:
        raise ValueError(f"{text!r} is not hexadecimal") from None
    if not 5 <= len(raw) <= 32:
        raise ValueError(f"an engine ID has 5 to 32 octets, {text!r} has {len(raw)}")
    if raw in (bytes(len(raw)), b"\xff" * len(raw)):
        raise ValueError("an engine ID may not be all zeros or all 'ff'H (RFC 3411)")
    return raw


def format_engine_id(raw: bytes) -> str:
    """As net-snmp's ``-e`` option and Cisco's ``engineID`` commands take it: plain hex."""
    return raw.hex()
