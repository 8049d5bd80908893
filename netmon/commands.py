"""The bodies of the one-shot commands (``snmp``, ``host``) and of ``demo``."""

from __future__ import annotations

import argparse
import asyncio
import sys
from importlib import resources
from pathlib import Path

from exporters.contract import Exporter
from exporters.errors import ConfigError
from exporters.exposition import render
from exporters.harness import all_families, run_exporter


class UsageError(Exception):
    """A command line or configuration mistake; the message says what and how to fix it."""


def netmon_modules_path() -> Path:
    return Path(str(resources.files("exporters.snmp") / "modules" / "netmon.yml"))


def snmp_description() -> str:
    return ("Poll one SNMP target once, as snmp_exporter's /snmp?target=&module=&auth= would, "
            "and print the exposition. Reads snmp_exporter's generated snmp.yml (both the "
            "older and the current layout).")


async def _run_once(exporter: Exporter) -> tuple[bytes, bool]:
    run = await run_exporter(exporter)
    return render(all_families([run])), run.success


def _print(exposition: bytes) -> None:
    sys.stdout.buffer.write(exposition)
    sys.stdout.buffer.flush()


def run_snmp(args: argparse.Namespace) -> int:
    from exporters.snmp.client import Limits, SnmpStack
    from exporters.snmp.config_load import load_snmp_config
    from exporters.snmp.exporter import SnmpExporter, SnmpTargetConfig

    paths = [Path(p) for p in (args.config or [netmon_modules_path()])]
    try:
        config = load_snmp_config(paths)
        target = SnmpTargetConfig(
            target=args.target,
            modules=tuple(m.strip() for m in args.module.split(",") if m.strip()),
            auth=args.auth, timeout=args.timeout,
            limits=Limits(max_varbinds=args.max_varbinds))
    except (ConfigError, OSError) as exc:
        raise UsageError(str(exc)) from exc

    async def main() -> tuple[bytes, bool]:
        stack = SnmpStack()
        try:
            exporter = SnmpExporter(target, config, stack)
            return await _run_once(exporter)
        finally:
            stack.close()

    try:
        exposition, ok = asyncio.run(main())
    except ConfigError as exc:
        raise UsageError(str(exc)) from exc
    _print(exposition)
    return 0 if ok else 1


def run_host(args: argparse.Namespace) -> int:
    from exporters.host import HostConfig, HostExporter

    try:
        exporter = HostExporter(HostConfig(procfs=Path(args.procfs)))
    except ConfigError as exc:
        raise UsageError(str(exc)) from exc
    exposition, ok = asyncio.run(_run_once(exporter))
    _print(exposition)
    return 0 if ok else 1


def run_demo(args: argparse.Namespace) -> int:
    from netmon.demo import run

    if args.wards > 579:
        raise UsageError("--wards: Hanoi's WAN has 579 sites; choose 1 to 579")
    return run(wards=args.wards, interval=args.interval, listen=args.listen,
               duration=args.duration, once=args.once, workdir=args.workdir)
