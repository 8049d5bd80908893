"""A device in memory behind the SnmpSession protocol, for the cache's tests: it counts the
requests and values a poll costs."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from exporters.snmp.transport import RequestStats
from exporters.snmp.values import Oid, Value, VarBind, parse_oid
from tests.peers.snmp import WARD_ROUTER

SYS_UPTIME = parse_oid("1.3.6.1.2.1.1.3.0")
IF_TABLE_LAST_CHANGE = parse_oid("1.3.6.1.2.1.31.1.5.0")


def ward_router_values() -> dict[Oid, tuple[int, Value]]:
    """The simulated ward router's static values, as netmon's decoder gives them."""
    out: dict[Oid, tuple[int, Value]] = {}
    for line in WARD_ROUTER.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        oid, tag, text = line.split("|", 2)
        if tag == "4x":
            out[parse_oid(oid)] = (4, bytes.fromhex(text))
        elif tag == "4":
            out[parse_oid(oid)] = (4, text.encode())
        elif tag in ("6", "64"):
            out[parse_oid(oid)] = (int(tag), text)
        else:
            out[parse_oid(oid)] = (int(tag), int(text))
    return out


@dataclass
class FakeSession:
    """get/walk over ``values`` with GETBULK arithmetic: a walk of ``n`` values costs
    ``ceil((n + 1) / 25)`` requests, as a walk that ends on the next column does."""

    values: dict[Oid, tuple[int, Value]]
    stats: RequestStats = field(default_factory=RequestStats)
    returned: int = 0

    async def get(self, oids: Sequence[Oid]) -> list[VarBind]:
        self.stats.sent += 1
        out = [(oid, *self.values[oid]) for oid in oids if oid in self.values]
        self.returned += len(out)
        return out

    async def walk(self, root: Oid) -> list[VarBind]:
        out = [(oid, tag, value) for oid, (tag, value) in sorted(self.values.items())
               if oid[:len(root)] == root]
        self.stats.sent += max(1, math.ceil((len(out) + 1) / 25))
        self.returned += len(out)
        return out
