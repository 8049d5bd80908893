"""What a host sub-collector is, and the few helpers the sub-collectors share.

A sub-collector is node_exporter's ``Collector``: one concept per module (cpu, meminfo, ...),
a ``name`` (node_exporter's collector name, the ``collector`` label of
``netmon_host_collector_success``) and a *blocking* ``collect()`` that the
:class:`~exporters.host.exporter.HostExporter` runs in a worker thread, never on the event
loop. ``collect()`` raises when it cannot produce its families; the exporter turns that into
``success 0`` and one log line while the other sub-collectors carry on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from prometheus_client import Metric

from exporters.host.config import compile_pattern

__all__ = ["Collector", "DeviceFilter", "counter", "gauge", "label_text"]


class Collector(Protocol):
    """One node_exporter collector's worth of families."""

    @property
    def name(self) -> str:
        """node_exporter's name for this collector (``cpu``, ``meminfo``, ...)."""
        ...

    def collect(self) -> list[Metric]:
        """Read the source and return fresh families. Blocking: runs in a worker thread."""
        ...


def counter(name: str, documentation: str) -> Metric:
    """A counter family named exactly as node_exporter prints it (``..._total``)."""
    return Metric(name, documentation, "counter")


def gauge(name: str, documentation: str) -> Metric:
    """A gauge family."""
    return Metric(name, documentation, "gauge")


def label_text(raw: str) -> str:
    """A label value from text read with ``surrogateescape``: invalid UTF-8 becomes U+FFFD.

    Paths keep their raw bytes for system calls; only the label must be valid UTF-8, or the
    exposition could not be written at all.
    """
    return raw.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


@dataclass(frozen=True, slots=True)
class DeviceFilter:
    """node_exporter's ``deviceFilter``: ignore what the exclude pattern finds, or what the
    include pattern does not find."""

    exclude: re.Pattern[str] | None = None
    include: re.Pattern[str] | None = None

    @classmethod
    def from_patterns(cls, exclude: str | None, include: str | None) -> DeviceFilter:
        return cls(compile_pattern(exclude), compile_pattern(include))

    def ignored(self, name: str) -> bool:
        if self.exclude is not None and self.exclude.search(name) is not None:
            return True
        return self.include is not None and self.include.search(name) is None
