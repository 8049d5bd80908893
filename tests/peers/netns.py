"""A ward site's side of the WAN in a network namespace, reached from the host over veth links
that a test can cut.

    with wan_site(links=2) as site:        # two paths: to the primary and the backup DC
        site.host_address(0)               # 10.a.b.1: a collector listens here, on the host
        site.run(argv)                      # argv inside the namespace (the ward's side)
        site.cut(0); ...; site.restore(0)  # link 0 down: a silent WAN outage, no RST

Each link is a veth pair on its own /30 (host side ``.1``, namespace side ``.2``): cutting
one leaves the others, so a ward can lose one data centre and keep the other. Cutting takes
the host side's link down: packets from the ward vanish without an answer (connects time
out), as they do when a real WAN circuit fails. (``tc netem`` would be the other way; this
machine's kernel has no ``sch_netem``.)

Names and addresses derive from the test process's PID, so parallel runs do not collide;
the namespace and its links are deleted on exit, even after a failure.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

_serial = itertools.count()


def ip(*args: str) -> None:
    proc = subprocess.run(["ip", *args], capture_output=True, text=True, check=False,
                          timeout=10)
    if proc.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)}: {proc.stderr.strip()}")


@dataclass(frozen=True)
class WanSite:
    name: str
    links: tuple[str, ...]          # host-side interface names
    subnets: tuple[str, ...]        # "10.a.b" of each /30 (without the last octet)

    def host_address(self, link: int) -> str:
        return f"{self.subnets[link]}.1"

    def site_address(self, link: int) -> str:
        return f"{self.subnets[link]}.2"

    def command(self, argv: Sequence[str]) -> list[str]:
        """``argv`` run inside the namespace (``ip netns exec`` execs it: same PID)."""
        return ["ip", "netns", "exec", self.name, *argv]

    def cut(self, link: int) -> None:
        ip("link", "set", "dev", self.links[link], "down")

    def restore(self, link: int) -> None:
        ip("link", "set", "dev", self.links[link], "up")


def _subnet(n: int, link: int) -> str:
    pid = os.getpid()
    return f"10.{96 + pid % 64}.{(pid // 64 % 16) * 16 + (n % 4) * 4 + link}"


@contextlib.contextmanager
def wan_site(links: int = 1) -> Iterator[WanSite]:
    n = next(_serial)
    name = f"nmsite{os.getpid()}-{n}"
    site = WanSite(name, tuple(f"nm{os.getpid()}x{n}{i}" for i in range(links)),
                   tuple(_subnet(n, i) for i in range(links)))
    ip("netns", "add", name)
    try:
        ip("-n", name, "link", "set", "lo", "up")
        for i, host_side in enumerate(site.links):
            ip("link", "add", host_side, "type", "veth", "peer", "name", f"wan{i}",
               "netns", name)
            ip("addr", "add", f"{site.host_address(i)}/30", "dev", host_side)
            ip("link", "set", host_side, "up")
            ip("-n", name, "addr", "add", f"{site.site_address(i)}/30", "dev", f"wan{i}")
            ip("-n", name, "link", "set", f"wan{i}", "up")
        yield site
    finally:
        for host_side in site.links:
            with contextlib.suppress(RuntimeError):
                ip("link", "del", host_side)
        ip("netns", "del", name)
