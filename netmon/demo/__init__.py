"""``netmon demo``: netmon running on this machine alone, on embedded defaults.

What runs (issue 2's scope; the agent/collector pair joins it with issue 3):

* a simulated ward router, ``hn-bd-phucxa-r1`` of Phường Phúc Xá (snmpsim serving
  ``netmon/demo/data/ward-router-live.snmprec`` on a free loopback port, with growing
  interface counters), stopped by its PID when the demo ends;
* netmon's SNMP exporter polling it every ``--interval`` seconds with netmon's own modules
  (``system``, ``if_mib``, ``hr_cpu``, ``hr_storage``, ``entity_sensor``) and the host
  exporter reading this machine, both under the harness;
* an HTTP endpoint, ``http://127.0.0.1:<port>/metrics``, serving the latest exposition to any
  Prometheus (or ``curl``), and a short summary on stdout after every poll: interface rates,
  sensors, poll cost.

``--once`` polls once, prints the whole exposition, and stops.
"""

from netmon.demo.runner import run

__all__ = ["run"]
