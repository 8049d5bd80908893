"""Fuzz target (e): a datagram on the collector's trap port, as the receiver handles it
(:meth:`collector.traps.receiver.Receiver.process` without the socket): the version peeked
(:func:`collector.traps.message.peek_version`), a v1/v2c message decoded
(:func:`collector.traps.message.decode_message`), then what the handler does with a
notification that are pure functions: its ``trap`` label, the link event of a
linkDown/linkUp, and the Alertmanager alerts (every trap configured as an alert).

Contract: only :class:`collector.traps.errors.TrapError` may escape; anything else is a bug
(the receiver would count it as ``error`` and log a traceback).
"""

from __future__ import annotations

import atheris  # type: ignore[import-untyped]

from fuzz._harness import PACKAGES, fuzz

with atheris.instrument_imports(include=PACKAGES):
    from collector.traps.alerts import trap_alerts
    from collector.traps.errors import TrapError
    from collector.traps.links import link_event
    from collector.traps.message import VERSION_3, decode_message, peek_version
    from collector.traps.metrics import TrapMetrics
    from collector.traps.sources import Origin

METRICS = TrapMetrics("80001f8880netmonfuzz", 100)
ORIGIN = Origin("192.0.2.1", "hn-badinh-phucxa-r1", {"site": "00001"}, "192.0.2.1",
                "Phường Phúc Xá")


def TestOneInput(data: bytes) -> None:  # noqa: N802 (atheris calls it so)
    try:
        if peek_version(data) == VERSION_3:
            return  # pysnmp's (collector.traps.usm): not netmon's decoder
        message = decode_message(data)
    except TrapError:
        return
    notification = message.notification
    trap = METRICS.trap_label(notification.trap_oid)
    link = link_event(notification)
    trap_alerts(trap, notification, ORIGIN, link, {trap: "warning", "linkDown": "critical"},
                1_795_779_005.0, 300.0)


if __name__ == "__main__":
    fuzz(TestOneInput)
