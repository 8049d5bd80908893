"""Where netmon's metrics come from.

Each exporter turns one outside source (the host, an SNMP agent, ...) into Prometheus
metric families. They share one small contract (:mod:`exporters.contract`), run under one
harness that times them and turns failures into metrics (:mod:`exporters.harness`), and are
rendered by one writer of the Prometheus text format (:mod:`exporters.exposition`).

The agent and the collector both run exporters; this package imports neither of them.
"""
