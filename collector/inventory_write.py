"""Write an :class:`~collector.inventory.Inventory` as YAML that :mod:`inventory_load` reads.

One entry per line (flow mappings), strings double-quoted JSON-style (a JSON string is a valid
YAML double-quoted scalar), so every name survives as UTF-8 text exactly, ward codes stay
strings, and a diff of two inventories reads line by line.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from collector.inventory import (
    DEFAULT_DEVICE_AUTH,
    DEFAULT_POLLERS,
    AgentToken,
    Device,
    Inventory,
)

__all__ = ["dump_inventory"]


def _s(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _number(value: float) -> str:
    return repr(float(value))


def dump_inventory(inventory: Inventory, header: str = "") -> str:
    out = [f"# {line}".rstrip() + "\n" for line in header.splitlines()]
    out.append("districts:\n")
    out.extend(f"  - {{code: {_s(d.code)}, name: {_s(d.name)}}}\n" for d in inventory.districts)
    out.append("sites:\n")
    for s in inventory.sites:
        parts = [f"id: {_s(s.id)}", f"name: {_s(s.name)}", f"district: {_s(s.district)}",
                 f"kind: {s.kind}"]
        if s.lat is not None:
            parts.append(f"lat: {_number(s.lat)}")
        if s.lon is not None:
            parts.append(f"lon: {_number(s.lon)}")
        if s.generated:
            parts.append("generated: true")
        out.append(f"  - {{{', '.join(parts)}}}\n")
    out.append("data_centres:\n")
    out.extend(f"  - {{name: {dc.name}, site: {_s(dc.site)}}}\n"
               for dc in inventory.data_centres)
    out.append("agents:\n")
    for a in inventory.agents:
        hashes = ", ".join(_s(h) for h in a.token_sha256)
        expiring = (f", tokens: [{', '.join(_expiring(t) for t in a.expiring)}]"
                    if a.expiring else "")
        out.append(f"  - {{id: {_s(a.id)}, site: {_s(a.site)}, role: {_s(a.role)}, "
                   f"token_sha256: [{hashes}]{expiring}}}\n")
    if inventory.devices:
        out.append("devices:\n")
        out.extend(f"  - {{{_device(d)}}}\n" for d in inventory.devices)
    return "".join(out)


def _expiring(token: AgentToken) -> str:
    """``{sha256: ..., expires: 2027-03-01T00:00:00Z}`` (UTC, whole seconds)."""
    when = datetime.fromtimestamp(token.expires, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"{{sha256: {_s(token.sha256)}, expires: {when}}}"


def _device(d: Device) -> str:
    parts = [f"name: {_s(d.name)}", f"site: {_s(d.site)}", f"role: {_s(d.role)}",
             f"address: {_s(d.address)}", f"modules: [{', '.join(_s(m) for m in d.modules)}]"]
    if d.auth != DEFAULT_DEVICE_AUTH:
        parts.append(f"auth: {_s(d.auth)}")
    parts.append(f"interval: {_number(d.interval)}")
    if d.timeout is not None:
        parts.append(f"timeout: {_number(d.timeout)}")
    if d.retries is not None:
        parts.append(f"retries: {d.retries}")
    if d.pollers != DEFAULT_POLLERS:
        parts.append(f"pollers: [{', '.join(d.pollers)}]")
    return ", ".join(parts)
