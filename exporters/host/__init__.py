"""The host exporter: node_exporter 1.5's series for the machine the agent runs on.

One module per node_exporter collector (:mod:`~exporters.host.cpu`,
:mod:`~exporters.host.loadavg`, :mod:`~exporters.host.meminfo`,
:mod:`~exporters.host.filesystem`, :mod:`~exporters.host.diskstats`,
:mod:`~exporters.host.netdev`, :mod:`~exporters.host.stat`, :mod:`~exporters.host.clock`,
:mod:`~exporters.host.uname`): ``read_*`` functions do I/O, ``parse_*`` and ``*_families``
functions are pure. :class:`HostConfig` says where ``/proc`` is and what to leave out;
:class:`HostExporter` runs the collectors off the event loop.
"""

from exporters.host.config import HostConfig
from exporters.host.exporter import HostExporter

__all__ = ["HostConfig", "HostExporter"]
