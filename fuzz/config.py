"""Fuzz target (b): the config loaders, ``agent.yml``, ``collector.yml`` and the inventory.

The input, read as a file is read (strict UTF-8; anything else is refused before parsing), is
given to each of :func:`agent.config_load.parse_agent_config` (without reading a token file),
:func:`collector.config_load.parse_config` and :func:`collector.inventory_load.parse_inventory`.
One harness for the three: they share the strict YAML helpers (``exporters.snmp.yaml_nodes``)
and a seed of one is a near-miss of the others.

Contract: only :class:`exporters.errors.ConfigError` may escape (the collector and the agent
re-export it); anything else is a bug.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import atheris  # type: ignore[import-untyped]

from fuzz._harness import PACKAGES, fuzz, text

with atheris.instrument_imports(include=PACKAGES):
    from agent.config_load import parse_agent_config
    from collector.config_load import parse_config
    from collector.inventory_load import parse_inventory
    from exporters.errors import ConfigError

#: Relative paths in a fuzzed config (module files, spool, inventory) resolve here: a folder
#: with nothing in it, so a fuzzed path reads nothing of the repository's.
BASE = Path("/nonexistent-netmon-fuzz")


def TestOneInput(data: bytes) -> None:  # noqa: N802 (atheris calls it so)
    doc = text(data)
    if doc is None:
        return
    for parse in (lambda: parse_agent_config(doc, "agent.yml", BASE, read_token_file=False),
                  lambda: parse_config(doc, "collector.yml", BASE),
                  lambda: parse_inventory(doc, "inventory.yml")):
        with contextlib.suppress(ConfigError):
            parse()


if __name__ == "__main__":
    fuzz(TestOneInput)
