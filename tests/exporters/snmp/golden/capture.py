"""Regenerate the golden files: a captured walk of the simulated ward router and what
Debian's snmp_exporter 0.21 prints for it, per module of netmon's module file.

    python tests/exporters/snmp/golden/capture.py

``ward-router.walk`` holds every varbind netmon read (``oid|tag|hex value``); ``<module>.prom``
holds snmp_exporter's exposition for the same device and module (its self-metrics removed).
test_golden.py maps the walk with netmon and must print exactly the ``.prom`` series.
"""

from __future__ import annotations

import asyncio
import dataclasses
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[4]
sys.path.insert(0, str(ROOT))

from exporters.secrets import Secret  # noqa: E402
from exporters.snmp.client import SnmpStack, Target  # noqa: E402
from exporters.snmp.config import Auth  # noqa: E402
from exporters.snmp.config_load import load_snmp_config  # noqa: E402
from exporters.snmp.legacy_layout import to_legacy_layout  # noqa: E402
from exporters.snmp.scrape import scrape_module  # noqa: E402
from exporters.snmp.values import VarBind, format_oid  # noqa: E402
from netmon.commands import netmon_modules_path  # noqa: E402
from tests.peers.snmp import snmpsim_agent  # noqa: E402
from tests.peers.snmp_exporter import scrape, snmp_exporter  # noqa: E402

HERE = Path(__file__).resolve().parent
MODULES = ("system", "if_mib", "hr_cpu", "hr_storage", "entity_sensor")


def encode(varbind: VarBind) -> str:
    oid, tag, value = varbind
    if value is None:
        raw = b""
    elif isinstance(value, bytes):
        raw = value
    elif isinstance(value, int):
        raw = value.to_bytes(max(1, (value.bit_length() + 8) // 8), "big", signed=True)
    else:
        raw = str(value).encode()
    return f"{format_oid(oid)}|{tag}|{raw.hex()}"


async def walk(target: str, community: str) -> list[VarBind]:
    config = load_snmp_config([netmon_modules_path()])
    auth = Auth("golden", community=Secret(community))
    stack = SnmpStack()
    out: list[VarBind] = []
    try:
        for name in MODULES:
            module = config.modules[name]
            session = await stack.session(Target.parse(target), auth, module.walk_params)
            out.extend((await scrape_module(session, module)).varbinds)
    finally:
        stack.close()
    return out


def _metric_name(line: str) -> str:
    if line.startswith("#"):
        return line.split(" ")[2]
    return line.split("{", maxsplit=1)[0].split(" ", maxsplit=1)[0]


def main() -> None:
    config = load_snmp_config([netmon_modules_path()])
    with snmpsim_agent() as agent, tempfile.TemporaryDirectory() as tmp:
        varbinds = asyncio.run(walk(agent.target, agent.community))
        lines = sorted({encode(vb) for vb in varbinds})
        (HERE / "ward-router.walk").write_text("\n".join(lines) + "\n", encoding="utf-8")
        auth = Auth("golden", community=Secret(agent.community))
        legacy = dataclasses.replace(config, auths={**config.auths, "golden": auth})
        config_file = Path(tmp, "snmp.yml")
        config_file.write_text(to_legacy_layout(legacy, "golden", list(MODULES)), "utf-8")
        with snmp_exporter(config_file) as peer:
            for name in MODULES:
                text = scrape(peer.port, agent.target, name)
                kept = [line for line in text.splitlines(keepends=True)
                        if not _metric_name(line).startswith("snmp_")]
                (HERE / f"{name}.prom").write_text("".join(kept), encoding="utf-8")
    print(f"wrote ward-router.walk ({len(lines)} varbinds) and {len(MODULES)} .prom files")


if __name__ == "__main__":
    main()
