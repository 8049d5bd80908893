"""The demo's processes, for the demo and for the tests that run the whole system: the
collector, the ward agents (one process) and the host agent, started from the demo's files and
stopped by PID when the ``with`` block ends."""

from __future__ import annotations

import contextlib
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

from netmon.demo.processes import Children
from netmon.demo.setup import DemoFiles


class SystemStartError(Exception):
    """The collector did not come up; the message carries the end of its log."""


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1):  # noqa: S310 - loopback, built here
            return True
    except (urllib.error.URLError, OSError):
        return False


@contextlib.contextmanager
def netmon_system(files: DemoFiles, ready_timeout: float = 30.0) -> Iterator[Children]:
    """Start the collector, wait until it is ready, then the agents; yield the children."""
    netmon = [sys.executable, "-m", "netmon", "--log.level=warn"]
    with Children(files.workdir / "logs") as children:
        children.start("collector", [*netmon, "collector", "--config",
                                     str(files.collector_config)])
        deadline = time.monotonic() + ready_timeout
        while not _ready(f"{files.collector_url}/-/ready"):
            if children.dead() or time.monotonic() > deadline:
                raise SystemStartError("the collector did not start:\n"
                                       + "\n".join(children.dead()))
            time.sleep(0.2)
        children.start("ward-agents", [sys.executable, "-m", "netmon.demo.ward_agents",
                                       *(str(w.config) for w in files.ward_agents)])
        children.start("host-agent", [*netmon, "agent", "--config", str(files.host_agent)])
        yield children
