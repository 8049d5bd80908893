"""How netmon's SNMP output is compared with snmp_exporter's."""

from __future__ import annotations

from tests.peers.exposition import Exposition

#: Self-metrics describe each poller's own work; they are compared by name only.
SELF_PREFIXES = ("snmp_", "netmon_")


def differences(netmon: Exposition, peer: Exposition) -> list[str]:
    """Every way netmon's device series differ from the peer's (empty when identical)."""
    def device(exp: Exposition) -> dict:
        return {k: v for k, v in exp.values.items() if not k[0].startswith(SELF_PREFIXES)}

    ours, theirs = device(netmon), device(peer)
    out: list[str] = []
    for key in sorted(theirs.keys() - ours.keys(), key=str)[:20]:
        out.append(f"missing in netmon: {key[0]}{dict(key[1])}")
    for key in sorted(ours.keys() - theirs.keys(), key=str)[:20]:
        out.append(f"only in netmon: {key[0]}{dict(key[1])}")
    for key in sorted(ours.keys() & theirs.keys(), key=str):
        if ours[key] != theirs[key]:
            out.append(f"value of {key[0]}{dict(key[1])}: netmon {ours[key]} "
                       f"snmp_exporter {theirs[key]}")
    for name in sorted({k[0] for k in theirs} & {k[0] for k in ours}):
        if netmon.type_of(name) != peer.type_of(name):
            out.append(f"TYPE of {name}: netmon {netmon.type_of(name)} "
                       f"snmp_exporter {peer.type_of(name)}")
        if netmon.helps.get(name) != peer.helps.get(name):
            out.append(f"HELP of {name} differs: {netmon.helps.get(name)!r} "
                       f"vs {peer.helps.get(name)!r}")
    return out
