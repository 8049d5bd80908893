"""``netmon demo``: the whole system on this machine, on embedded defaults.

What runs, all on loopback, each stopped by its PID when the demo ends:

* a simulated WAN: ``--wards`` ward routers of Hanoi (default 12, up to 579), each answering
  SNMP with its ward's name and its own traffic (snmpsim; :mod:`netmon.demo.wan`);
* a collector on 127.0.0.1:9750 with the inventory of those wards (and both data centres);
* one agent per ward polling its router (all in one process: :mod:`netmon.demo.ward_agents`)
  and one host agent for this machine, pushing every ``--interval`` seconds.

It prints the URLs to open: the WAN scope (every ward with district and ward labels), one
ward, the data-centre scopes, the service-discovery endpoint, the collector's own metrics.
Its files (inventory, tokens, configs, logs) stay in ``~/.cache/netmon/demo`` so that a second
start reuses them.
"""

from netmon.demo.runner import run

__all__ = ["run"]
