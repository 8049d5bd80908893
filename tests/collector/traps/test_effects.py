"""What a trap does, piece by piece (pure or against the store): the link event it carries,
the edit of the stored ifOperStatus, the sender's identity and the bounded labels."""

from __future__ import annotations

import pytest

from collector.inventory import Identity
from collector.traps.config import Source
from collector.traps.links import LinkEvent, link_event
from collector.traps.metrics import TrapMetrics
from collector.traps.names import LINK_DOWN, LINK_UP, OIDS
from collector.traps.notification import SNMP_TRAP_OID, SYS_UPTIME, Kind, Notification
from collector.traps.sources import OTHER, Origin, Sources
from collector.traps.store_edit import set_if_oper_status
from exporters.snmp.values import INTEGER, OBJECT_IDENTIFIER, Oid, VarBind, format_oid
from tests.collector.conftest import Collector
from tests.collector.helpers import AGENT, Pusher, family
from tests.collector.helpers import OTHER as OTHER_AGENT

pytestmark = pytest.mark.traps

IF_ENTRY = (1, 3, 6, 1, 2, 1, 2, 2, 1)


def notification(trap: Oid, *varbinds: VarBind) -> Notification:
    head: list[VarBind] = [(SYS_UPTIME, 0x43, 1),
                           (SNMP_TRAP_OID, OBJECT_IDENTIFIER, format_oid(trap))]
    return Notification("v2c", Kind.TRAP, trap, (*head, *varbinds))


def test_link_events() -> None:
    def column(c: int, index: int, value: int) -> VarBind:
        return (*IF_ENTRY, c, index), INTEGER, value

    assert link_event(notification(LINK_DOWN, column(1, 3, 3), column(8, 3, 7))) == \
        LinkEvent(False, 3, 7)                                  # lowerLayerDown kept
    assert link_event(notification(LINK_UP, column(1, 4, 4))) == LinkEvent(True, 4, 1)
    assert link_event(notification(LINK_DOWN, column(7, 5, 1))) == LinkEvent(False, 5, 2)
    assert link_event(notification(LINK_DOWN, column(8, 6, 99))) == LinkEvent(False, 6, 2)
    assert link_event(notification(LINK_DOWN)) == LinkEvent(False, None, 2)
    assert link_event(notification(OIDS["coldStart"])) is None


def routers() -> list:
    """Two routers polled by one agent, told apart by ``instance``; an ifAlias that looks
    like another label."""
    rows = []
    for instance in ("10.1.2.1", "10.1.2.5"):
        for index, alias in (("1", 'uplink ifIndex="2",'), ("2", "to DC"), ("12", "x")):
            rows.append(({"instance": instance, "ifIndex": index, "ifAlias": alias}, 1))
    return [family("ifOperStatus", "gauge", rows),
            family("ifAdminStatus", "gauge", [(labels, 1) for labels, _ in rows])]


def statuses(text: str, name: str = "ifOperStatus") -> dict[tuple[str, str], float]:
    from tests.peers.exposition import parse
    return {(dict(labels)["instance"], dict(labels)["ifIndex"]): value
            for (n, labels), value in parse(text).values.items() if n == name}


async def test_store_edit(collector: Collector) -> None:
    pusher = Pusher()
    await collector.push(pusher.body(routers()))
    await collector.push(Pusher().body(routers()), agent_id=OTHER_AGENT)
    store = collector.store
    samples = store.samples
    assert set_if_oper_status(store, AGENT, 2, 2, instance="10.1.2.5") == 1
    text = await collector.text(f"/scopes/wan/metrics?agent={AGENT}")
    got = statuses(text)
    assert got[("10.1.2.5", "2")] == 2
    assert {k: v for k, v in got.items() if k != ("10.1.2.5", "2")} == dict.fromkeys(
        [("10.1.2.1", "1"), ("10.1.2.1", "2"), ("10.1.2.1", "12"), ("10.1.2.5", "1"),
         ("10.1.2.5", "12")], 1)
    assert set(statuses(text, "ifAdminStatus").values()) == {1}   # other families untouched
    other = await collector.text(f"/scopes/wan/metrics?agent={OTHER_AGENT}")
    assert set(statuses(other).values()) == {1}                   # other agents untouched
    assert set_if_oper_status(store, AGENT, 2, 7) == 2            # without instance: both
    assert set_if_oper_status(store, AGENT, 3, 2) == 0            # no such interface
    assert set_if_oper_status(store, "no-such-agent", 2, 2) == 0
    assert store.samples == samples
    # The next report replaces the batch whole, edited values included.
    await collector.push(pusher.body(routers()))
    text = await collector.text(f"/scopes/wan/metrics?agent={AGENT}")
    assert set(statuses(text).values()) == {1}


def identities() -> dict[str, Identity]:
    return {AGENT: Identity(AGENT, "00001", "Quận Ba Đình", "Phường Phúc Xá",
                            "ward-router", "", "ward")}


def test_sources() -> None:
    sources = Sources((("10.1.2.1", Source(AGENT, "10.1.2.1")),
                       ("10.9.9.9", Source("removed-agent"))), max_unknown=1)
    known = sources.resolve("::ffff:10.1.2.1", None, identities())
    assert (known.source, known.agent, known.instance) == ("10.1.2.1", AGENT, "10.1.2.1")
    assert known.labels["ward"] == "Phường Phúc Xá" and known.site_name == "Phường Phúc Xá"
    relayed = sources.resolve("192.0.2.7", "10.1.2.1", identities())
    assert relayed.agent == AGENT                    # the trap's own address wins
    claimed = sources.resolve("10.1.2.1", "203.0.113.1", identities())
    assert claimed.agent == AGENT                    # an unmapped claim falls back
    assert sources.resolve("10.9.9.9", None, identities()) == Origin("10.9.9.9")
    assert sources.resolve("192.0.2.1", None, identities()).source == "192.0.2.1"
    assert sources.resolve("192.0.2.2", None, identities()).source == OTHER
    assert sources.resolve("192.0.2.1", None, identities()).source == "192.0.2.1"


def test_trap_labels_are_bounded() -> None:
    metrics = TrapMetrics("80004fb8", max_trap_oids=2)
    assert metrics.trap_label(LINK_DOWN) == "linkDown"
    assert metrics.trap_label((1, 3, 6, 1, 4, 1, 9, 0, 1)) == "1.3.6.1.4.1.9.0.1"
    assert metrics.trap_label((1, 3, 6, 1, 4, 1, 9, 0, 2)) == "1.3.6.1.4.1.9.0.2"
    assert metrics.trap_label((1, 3, 6, 1, 4, 1, 9, 0, 3)) == OTHER
    assert metrics.trap_label((1, 3, 6, 1, 4, 1, 9, 0, 1)) == "1.3.6.1.4.1.9.0.1"
    assert metrics.trap_label(LINK_UP) == "linkUp"                # names are never bounded
