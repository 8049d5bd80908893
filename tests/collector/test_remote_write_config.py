"""collector.yml's remote_write and late_after_intervals: defaults, every key, mistakes
named with file, line and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from collector.config_load import load_config, parse_config
from collector.errors import ConfigError
from collector.remote_write.config import Forward, RemoteWriteConfig, SpoolConfig


def test_defaults() -> None:
    config = parse_config("", "collector.yml")
    assert config.late_after_intervals == 2
    assert config.remote_write == RemoteWriteConfig() and not config.remote_write.enabled
    assert config.remote_write.forward is Forward.LATE
    assert config.remote_write.constant_labels("backup") == {"dc_replica": "backup"}


def test_every_key(tmp_path: Path) -> None:
    path = tmp_path / "collector.yml"
    path.write_text("""
dc: backup
late_after_intervals: 4
remote_write:
  url: https://mimir.example:9009/api/v1/push
  forward: all
  timeout: 10
  max_samples_per_send: 500
  retries: 20
  backoff_base: 0.1
  backoff_max: 5
  replica_label: __replica__
  external_labels: {job: netmon, cluster: hanoi}
  headers: {X-Scope-OrgID: hanoi}
  spool: {path: spool/rw.sqlite, max_bytes: 2097152}
""", encoding="utf-8")
    config = load_config(path)
    assert config.late_after_intervals == 4
    rw = config.remote_write
    assert rw == RemoteWriteConfig(
        url="https://mimir.example:9009/api/v1/push", forward=Forward.ALL, timeout=10,
        max_samples_per_send=500, retries=20, backoff_base=0.1, backoff_max=5,
        replica_label="__replica__", external_labels=(("cluster", "hanoi"), ("job", "netmon")),
        headers=(("X-Scope-OrgID", "hanoi"),),
        spool=SpoolConfig(tmp_path / "spool" / "rw.sqlite", 2097152))
    assert rw.constant_labels(config.dc) == {"cluster": "hanoi", "job": "netmon",
                                             "__replica__": "backup"}
    none = parse_config("remote_write: {url: 'http://a:1/w', replica_label: '', "
                        "retries: null}\n", "c.yml").remote_write
    assert none.constant_labels("primary") == {} and none.retries is None


@pytest.mark.parametrize(("text", "message"), [
    ("remote_write: {urls: x}\n", "collector.yml:1: remote_write: unknown key 'urls'"),
    ("remote_write: {url: 'ftp://x/y'}\n", "url: 'ftp://x/y' is not an http(s) URL"),
    ("remote_write: {forward: some}\n", "forward 'some' is not one of all, late"),
    ("remote_write:\n  replica_label: dc\n", "collector.yml:2: remote_write: replica_label: "
     "'dc' is an identity label"),
    ("remote_write:\n  external_labels: {1x: a}\n", "'1x' is not a valid label name"),
    ("remote_write:\n  external_labels: {__name__: a}\n", "'__name__' is not a valid label"),
    ("remote_write:\n  external_labels: {dc_replica: a}\n", "'dc_replica' is the "
     "replica_label"),
    ("remote_write:\n  external_labels: {job: ''}\n", "external_labels: job is empty"),
    ("remote_write:\n  headers: {Content-Encoding: gzip}\n", "set by the remote_write "
     "protocol"),
    ("remote_write: {backoff_base: 10, backoff_max: 1}\n", "backoff_max (1) is below"),
    ("remote_write: {timeout: 0}\n", "timeout must be between 0.1 and 600 seconds"),
    ("remote_write:\n  spool: {max_bytes: 10}\n", "collector.yml:2: remote_write, spool: "
     "max_bytes must be between"),
    ("late_after_intervals: 0.5\n", "late_after_intervals must be between 1 and 1000"),
])
def test_mistakes_name_file_line_and_key(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(text, "collector.yml")
    assert message in str(caught.value)
