"""``traps:`` of collector.yml: defaults, every key, and mistakes named with file, line and
key (secrets never echoed)."""

from __future__ import annotations

import pytest

from collector.errors import ConfigError
from collector.traps import TrapsConfig, parse_traps
from collector.traps.config import AlertmanagerConfig, Source, V3User
from collector.traps.engine_id import default_engine_id, format_engine_id, parse_engine_id
from exporters.secrets import Secret
from exporters.snmp.config import SecurityLevel
from exporters.snmp.yaml_nodes import NULL_NODE, Where, compose, fields

pytestmark = pytest.mark.traps


def load(text: str, source: str = "collector.yml") -> TrapsConfig:
    """As collector/config_load.py will call it: the value of the top-level ``traps:``."""
    where = Where(source)
    root = compose(text, source) or NULL_NODE
    f = fields(root, where, frozenset({"traps", "listen"}))
    return parse_traps(f["traps"], where)


def test_defaults() -> None:
    config = TrapsConfig()
    assert not config.enabled and config.listen == "127.0.0.1:9162"
    assert not config.alertmanager.enabled
    on = load("traps: {communities: [public]}\n")
    assert on.enabled and on.listen == "127.0.0.1:9162" and on.communities == (Secret("public"),)
    assert on.engine_id == b"" and on.max_unknown_sources == 64 and on.queue == 10_000


def test_every_key() -> None:
    config = load("""
traps:
  enabled: true
  listen: "[::]:162"
  communities: [hanoi-traps, second]
  engine_id: 0x80004fb8046e65746d6f6e
  users:
    - username: netmon
      security_level: authPriv
      auth_protocol: SHA256
      password: auth-pass-hanoi
      priv_protocol: AES256
      priv_password: priv-pass-hanoi
      engine_ids: ["80:00:00:09:03:00:01:02:03:04", 800000090300aabbccddeeff]
    - {username: legacy, security_level: authNoPriv, password: legacy-pass}
  sources:
    10.1.2.1: hn-badinh-phucxa-r1
    "::ffff:10.1.2.5": {agent: hn-badinh-phucxa-r1, instance: 10.1.2.5}
  max_unknown_sources: 10
  max_trap_oids: 20
  queue: 500
  alertmanager:
    url: http://127.0.0.1:9093/
    traps: {linkDown: critical, 1.3.6.1.4.1.9.9.41.2.0.1: warning}
    timeout: 5
    resolve_after: 600
    queue: 50
""")
    assert (config.host, config.port) == ("::", 162) and config.listen == "[::]:162"
    assert config.communities == (Secret("hanoi-traps"), Secret("second"))
    assert format_engine_id(config.engine_id) == "80004fb8046e65746d6f6e"
    assert config.users == (
        V3User("netmon", SecurityLevel.AUTH_PRIV, "SHA256", Secret("auth-pass-hanoi"),
               "AES256", Secret("priv-pass-hanoi"),
               (bytes.fromhex("80000009030001020304"),
                bytes.fromhex("800000090300aabbccddeeff"))),
        V3User("legacy", SecurityLevel.AUTH_NO_PRIV, "SHA", Secret("legacy-pass"), "AES",
               Secret(""), ()))
    assert dict(config.sources) == {
        "10.1.2.1": Source("hn-badinh-phucxa-r1"),
        "10.1.2.5": Source("hn-badinh-phucxa-r1", "10.1.2.5")}
    assert (config.max_unknown_sources, config.max_trap_oids, config.queue) == (10, 20, 500)
    assert config.alertmanager == AlertmanagerConfig(
        "http://127.0.0.1:9093", (("linkDown", "critical"),
                                  ("1.3.6.1.4.1.9.9.41.2.0.1", "warning")), 5, 600, 50)
    assert "auth-pass-hanoi" not in repr(config) and "hanoi-traps" not in repr(config)
    off = load("traps: {enabled: false}\n")
    assert not off.enabled


@pytest.mark.parametrize(("text", "message"), [
    ("traps: {communitys: [x]}\n", "collector.yml:1: traps: unknown key 'communitys'"),
    ("traps: {}\n", "no communities and no users: every trap would be refused"),
    ("traps: {communities: x}\n", "communities must be a list"),
    ("traps: {communities: ['']}\n", "communities[0] is empty"),
    ("traps: {communities: [a, a]}\n", "communities[1] repeats an earlier community"),
    ("traps: {communities: [a], listen: 'localhost:162'}\n",
     "listen: 'localhost' is not an IP address"),
    ("traps: {communities: [a], listen: '1.2.3.4'}\n", "listen: '1.2.3.4' is not host:port"),
    ("traps: {communities: [a], engine_id: 'zz'}\n", "engine_id: 'zz' is not hexadecimal"),
    ("traps: {communities: [a], engine_id: '0000000000'}\n", "all zeros"),
    ("traps: {communities: [a], engine_id: '0102'}\n", "5 to 32 octets"),
    ("traps:\n  users:\n    - {username: u, password: long-enough, security_level: "
     "noAuthNoPriv}\n", "collector.yml:3: traps, users[0], u: security_level 'noAuthNoPriv'"),
    ("traps:\n  users:\n    - {username: u, password: long-enough}\n",
     "security_level authPriv needs a priv_password"),
    ("traps:\n  users:\n    - {username: u, password: short, priv_password: long-enough}\n",
     "at least 8 characters"),
    ("traps:\n  users:\n    - {username: u, password: long-enough, security_level: "
     "authNoPriv, priv_protocol: AES}\n", "authNoPriv takes no privacy settings"),
    ("traps:\n  users:\n    - {username: u, password: long-enough, priv_password: "
     "long-enough, auth_protocol: SHA1}\n", "auth_protocol 'SHA1' is not one of"),
    ("traps:\n  users:\n    - {username: u, password: long-enough, priv_password: "
     "long-enough}\n    - {username: u, password: long-enough, priv_password: long-enough}\n",
     "collector.yml:4: traps: users[1]: user 'u' is defined twice"),
    ("traps:\n  users:\n    - {password: long-enough}\n", "missing required key 'username'"),
    ("traps:\n  communities: [a]\n  sources:\n    router-1: hn-x\n",
     "collector.yml:4: traps, sources: sources: 'router-1' is not an IP address"),
    ("traps:\n  communities: [a]\n  sources:\n    10.0.0.1: a\n    '::ffff:10.0.0.1': b\n",
     "collector.yml:5: traps, sources: '::ffff:10.0.0.1' is the address of another entry"),
    ("traps:\n  communities: [a]\n  sources:\n    10.0.0.1: {instance: x}\n",
     "missing required key 'agent'"),
    ("traps:\n  communities: [a]\n  sources:\n    10.0.0.1: {agent: a, site: b}\n",
     "unknown key 'site'"),
    ("traps:\n  communities: [a]\n  alertmanager: {url: 'ftp://x', traps: {linkDown: x}}\n",
     "url: 'ftp://x' is not an http(s) URL"),
    ("traps:\n  communities: [a]\n  alertmanager: {url: 'http://x:9093', traps: "
     "{lnkDown: critical}}\n", "traps: 'lnkDown' is neither a known trap name nor"),
    ("traps:\n  communities: [a]\n  alertmanager: {url: 'http://x:9093', traps: {}}\n",
     "traps is empty"),
    ("traps:\n  communities: [a]\n  alertmanager: {url: 'http://x:9093', traps: "
     "{linkDown: ''}}\n", "traps: linkDown has no severity"),
    ("traps:\n  communities: [a]\n  alertmanager: {url: 'http://x:9093'}\n",
     "missing required key 'traps'"),
    ("traps: {communities: [a], queue: 0}\n", "queue must be between 1 and"),
])
def test_mistakes_are_named(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        load(text)
    assert message in str(info.value), str(info.value)
    assert "long-enough" not in str(info.value)


def test_secrets_are_not_echoed() -> None:
    with pytest.raises(ConfigError) as info:
        load("traps:\n  users:\n    - {username: u, password: secret-pass, "
             "priv_password: tiny}\n")
    assert "secret-pass" not in str(info.value) and "tiny" not in str(info.value)


def test_engine_ids() -> None:
    assert default_engine_id("collector-1.hanoi.vn") == (
        bytes.fromhex("80004fb804") + b"netmon@collector-1")
    long = default_engine_id("a-very-long-collector-host-name-indeed")
    assert len(long) == 32 and long.startswith(bytes.fromhex("80004fb804") + b"netmon@a-very")
    assert long != default_engine_id("a-very-long-collector-host-name-other")
    assert parse_engine_id("0x80:00:4f:b8:05") == bytes.fromhex("80004fb805")
    for bad in ("ffffffffff", "80", "8" * 66):
        with pytest.raises(ValueError):
            parse_engine_id(bad)
