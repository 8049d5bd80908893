"""node_exporter's ``uname`` collector: ``node_uname_info{domainname,machine,nodename,release,
sysname,version} 1``.

``os.uname()`` is the uname(2) system call node_exporter makes, minus one field: Python does
not expose ``domainname``. ``<procfs>/sys/kernel/domainname`` is the same field of the same
UTS namespace (``(none)`` when unset, as uname(2) says).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from prometheus_client import Metric

from exporters.host.collector import gauge, label_text

__all__ = ["Uname", "UnameCollector", "read_uname", "uname_families"]


@dataclass(frozen=True, slots=True)
class Uname:
    sysname: str
    nodename: str
    release: str
    version: str
    machine: str
    domainname: str


class UnameCollector:
    """What kernel, on which machine, under which host name."""

    name = "uname"

    def __init__(self, procfs: str) -> None:
        self._procfs = procfs

    def collect(self) -> list[Metric]:
        return uname_families(read_uname(self._procfs))


def read_uname(procfs: str) -> Uname:
    raw = Path(procfs, "sys", "kernel", "domainname").read_bytes()
    domainname = raw.decode("utf-8", "surrogateescape").rstrip("\n")
    u = os.uname()
    return Uname(sysname=u.sysname, nodename=u.nodename, release=u.release,
                 version=u.version, machine=u.machine, domainname=domainname)


def uname_families(uname: Uname) -> list[Metric]:
    family = gauge("node_uname_info",
                   "Labeled system information as provided by the uname system call.")
    labels = {"domainname": uname.domainname, "machine": uname.machine,
              "nodename": uname.nodename, "release": uname.release,
              "sysname": uname.sysname, "version": uname.version}
    family.add_sample(family.name, {k: label_text(v) for k, v in labels.items()}, 1.0)
    return [family]
