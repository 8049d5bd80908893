"""Fuzz target (c): an ``snmp.yml`` module file (snmp_exporter's format, current and legacy
layouts), through :func:`exporters.snmp.config_load.parse_snmp_config` and then
:meth:`exporters.snmp.mapping.CompiledModule.build` for each module it defines (the loader
accepts a module only if it compiles, and the poller compiles every one it uses).

Contract: only :class:`exporters.errors.ConfigError` may escape.
"""

from __future__ import annotations

import atheris  # type: ignore[import-untyped]

from fuzz._harness import PACKAGES, fuzz, text

with atheris.instrument_imports(include=PACKAGES):
    from exporters.errors import ConfigError
    from exporters.snmp.config_load import parse_snmp_config
    from exporters.snmp.mapping import CompiledModule


def TestOneInput(data: bytes) -> None:  # noqa: N802 (atheris calls it so)
    doc = text(data)
    if doc is None:
        return
    try:
        config = parse_snmp_config(doc, "snmp.yml")
    except ConfigError:
        return
    for module in config.modules.values():
        CompiledModule.build(module)


if __name__ == "__main__":
    fuzz(TestOneInput)
