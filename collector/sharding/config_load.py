"""Read the ``sharding:`` section of ``collector.yml`` (see :mod:`collector.sharding.config`),
strictly: unknown keys, a ``self`` that is not a member, two members with one name or one URL
are refused with file, line and key."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final
from urllib.parse import urlsplit

from yaml.nodes import Node

from collector.sharding.config import Member, ShardingConfig
from exporters.snmp.yaml_nodes import Where, duration, fields, integer, items, string
from netmon.web.client_load import parse_tls_client

__all__ = ["parse_sharding"]

_KEYS: Final = frozenset({"self", "members", "interval", "timeout", "fall", "rise", "tls"})
_MEMBER: Final = frozenset({"name", "url"})
_NAME: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")


def _member(node: Node, where: Where) -> Member:
    f = fields(node, where, _MEMBER)
    for key in ("name", "url"):
        if key not in f:
            raise where.error(node, f"a member needs {key}",
                              "Write {name: dc1-collector-a, url: http://10.0.0.11:9750}.")
    name = string(f["name"], where, "name")
    if not _NAME.match(name):
        raise where.error(f["name"], f"name {name!r} is not a member name",
                          "Use letters, digits, '.', '_' and '-' (at most 63).")
    url = string(f["url"], where, "url")
    try:
        parts = urlsplit(url)
    except ValueError:  # "Invalid IPv6 URL": a "[" without its "]" (found by fuzz/config.py)
        parts = urlsplit("")
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query:
        raise where.error(f["url"], f"url {url!r} is not the member's base URL",
                          "Write http(s)://host:port, where the member listens; its "
                          "/-/ready is checked.")
    return Member(name, url.rstrip("/"))


def parse_sharding(node: Node, where: Where, base: Path | None) -> ShardingConfig:
    """``base``: the config file's directory (relative ``tls`` files; None: the current
    directory)."""
    at = where.child("sharding")
    f = fields(node, at, _KEYS)
    d = ShardingConfig()
    members: list[Member] = []
    for i, item in enumerate(items(f["members"], at, "members") if "members" in f else ()):
        member = _member(item, at.child(f"members[{i}]"))
        for other in members:
            if member.name == other.name or member.url == other.url:
                raise at.error(item, f"members[{i}] repeats {other.name!r} ({other.url})",
                               "List each collector once, with its own name and URL.")
        members.append(member)
    me = string(f["self"], at, "self") if "self" in f else ""
    if members and me not in {m.name for m in members}:
        raise at.error(f.get("self", node), f"self {me!r} is not one of the members "
                       f"({', '.join(m.name for m in members)})",
                       "Name this collector in self, as it is named in members.")
    config = ShardingConfig(
        members=tuple(members), self_name=me,
        interval=duration(f["interval"], at, "interval") if "interval" in f else d.interval,
        timeout=duration(f["timeout"], at, "timeout") if "timeout" in f else d.timeout,
        fall=integer(f["fall"], at, "fall", 1, 100) if "fall" in f else d.fall,
        rise=integer(f["rise"], at, "rise", 1, 100) if "rise" in f else d.rise,
        tls=parse_tls_client(f["tls"], at.child("tls"), base or Path()) if "tls" in f else None)
    if config.timeout > config.interval:
        raise at.error(f.get("timeout", node), f"timeout {config.timeout:g}s is longer than "
                       f"interval {config.interval:g}s",
                       "A check must end before the next one starts: shorten the timeout.")
    if config.enabled and len(members) < 2:
        raise at.error(f["members"], f"members lists one collector ({me})",
                       "List every collector of the data centre, or leave sharding out.")
    return config
