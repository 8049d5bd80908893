"""Run a probe exporter once in this process and print its exposition.

    python -m tests.exporters.probe.run_once '{"count": 5, "targets": [...]}'

The argument is the ``probes:`` section as JSON, read with
:func:`exporters.probe.probe_config_from_mapping`. The probe tests start this inside a
namespace (``ip netns exec``) and without ``CAP_NET_RAW`` (``setpriv --bounding-set
-net_raw``), to see what an agent without privileges does; it prints the Prometheus text
exposition of the run on stdout and the exporter's log on stderr.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys

from exporters.exposition import render
from exporters.probe import ProbeExporter, probe_config_from_mapping


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(levelname)s %(name)s %(message)s")
    config = probe_config_from_mapping(json.loads(argv[0]), "argv")
    families = asyncio.run(ProbeExporter(config).collect())
    sys.stdout.buffer.write(render(families))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
