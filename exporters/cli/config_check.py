"""The config-change check: has the device's running config changed, and when?

The output of the check's command (``show running-config``) is normalised (line endings,
trailing blanks, and the *volatile* lines the mapping's ``ignore_lines`` name: the byte
count, "Last configuration change at", ``ntp clock-period``, which change without anyone
changing the config) and hashed with SHA-256. Two series come out of it, per device:

* ``netmon_cli_config_last_change_timestamp_seconds``: when netmon first saw the current
  config, i.e. the time of the first run whose hash differed from the one before;
* ``netmon_cli_config_changes_total``: how many times this process saw the hash change.
  ``increase(...[10m]) > 0`` is the alert: a counter survives agent restarts (a reset reads
  as no increase), where a timestamp's first value after a restart would look like a change.

Neither the config nor its hash ever reaches a metric, a label or a log line: a hash of a
config whose only unknown is a short password would let anyone who scrapes confirm a guess.

Decision on persistence: the state (hash and timestamp) lives in the process, shared by every
run of the device's exporter; with a ``state_dir`` it is also written to
``<state_dir>/<device>.config.json`` (mode 0600, replaced atomically), so an agent restart
keeps the timestamp of the last real change. Without a state file the first run after a start
has nothing to compare with: its timestamp is that run's time and no change is counted.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from prometheus_client import Metric

__all__ = ["ConfigChangeTracker", "ConfigState", "config_digest", "config_families",
           "normalize_config"]

log = logging.getLogger(__name__)


def normalize_config(text: str, ignore: Iterable[re.Pattern[str]]) -> str:
    """The config without volatile lines, trailing blanks or leading and trailing empty
    lines, with ``\\n`` line endings."""
    patterns = tuple(ignore)
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n")
             .split("\n")]
    kept = [line for line in lines if not any(p.search(line) for p in patterns)]
    return "\n".join(kept).strip("\n")


def config_digest(text: str, ignore: Iterable[re.Pattern[str]]) -> str:
    """SHA-256 (hex) of the normalised config."""
    return hashlib.sha256(normalize_config(text, ignore).encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class ConfigState:
    """What the check says after a run."""

    last_change: float   # Unix seconds
    changes: int         # changes seen by this process


class ConfigChangeTracker:
    """The last hash seen for one device, and when it changed. Thread-safe."""

    def __init__(self, device: str, state_file: Path | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.device = device
        self.state_file = state_file
        self._clock = clock
        self._lock = threading.Lock()
        self._digest = ""
        self._last_change = 0.0
        self._changes = 0
        self._loaded = state_file is None

    def observe(self, digest: str) -> ConfigState:
        """Record this run's hash; returns the state to report."""
        with self._lock:
            if not self._loaded:
                self._load()
            if digest != self._digest:
                now = self._clock()
                if self._digest:
                    self._changes += 1
                    log.info("device config changed device=%s changes=%d", self.device,
                             self._changes)
                self._digest, self._last_change = digest, now
                self._save()
            return ConfigState(self._last_change, self._changes)

    def _load(self) -> None:
        self._loaded = True
        assert self.state_file is not None
        try:
            data = json.loads(self.state_file.read_text(encoding="utf-8"))
            digest, last_change = data["sha256"], float(data["last_change"])
        except FileNotFoundError:
            return
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("config state file unreadable, starting afresh device=%s path=%s "
                        "error=%s", self.device, self.state_file, type(exc).__name__)
            return
        if isinstance(digest, str) and re.fullmatch(r"[0-9a-f]{64}", digest):
            self._digest, self._last_change = digest, last_change

    def _save(self) -> None:
        if self.state_file is None:
            return
        body = json.dumps({"sha256": self._digest, "last_change": self._last_change})
        directory = self.state_file.parent
        try:
            directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{self.state_file.name}.", dir=directory)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as f:
                    f.write(body)
                os.replace(tmp, self.state_file)
            except OSError:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
        except OSError as exc:
            log.warning("cannot write the config state file device=%s path=%s error=%s",
                        self.device, self.state_file, exc.strerror)


def config_families(device: str, state: ConfigState) -> list[Metric]:
    """``netmon_cli_config_{last_change_timestamp_seconds,changes_total}`` of one device."""
    labels = {"device": device}
    last = Metric("netmon_cli_config_last_change_timestamp_seconds",
                  "When netmon first saw the device's current running config (Unix seconds; "
                  "volatile lines ignored).", "gauge")
    last.add_sample(last.name, labels, state.last_change)
    changes = Metric("netmon_cli_config_changes_total",
                     "Changes of the device's running config seen by this process.", "counter")
    changes.add_sample(changes.name, labels, float(state.changes))
    return [last, changes]
