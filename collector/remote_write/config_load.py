"""Read ``remote_write:`` of collector.yml into a
:class:`~collector.remote_write.config.RemoteWriteConfig` (strictly: unknown keys, bad label
names, impossible numbers are refused with the file, the line and the key)."""

from __future__ import annotations

from pathlib import Path
from typing import Final
from urllib.parse import urlsplit

from yaml.nodes import Node

from collector.inventory import IDENTITY_LABELS
from collector.remote_write.config import Forward, RemoteWriteConfig, SpoolConfig
from exporters.snmp.yaml_nodes import (
    NULL_NODE,
    Where,
    choice,
    entries,
    fields,
    integer,
    is_null,
    seconds_between,
    string,
)
from netmon.wire import LABEL_NAME

__all__ = ["parse_remote_write"]

_KEYS: Final = frozenset({"url", "forward", "timeout", "max_samples_per_send", "retries",
                          "backoff_base", "backoff_max", "replica_label", "external_labels",
                          "headers", "spool"})
_SPOOL: Final = frozenset({"path", "max_bytes"})
#: Set by the protocol itself.
_PROTOCOL_HEADERS: Final = frozenset({"content-type", "content-encoding", "content-length",
                                      "x-prometheus-remote-write-version", "user-agent"})


def _label_name(node: Node, where: Where, key: str, text: str) -> str:
    if not LABEL_NAME.match(text) or text == "__name__":
        raise where.error(node, f"{key}: {text!r} is not a valid label name",
                          "Use letters, digits and '_', not starting with a digit.")
    if text in IDENTITY_LABELS:
        raise where.error(node, f"{key}: {text!r} is an identity label, which every series "
                          "already carries", "Choose another name (for example dc_replica).")
    return text


def _spool(node: Node, where: Where, base: Path | None) -> SpoolConfig:
    at = where.child("spool")
    f = fields(node, at, _SPOOL)
    path = None
    if "path" in f and (text := string(f["path"], at, "path")):
        path = Path(text)
        if not path.is_absolute() and base is not None:
            path = base / path
    max_bytes = SpoolConfig().max_bytes
    if "max_bytes" in f:
        max_bytes = integer(f["max_bytes"], at, "max_bytes", 1024 * 1024, 2**50)
    return SpoolConfig(path, max_bytes)


def parse_remote_write(node: Node, where: Where, base: Path | None) -> RemoteWriteConfig:
    """``node`` is the value of ``remote_write:``; relative paths are relative to ``base``."""
    at = where.child("remote_write")
    f = fields(node, at, _KEYS)
    default = RemoteWriteConfig()
    url = string(f["url"], at, "url") if "url" in f else ""
    if url:
        try:
            parts = urlsplit(url)
        except ValueError:  # "Invalid IPv6 URL": a "[" without its "]" (fuzz/config.py)
            parts = urlsplit("")
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise at.error(f["url"], f"url: {url!r} is not an http(s) URL", "Write the "
                           "store's remote-write endpoint, for example "
                           "http://127.0.0.1:9090/api/v1/write.")
    forward = default.forward
    if "forward" in f:
        forward = Forward(choice(f["forward"], at, "forward",
                                 frozenset(m.value for m in Forward)))
    retries = default.retries
    if "retries" in f and not is_null(f["retries"]):
        retries = integer(f["retries"], at, "retries", 0, 10**9)
    backoff_base = (seconds_between(f["backoff_base"], at, "backoff_base", 0.001, 3600)
                    if "backoff_base" in f else default.backoff_base)
    backoff_max = (seconds_between(f["backoff_max"], at, "backoff_max", 0.001, 86400)
                   if "backoff_max" in f else default.backoff_max)
    if backoff_max < backoff_base:
        raise at.error(f.get("backoff_max", f.get("backoff_base", node)),
                       f"backoff_max ({backoff_max:g}) is below backoff_base "
                       f"({backoff_base:g})", "Make backoff_max at least backoff_base.")
    replica = default.replica_label
    if "replica_label" in f:
        replica = string(f["replica_label"], at, "replica_label")
        if replica:
            _label_name(f["replica_label"], at, "replica_label", replica)
    external: dict[str, str] = {}
    for name, key_node, value in entries(f.get("external_labels", NULL_NODE), at,
                                         "external_labels"):
        _label_name(key_node, at, "external_labels", name)
        if name == replica:
            raise at.error(key_node, f"external_labels: {name!r} is the replica_label",
                           "Set it in one place only.")
        text = string(value, at, name)
        if not text:
            raise at.error(value, f"external_labels: {name} is empty", "Give it a value "
                           "(an empty label is an absent label) or remove it.")
        external[name] = text
    headers: dict[str, str] = {}
    for name, key_node, value in entries(f.get("headers", NULL_NODE), at, "headers"):
        if name.lower() in _PROTOCOL_HEADERS:
            raise at.error(key_node, f"headers: {name} is set by the remote_write protocol",
                           "Remove it.")
        headers[name] = string(value, at, name)
    return RemoteWriteConfig(
        url=url, forward=forward,
        timeout=(seconds_between(f["timeout"], at, "timeout", 0.1, 600) if "timeout" in f
                 else default.timeout),
        max_samples_per_send=(integer(f["max_samples_per_send"], at, "max_samples_per_send",
                                      1, 1_000_000) if "max_samples_per_send" in f
                              else default.max_samples_per_send),
        retries=retries, backoff_base=backoff_base, backoff_max=backoff_max,
        replica_label=replica, external_labels=tuple(sorted(external.items())),
        headers=tuple(headers.items()),
        spool=_spool(f["spool"], at, base) if "spool" in f else default.spool)

