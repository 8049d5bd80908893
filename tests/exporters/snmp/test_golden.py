"""Mapping against golden files: a captured walk of the simulated ward router, mapped by netmon,
must print exactly what snmp_exporter 0.21 printed for the same walk (captured by
``golden/capture.py``). No peer runs here: this pins the mapping itself."""

from __future__ import annotations

from pathlib import Path

import pytest

from exporters.exposition import render
from exporters.snmp.config_load import load_snmp_config
from exporters.snmp.mapping import CompiledModule, map_pdus
from exporters.snmp.values import (
    IP_ADDRESS,
    NULL,
    OBJECT_IDENTIFIER,
    OCTET_STRING,
    OPAQUE,
    Oid,
    Value,
    parse_oid,
)
from netmon.commands import netmon_modules_path
from tests.exporters.snmp.compare import differences
from tests.peers.exposition import parse

GOLDEN = Path(__file__).resolve().parent / "golden"
MODULES = ("system", "if_mib", "hr_cpu", "hr_storage", "entity_sensor")


def read_walk(path: Path) -> dict[Oid, tuple[int, Value]]:
    pdus: dict[Oid, tuple[int, Value]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        oid_text, tag_text, hex_value = line.split("|")
        tag, raw = int(tag_text), bytes.fromhex(hex_value)
        value: Value
        if tag in (OCTET_STRING, OPAQUE):
            value = raw
        elif tag in (OBJECT_IDENTIFIER, IP_ADDRESS):
            value = raw.decode()
        elif tag == NULL:
            value = None
        else:
            value = int.from_bytes(raw, "big", signed=True)
        pdus[parse_oid(oid_text)] = (tag, value)
    return pdus


@pytest.fixture(scope="module")
def walk() -> dict[Oid, tuple[int, Value]]:
    return read_walk(GOLDEN / "ward-router.walk")


@pytest.mark.parametrize("module", MODULES)
def test_mapping_matches_snmp_exporter(walk: dict[Oid, tuple[int, Value]], module: str) -> None:
    config = load_snmp_config([netmon_modules_path()])
    compiled = CompiledModule.build(config.modules[module])
    ours = parse(render(map_pdus(compiled, walk)))
    golden = parse((GOLDEN / f"{module}.prom").read_text(encoding="utf-8"))
    assert golden.values, "empty golden file"
    assert differences(ours, golden) == []
