"""Fuzz target (d): an SNMP answer from a hostile device, as the poller handles it.

The input is one UDP datagram. It goes where the shared socket sends it
(:meth:`exporters.snmp.transport.SnmpTransport._deliver`'s two steps):
:func:`exporters.snmp.ber.decode_header` (to find the waiting request), then
:func:`exporters.snmp.ber.decode_response`; a decoded answer's varbinds are then mapped by
netmon's shipped ``if_mib`` and ``system`` modules (:func:`exporters.snmp.mapping.map_pdus`),
which is what a poll does with them.

Contract: only :class:`exporters.errors.SnmpProtocolError` may escape the decoder; the
mapping may escape nothing (it notes a bad value in its report and goes on).
"""

from __future__ import annotations

import atheris  # type: ignore[import-untyped]

from fuzz._harness import PACKAGES, REPO, fuzz

with atheris.instrument_imports(include=PACKAGES):
    from exporters.errors import SnmpProtocolError
    from exporters.snmp import ber
    from exporters.snmp.config_load import load_snmp_config
    from exporters.snmp.mapping import CompiledModule, MappingReport, map_pdus, pdus_by_oid

_CONFIG = load_snmp_config([REPO / "exporters" / "snmp" / "modules" / "netmon.yml"])
MODULES = [CompiledModule.build(_CONFIG.modules[name]) for name in ("if_mib", "system")
           if name in _CONFIG.modules]


def TestOneInput(data: bytes) -> None:  # noqa: N802 (atheris calls it so)
    try:
        header = ber.decode_header(data)
        response = ber.decode_response(data, header)
    except SnmpProtocolError:
        return
    pdus = pdus_by_oid(response.varbinds)
    for module in MODULES:
        map_pdus(module, pdus, MappingReport())


if __name__ == "__main__":
    fuzz(TestOneInput)
