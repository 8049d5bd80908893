"""Who sent a trap: the sender's address mapped to an agent of the inventory.

The inventory knows agents and sites, not router addresses, so ``traps.sources`` maps each
sender's address to an agent id; the trap then carries that agent's identity labels
(``agent``, ``site``, ``district``, ``ward``, ``role``, ``dc``), as its series do, and a
linkDown/linkUp edits that agent's ``ifOperStatus`` series.

* The address looked up first is the one the notification *says* it is from
  (``snmpTrapAddress.0``: an SNMPv1 agent-addr, or a relay's note), when it is in the
  mapping; then the datagram's source address. IPv4-mapped IPv6 addresses count as IPv4.
* The ``source`` label is the address that matched. A sender that is not in the mapping is
  unknown: no identity labels, and its address as ``source`` for the first
  ``max_unknown_sources`` distinct unknown senders, ``"other"`` for any after them, so an
  unknown (or spoofing) sender cannot create series without bound.
* An agent id in the mapping that the inventory does not know (any more) is logged once and
  treated as unknown; the inventory is read at each trap, so reloads are followed.
* **Devices the collectors poll** (the inventory's ``devices:``) map themselves: the host of
  a device's ``address``, when it is an IP address that no other device shares, is that
  device's source (its name is its agent id, and every series it has is its own, so no
  ``instance``). ``traps.sources`` wins where both name an address. Not mapped, and logged
  once per inventory: a device addressed by a DNS name (it would have to be resolved at
  each trap, or at each reload, and a name can stand for several routers), and devices
  sharing one host (several ports behind one address: which one sent the trap is unknown).
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Final

from collector.inventory import Device, Identity, Inventory
from collector.traps.config import Source
from exporters.errors import ConfigError
from exporters.snmp.client import Target

log = logging.getLogger(__name__)

__all__ = ["OTHER", "Origin", "Sources", "device_sources", "normalise_address"]

OTHER: Final = "other"
_NO_IDENTITY: Final = {"agent": "", "dc": "", "district": "", "role": "", "site": "",
                       "ward": ""}


@dataclass(frozen=True, slots=True)
class Origin:
    source: str                            # the `source` label
    agent: str = ""                        # "" when the sender is unknown
    labels: Mapping[str, str] = field(default_factory=lambda: _NO_IDENTITY)
    instance: str = ""                     # only series with this instance label ("" any)
    site_name: str = ""                    # for people (log lines, alert text)


def normalise_address(text: str) -> str:
    """An address as the mapping keys it (``::ffff:10.0.0.1`` is ``10.0.0.1``)."""
    try:
        ip = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return text
    mapped = ip.ipv4_mapped if isinstance(ip, ipaddress.IPv6Address) else None
    return str(mapped or ip)


def device_sources(devices: Iterable[Device]) -> tuple[dict[str, Source], list[str]]:
    """The polled devices as trap sources: address -> device (its name as the agent), and
    why the others are not mapped (one line each, for the log)."""
    hosts: dict[str, list[str]] = {}
    skipped = []
    for device in devices:
        try:
            host = Target.parse(device.address).host
            key = normalise_address(str(ipaddress.ip_address(host)))
        except (ConfigError, ValueError):
            skipped.append(f"device={device.name} address={device.address}: not an IP address "
                           "(name it in traps.sources)")
            continue
        hosts.setdefault(key, []).append(device.name)
    mapped = {}
    for host, names in hosts.items():
        if len(names) == 1:
            mapped[host] = Source(names[0])
        else:
            skipped.append(f"devices={','.join(names)} share the address {host} (name the "
                           "one that sends traps in traps.sources)")
    return mapped, skipped


class Sources:
    def __init__(self, sources: tuple[tuple[str, Source], ...], max_unknown: int) -> None:
        self.by_address: dict[str, Source] = dict(sources)
        self.max_unknown = max_unknown
        self._unknown: set[str] = set()
        self._warned: set[str] = set()
        self._devices: tuple[Inventory | None, Mapping[str, Source]] = (None, {})

    def devices_of(self, inventory: Inventory | None) -> Mapping[str, Source]:
        """:func:`device_sources` of ``inventory``, computed once per inventory (a reload
        brings a new one)."""
        if inventory is None:
            return {}
        if self._devices[0] is not inventory:
            mapped, skipped = device_sources(inventory.devices)
            for why in skipped:
                log.info("polled device not mapped as a trap source: %s", why)
            self._devices = (inventory, mapped)
        return self._devices[1]

    def resolve(self, address: str, agent_address: str | None,
                identities: Mapping[str, Identity],
                devices: Mapping[str, Source] | None = None) -> Origin:
        """``address``: the datagram's source; ``agent_address``: what the trap says;
        ``devices``: the polled devices' addresses (:meth:`devices_of`)."""
        address = normalise_address(address)
        candidates = (address,) if agent_address is None else (
            normalise_address(agent_address), address)
        for candidate in candidates:
            source = self.by_address.get(candidate)
            if source is None and devices:
                source = devices.get(candidate)
            if source is None:
                continue
            identity = identities.get(source.agent)
            if identity is None:
                if source.agent not in self._warned:
                    self._warned.add(source.agent)
                    log.warning("traps.sources names an agent the inventory does not have: "
                                "its traps count as unknown source=%s agent=%s", candidate,
                                source.agent)
                return Origin(candidate)
            return Origin(candidate, source.agent, identity.labels(), source.instance,
                          identity.ward or identity.site)
        return Origin(self._unknown_label(address))

    def _unknown_label(self, address: str) -> str:
        if address in self._unknown:
            return address
        if len(self._unknown) < self.max_unknown:
            self._unknown.add(address)
            return address
        return OTHER
