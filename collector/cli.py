"""``netmon collector``: run a collector, or check its config and inventory.

    netmon collector --config collector.yml [--listen HOST:PORT] [--inventory FILE]
                     [--web.config.file web-config.yml]
    netmon collector --config collector.yml --check-config

``--web.config.file`` is the flag node_exporter and snmp_exporter take, reading the same
exporter-toolkit file (TLS, mutual TLS, basic auth: :mod:`netmon.web`); it is a flag and not
a key of collector.yml so that one file, deployed once, serves every Prometheus-style program
on the host. ``--check-config`` checks it too (and loads its certificates).

Exit status: 0 after a clean stop (SIGTERM, Ctrl-C) or a good check; 1 when the address
cannot be bound; 2 for a config or inventory error, with a message on stderr saying where.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collector.config import CollectorConfig

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, default=None, metavar="FILE",
                        help="collector.yml (default: built-in defaults; then --inventory is "
                             "needed)")
    parser.add_argument("--listen", default=None, metavar="HOST:PORT",
                        help="address to serve on, overriding the config (default "
                             "127.0.0.1:9750)")
    parser.add_argument("--inventory", type=Path, default=None, metavar="FILE",
                        help="inventory file, overriding the config")
    parser.add_argument("--web.config.file", dest="web_config_file", type=Path, default=None,
                        metavar="FILE",
                        help="exporter-toolkit web config: TLS, mutual TLS and basic auth "
                             "for every route (as node_exporter's flag)")
    parser.add_argument("--check-config", action="store_true",
                        help="load and validate config and inventory, print a summary, exit")


def run(args: argparse.Namespace) -> int:
    import asyncio

    from collector.config_load import ConfigSource
    from collector.errors import ConfigError

    source = ConfigSource(args.config, args.listen, args.inventory)
    try:
        config = source.load()
        web_config = None
        if args.web_config_file is not None:
            from netmon.web.config_load import load_web_config

            web_config = load_web_config(args.web_config_file)
        if args.check_config:
            if web_config is not None and web_config.tls.enabled:
                from netmon.web.tls import server_context

                server_context(web_config.tls)
            return _check(config)
        from collector.server import serve

        asyncio.run(serve(config, source, web_config))
    except ConfigError as exc:
        print(f"netmon collector: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"netmon collector: cannot serve on {args.listen or 'the configured address'}:"
              f" {exc}", file=sys.stderr)
        return 1
    return 0


def _check(config: CollectorConfig) -> int:
    from collector.errors import ConfigError
    from collector.inventory_load import load_inventory
    from collector.polling.target import check_devices
    from collector.runtime import Runtime
    from exporters.snmp.config_load import load_snmp_config

    assert config.inventory is not None  # ConfigSource.load() guarantees it
    runtime = Runtime.build(config, load_inventory(config.inventory))
    problems = check_devices(runtime.inventory.devices,
                             load_snmp_config(list(config.snmp.module_files())), config.snmp)
    if problems:
        raise ConfigError(f"{config.inventory}: " + "; ".join(problems))
    scopes = ", ".join(f"{n} ({len(ids)} agents)" for n, ids in runtime.scopes.members.items())
    rw = config.remote_write
    forwarding = (f"remote_write {rw.url} (forward {rw.forward.value}, spool "
                  f"{rw.spool.path or 'in memory'})" if rw.enabled else "no remote_write")
    print(f"config OK: listen {config.listen}, dc {config.dc}, inventory {config.inventory} "
          f"({len(runtime.inventory.agents)} agents, {len(runtime.inventory.sites)} sites, "
          f"{len(runtime.inventory.polled_by(config.dc))} devices polled here); "
          f"scopes: {scopes}; {forwarding}")
    return 0
