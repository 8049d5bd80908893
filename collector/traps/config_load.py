"""Read ``traps:`` of collector.yml into a :class:`~collector.traps.config.TrapsConfig`,
strictly: unknown, duplicated or mistyped keys, impossible addresses, engine IDs and
protocols are refused with the file, the line and the key (secrets are never echoed).

Secrets (``communities``, users' ``password`` and ``priv_password``; ``username`` too) may be
written ``${VAR}`` and are then read from the environment; an unset variable is refused with
file:line and its name. When a secret is written inline (other than the community
``public``), collector.yml must not be readable by others: :func:`parse_traps` is given the
file's mode (read by :func:`collector.config_load.load_config` from the same open file as
the text) and refuses it with ``chmod 640 FILE``; a text parsed without a file (tests,
fuzzing) has no mode to check. The rules and why: :mod:`exporters.snmp.secret_fields`.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import re
from typing import Final
from urllib.parse import urlsplit

from yaml.nodes import MappingNode, Node

from collector.traps.config import AlertmanagerConfig, Source, TrapsConfig, V3User
from collector.traps.engine_id import parse_engine_id
from collector.traps.names import OIDS
from exporters.secrets import Secret
from exporters.snmp.config import AUTH_PROTOCOLS, PRIV_PROTOCOLS, SecurityLevel
from exporters.snmp.secret_fields import SecretReader, check_file_mode
from exporters.snmp.values import parse_oid
from exporters.snmp.yaml_nodes import (
    NULL_NODE,
    Where,
    boolean,
    choice,
    entries,
    fields,
    integer,
    items,
    seconds_between,
    string,
)

__all__ = ["parse_traps"]

_KEYS: Final = frozenset({"enabled", "listen", "communities", "engine_id", "users", "sources",
                          "max_unknown_sources", "max_trap_oids", "queue", "alertmanager"})
_USER: Final = frozenset({"username", "security_level", "auth_protocol", "password",
                          "priv_protocol", "priv_password", "engine_ids"})
_SOURCE: Final = frozenset({"agent", "instance"})
_ALERTMANAGER: Final = frozenset({"url", "traps", "timeout", "resolve_after", "queue"})
#: A receiver must not take unauthenticated SNMPv3: a community is no weaker.
_LEVELS: Final = frozenset({SecurityLevel.AUTH_NO_PRIV.value, SecurityLevel.AUTH_PRIV.value})
_HOST_PORT: Final = re.compile(
    r"^(?:\[(?P<v6>[0-9a-fA-F:.]+)\]|(?P<host>[^:\[\]]*)):(?P<port>\d{1,5})$")


def _listen(node: Node, where: Where) -> tuple[str, int]:
    """``host:port``, ``[v6]:port`` or ``:port`` (every IPv4 interface)."""
    text = string(node, where, "listen")
    m = _HOST_PORT.match(text.strip())
    if m is None or int(m.group("port")) > 65535:
        raise where.error(node, f"listen: {text!r} is not host:port", "Write for example "
                          "127.0.0.1:9162, [::]:162 or :162.")
    host = m.group("v6") or m.group("host") or "0.0.0.0"  # noqa: S104 - ':162' asks for it
    try:
        ipaddress.ip_address(host)
    except ValueError:
        raise where.error(node, f"listen: {host!r} is not an IP address", "Give the address "
                          "to bind (a UDP receiver binds one address, not a name).") from None
    return host, int(m.group("port"))


def _secret(node: Node, where: Where, key: str, secrets: SecretReader, holder: str,
            community: bool = False) -> Secret:
    secret = secrets.secret(node, where, key, holder, community)
    if not secret:
        raise where.error(node, f"{key} is empty", f"Give {key} a value.")
    return secret


def _communities(node: Node, where: Where, secrets: SecretReader) -> tuple[Secret, ...]:
    out: list[Secret] = []
    for i, item in enumerate(items(node, where, "communities")):
        secret = _secret(item, where, f"communities[{i}]", secrets, "traps communities",
                         community=True)
        if secret in out:
            raise where.error(item, f"communities[{i}] repeats an earlier community",
                              "Keep only one of them.")
        out.append(secret)
    return tuple(out)


def _engine_id(node: Node, where: Where, key: str) -> bytes:
    try:
        return parse_engine_id(string(node, where, key))
    except ValueError as exc:
        raise where.error(node, f"{key}: {exc}", "Write the engine ID in hex, as "
                          "`show snmp engineID` or net-snmp's -e option shows it.") from None


def _user(node: Node, where: Where, secrets: SecretReader) -> V3User:
    f = fields(node, where, _USER, required=("username", "password"))
    username = secrets.plain(f["username"], where, "username")
    if not 1 <= len(username.encode()) <= 32:
        raise where.error(f["username"], "username must have 1 to 32 octets",
                          "Use the user name configured on the devices.")
    at = where.child(username)
    level = SecurityLevel(choice(f["security_level"], at, "security_level", _LEVELS)
                          if "security_level" in f else SecurityLevel.AUTH_PRIV.value)
    priv_password = Secret("")
    if level is SecurityLevel.AUTH_PRIV:
        if "priv_password" not in f:
            raise at.error(node, "security_level authPriv needs a priv_password",
                           "Add priv_password:, or use security_level: authNoPriv.")
        priv_password = _secret(f["priv_password"], at, "priv_password", secrets,
                                f"traps user {username!r} priv_password")
    elif "priv_password" in f or "priv_protocol" in f:
        raise at.error(f.get("priv_password", f.get("priv_protocol")), "security_level "
                       "authNoPriv takes no privacy settings", "Remove them, or use "
                       "security_level: authPriv.")
    password = _secret(f["password"], at, "password", secrets,
                       f"traps user {username!r} password")
    if len(password.reveal()) < 8 or (level is SecurityLevel.AUTH_PRIV
                                      and len(priv_password.reveal()) < 8):
        raise at.error(node, "USM passphrases must have at least 8 characters (RFC 3414)",
                       "Use longer passphrases (on the devices too).")
    engine_ids = tuple(_engine_id(item, at, f"engine_ids[{i}]")
                       for i, item in enumerate(items(f.get("engine_ids", NULL_NODE), at,
                                                      "engine_ids")))
    return V3User(
        username=username, security_level=level,
        auth_protocol=(choice(f["auth_protocol"], at, "auth_protocol", AUTH_PROTOCOLS)
                       if "auth_protocol" in f else "SHA"),
        password=password,
        priv_protocol=(choice(f["priv_protocol"], at, "priv_protocol", PRIV_PROTOCOLS)
                       if "priv_protocol" in f else "AES"),
        priv_password=priv_password, engine_ids=tuple(dict.fromkeys(engine_ids)))


def _users(node: Node, where: Where, secrets: SecretReader) -> tuple[V3User, ...]:
    users: dict[str, V3User] = {}
    for i, item in enumerate(items(node, where, "users")):
        user = _user(item, where.child(f"users[{i}]"), secrets)
        if user.username in users:
            raise where.error(item, f"users[{i}]: user {user.username!r} is defined twice",
                              "Keep only one of them (one user, one set of keys).")
        users[user.username] = user
    return tuple(users.values())


def _address(text: str, node: Node, where: Where) -> str:
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        raise where.error(node, f"sources: {text!r} is not an IP address", "Key each sender "
                          "by the address its traps come from (no names, no networks).") \
            from None
    mapped = ip.ipv4_mapped if isinstance(ip, ipaddress.IPv6Address) else None
    return str(mapped or ip)


def _sources(node: Node, where: Where) -> tuple[tuple[str, Source], ...]:
    at = where.child("sources")
    out: dict[str, Source] = {}
    for text, key_node, value in entries(node, at, "sources"):
        address = _address(text, key_node, at)
        if address in out:
            raise at.error(key_node, f"{text!r} is the address of another entry",
                           "Keep only one of them.")
        if isinstance(value, MappingNode):
            f = fields(value, at.child(text), _SOURCE, required=("agent",))
            source = Source(string(f["agent"], at, "agent"),
                            string(f["instance"], at, "instance") if "instance" in f else "")
        else:
            source = Source(string(value, at, text))
        if not source.agent:
            raise at.error(value, f"{text}: no agent", "Name the agent (its id in the "
                           "inventory) this sender belongs to.")
        out[address] = source
    return tuple(out.items())


def _trap_label(text: str, node: Node, where: Where) -> str:
    if text in OIDS:
        return text
    try:
        oid = parse_oid(text)
    except ValueError:
        raise where.error(node, f"traps: {text!r} is neither a known trap name nor a "
                          "numeric OID", f"Use one of {', '.join(sorted(OIDS))}, or the "
                          "notification's numeric OID.") from None
    return ".".join(map(str, oid))


def _alertmanager(node: Node, where: Where) -> AlertmanagerConfig:
    at = where.child("alertmanager")
    f = fields(node, at, _ALERTMANAGER, required=("url", "traps"))
    url = string(f["url"], at, "url").rstrip("/")
    try:
        parts = urlsplit(url)
    except ValueError:  # "Invalid IPv6 URL": a "[" without its "]" (found by fuzz/config.py)
        parts = urlsplit("")
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise at.error(f["url"], f"url: {url!r} is not an http(s) URL", "Write Alertmanager's "
                       "base URL, for example http://127.0.0.1:9093.")
    traps: dict[str, str] = {}
    for text, key_node, value in entries(f["traps"], at, "traps"):
        label = _trap_label(text, key_node, at)
        severity = string(value, at, text)
        if not severity:
            raise at.error(value, f"traps: {text} has no severity", "Give it one (for "
                           "example critical, warning or info).")
        traps[label] = severity
    if not traps:
        raise at.error(f["traps"], "traps is empty", "Name the traps to forward, each with "
                       "its severity, or remove alertmanager:.")
    default = AlertmanagerConfig()
    return AlertmanagerConfig(
        url=url, traps=tuple(traps.items()),
        timeout=(seconds_between(f["timeout"], at, "timeout", 0.1, 300) if "timeout" in f
                 else default.timeout),
        resolve_after=(seconds_between(f["resolve_after"], at, "resolve_after", 1, 86400 * 7)
                       if "resolve_after" in f else default.resolve_after),
        queue=integer(f["queue"], at, "queue", 1, 1_000_000) if "queue" in f
        else default.queue)


def parse_traps(node: Node, where: Where, mode: int | None = None) -> TrapsConfig:
    """``node`` is the value of ``traps:``; ``where`` is the file's root position; ``mode``
    the file's permission bits, checked when a secret is written inline (None: a text read
    from no file, e.g. tests and fuzzing)."""
    at = where.child("traps")
    f = fields(node, at, _KEYS)
    secrets = SecretReader()
    default = TrapsConfig()
    host, port = _listen(f["listen"], at) if "listen" in f else (default.host, default.port)
    config = dataclasses.replace(
        default,
        enabled=boolean(f["enabled"], at, "enabled") if "enabled" in f else True,
        host=host, port=port,
        communities=_communities(f.get("communities", NULL_NODE), at, secrets),
        users=_users(f.get("users", NULL_NODE), at, secrets),
        engine_id=_engine_id(f["engine_id"], at, "engine_id") if "engine_id" in f else b"",
        sources=_sources(f.get("sources", NULL_NODE), at),
        max_unknown_sources=(integer(f["max_unknown_sources"], at, "max_unknown_sources", 0,
                                     100_000) if "max_unknown_sources" in f
                             else default.max_unknown_sources),
        max_trap_oids=(integer(f["max_trap_oids"], at, "max_trap_oids", 0, 100_000)
                       if "max_trap_oids" in f else default.max_trap_oids),
        queue=integer(f["queue"], at, "queue", 1, 10_000_000) if "queue" in f
        else default.queue,
        alertmanager=(_alertmanager(f["alertmanager"], at) if "alertmanager" in f
                      else default.alertmanager))
    if config.enabled and not config.communities and not config.users:
        raise at.error(node, "no communities and no users: every trap would be refused",
                       "Add communities: (v1/v2c) or users: (v3), or set enabled: false.")
    if secrets.inline:
        check_file_mode(where.source, mode, secrets.inline, "collector config (traps:)")
    return config
