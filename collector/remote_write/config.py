"""``remote_write:`` in collector.yml, as one frozen value (loaded by
:mod:`collector.config_load`, which refuses unknown keys with file and line).

    remote_write:
      url: http://127.0.0.1:9090/api/v1/write   # absent or empty: nothing is forwarded
      forward: late                # late | all
      timeout: 30                  # seconds per request
      max_samples_per_send: 2000
      retries: null                # null: until delivered (or pushed out of the spool)
      backoff_base: 0.5            # seconds; full jitter, doubling up to backoff_max
      backoff_max: 30
      replica_label: dc_replica    # its value is the collector's dc; "" for none
      external_labels: {}          # added to every forwarded series that lacks them
      headers: {}                  # sent with every request (X-Scope-OrgID for Mimir)
      spool:
        path: remote-write.sqlite  # relative to collector.yml; "" keeps it in memory
        max_bytes: 1073741824
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

__all__ = ["Forward", "RemoteWriteConfig", "SpoolConfig"]

DEFAULT_REPLICA_LABEL: Final = "dc_replica"


class Forward(enum.Enum):
    """Which batches go to remote_write."""

    LATE = "late"      # only late batches (the scrapes of the scopes carry the rest)
    ALL = "all"        # every batch (a store fed by pushing only, not by scraping)


@dataclass(frozen=True, slots=True)
class SpoolConfig:
    #: SQLite file of pending writes; None: in memory (lost when the collector stops).
    path: Path | None = None
    max_bytes: int = 1024 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class RemoteWriteConfig:
    url: str = ""
    forward: Forward = Forward.LATE
    timeout: float = 30.0
    max_samples_per_send: int = 2000
    retries: int | None = None
    backoff_base: float = 0.5
    backoff_max: float = 30.0
    replica_label: str = DEFAULT_REPLICA_LABEL
    external_labels: tuple[tuple[str, str], ...] = ()
    headers: tuple[tuple[str, str], ...] = ()
    spool: SpoolConfig = field(default_factory=SpoolConfig)

    @property
    def enabled(self) -> bool:
        return bool(self.url)

    def constant_labels(self, dc: str) -> dict[str, str]:
        """The labels added to every forwarded series: replica (= ``dc``) and external."""
        labels = dict(self.external_labels)
        if self.replica_label:
            labels[self.replica_label] = dc
        return labels
