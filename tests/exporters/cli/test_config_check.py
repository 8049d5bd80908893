"""The running-config hash: volatile lines ignored, the timestamp moving only on a real change,
and its state kept across exporters and (with a state file) across restarts."""

from __future__ import annotations

import json
import logging
import re
import stat
from pathlib import Path

import pytest

from exporters.cli.config_check import (
    ConfigChangeTracker,
    config_digest,
    config_families,
    normalize_config,
)
from tests.exporters.cli.conftest import shipped_mapping
from tests.exporters.cli.fakenos_peer import data


class Clock:
    def __init__(self) -> None:
        self.now = 1_710_000_000.0

    def __call__(self) -> float:
        self.now += 60
        return self.now


def ignore() -> tuple[re.Pattern[str], ...]:
    check = shipped_mapping().config_check
    assert check is not None
    return check.ignore_lines


def test_volatile_lines_do_not_change_the_hash() -> None:
    v1, volatile, v2 = (data(f"running_config_{n}.txt") for n in ("v1", "v1_volatile", "v2"))
    assert config_digest(v1, ignore()) == config_digest(volatile, ignore())
    assert config_digest(v1, ignore()) != config_digest(v2, ignore())
    crlf = v1.replace("\n", "\r\n").replace("hostname hn-bd-phucxa-r1",
                                             "hostname hn-bd-phucxa-r1  ")
    assert config_digest(crlf, ignore()) == config_digest(v1, ignore())


def test_normalized_config_keeps_everything_else() -> None:
    text = normalize_config(data("running_config_v1.txt"), ignore())
    assert text.startswith("!\n!\nversion 17.9")  # the volatile header lines are gone
    assert "ntp clock-period" not in text and "Current configuration" not in text
    assert "ntp server 10.10.0.123" in text and text.endswith("end")


def test_the_timestamp_moves_only_when_the_hash_changes() -> None:
    clock = Clock()
    tracker = ConfigChangeTracker("r1", clock=clock)
    first = tracker.observe("a" * 64)
    assert (first.last_change, first.changes) == (1_710_000_060.0, 0)
    assert tracker.observe("a" * 64) == first
    changed = tracker.observe("b" * 64)
    assert (changed.last_change, changed.changes) == (1_710_000_120.0, 1)
    assert tracker.observe("b" * 64) == changed


def test_state_file_survives_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "state" / "r1.config.json"
    clock = Clock()
    ConfigChangeTracker("r1", path, clock).observe("a" * 64)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    restarted = ConfigChangeTracker("r1", path, clock)
    assert restarted.observe("a" * 64).last_change == 1_710_000_060.0
    later = ConfigChangeTracker("r1", path, clock).observe("c" * 64)
    assert later.last_change > 1_710_000_060.0 and later.changes == 1
    assert json.loads(path.read_text())["sha256"] == "c" * 64


def test_an_unreadable_state_file_starts_afresh(tmp_path: Path,
                                                caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "r1.config.json"
    path.write_text("{not json")
    with caplog.at_level(logging.WARNING):
        state = ConfigChangeTracker("r1", path, Clock()).observe("a" * 64)
    assert state.changes == 0
    assert "device=r1" in caplog.text and "starting afresh" in caplog.text


def test_an_unwritable_state_dir_is_logged_not_fatal(tmp_path: Path,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with caplog.at_level(logging.WARNING):
        state = ConfigChangeTracker("r1", blocker / "r1.config.json", Clock()).observe("a" * 64)
    assert state.changes == 0
    assert "cannot write the config state file device=r1" in caplog.text


def test_families_hold_no_hash() -> None:
    families = config_families("r1", ConfigChangeTracker("r1", clock=Clock()).observe("d" * 64))
    assert {f.name for f in families} == {"netmon_cli_config_last_change_timestamp_seconds",
                                          "netmon_cli_config_changes_total"}
    assert all(s.labels == {"device": "r1"} for f in families for s in f.samples)
