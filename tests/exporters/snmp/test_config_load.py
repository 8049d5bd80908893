"""exporters.snmp.config_load: snmp_exporter's real module files load, every mistake is refused
with file, line, place and fix, and secrets never leak into a message."""

from __future__ import annotations

import re
import time
from pathlib import Path
from textwrap import dedent

import pytest

from exporters.errors import ConfigError
from exporters.secrets import Secret
from exporters.snmp.config import SecurityLevel, SnmpConfig, WalkParams
from exporters.snmp.config_load import load_snmp_config, parse_snmp_config
from exporters.snmp.go_syntax import parse_go_duration, translate_go_regex
from tests.peers.data import PEER_DATA

PEERS = PEER_DATA
PEER_021 = PEERS / "snmp_exporter-0.21.0.snmp.yml"
PEER_030 = PEERS / "snmp_exporter-0.30.snmp.yml"
DATA = Path(__file__).parent / "data"


def _load_peer(path: Path) -> tuple[SnmpConfig, float]:
    assert path.is_file(), f"{path} is missing: it belongs in tests/peers/data/"
    start = time.perf_counter()
    config = load_snmp_config([path])
    return config, time.perf_counter() - start


@pytest.fixture(scope="module")
def peer_021() -> tuple[SnmpConfig, float]:
    return _load_peer(PEER_021)


@pytest.fixture(scope="module")
def peer_030() -> tuple[SnmpConfig, float]:
    return _load_peer(PEER_030)


def _refusal(text: str, source: str = "snmp.yml") -> str:
    with pytest.raises(ConfigError) as caught:
        parse_snmp_config(dedent(text), source)
    return str(caught.value)


# --- the real files ---------------------------------------------------------------------------


def test_every_module_of_the_021_file_loads(peer_021: tuple[SnmpConfig, float]) -> None:
    config, seconds = peer_021
    assert len(config.modules) == 22
    assert config.auths == {}
    assert seconds < 10, f"loading {PEER_021.name} took {seconds:.2f} s"
    if_mib = config.module("if_mib")
    assert len(if_mib.metrics) == 40
    assert if_mib.walk == ("1.3.6.1.2.1.2", "1.3.6.1.2.1.31.1.1")


def test_021_modules_carry_their_own_auth(peer_021: tuple[SnmpConfig, float]) -> None:
    config, _ = peer_021
    for name in ("apcups", "eaton_epdu", "ubiquiti_airfiber", "ubiquiti_airmax"):
        auth = config.module(name).auth
        assert auth is not None
        assert (auth.name, auth.version, auth.community) == (name, 1, Secret("public"))
    raritan = config.module("raritan").auth
    assert raritan is not None
    assert (raritan.version, raritan.community.reveal()) == (2, "raritan_public")
    if_mib = config.module("if_mib")
    assert if_mib.auth is not None
    assert (if_mib.auth.version, if_mib.auth.security_level) == (2, SecurityLevel.NO_AUTH_NO_PRIV)
    assert if_mib.walk_params == WalkParams()


def test_021_regex_extracts_are_anchored_and_translated(
        peer_021: tuple[SnmpConfig, float]) -> None:
    metric = next(m for m in peer_021[0].module("infrapower_pdu").metrics
                  if m.name == "pduMainActivePower")
    rules = metric.regex_extracts[""]
    assert [rule.value for rule in rules] == ["0$1.$2", "0.0$1"]
    found = rules[0].regex.search("1234")
    assert found is not None and found.groups() == ("12", "34")
    assert rules[1].regex.search("7") is not None
    assert rules[1].regex.search("7\n") is None, "Go's $ does not match before a final newline"
    assert rules[1].regex.search("77") is None


def test_every_module_of_the_030_file_loads(peer_030: tuple[SnmpConfig, float]) -> None:
    config, seconds = peer_030
    assert len(config.modules) == 53
    assert seconds < 10, f"loading {PEER_030.name} took {seconds:.2f} s"
    if_mib = config.module("if_mib")
    assert len(if_mib.metrics) == 39
    if_type = next(m for m in if_mib.metrics if m.name == "ifType")
    assert if_type.type == "EnumAsInfo"
    assert if_type.enum_values[1] == "other" and if_type.enum_values[6] == "ethernetCsmacd"
    assert len(if_type.enum_values) > 200
    assert [lookup.labelname for lookup in if_type.lookups] == ["ifAlias", "ifDescr", "ifName"]


def test_030_auths(peer_030: tuple[SnmpConfig, float]) -> None:
    auths = peer_030[0].auths
    assert set(auths) == {"public_v1", "public_v2"}
    for name, version in (("public_v1", 1), ("public_v2", 2)):
        auth = auths[name]
        assert (auth.version, auth.community.reveal(), auth.security_level) == \
            (version, "public", SecurityLevel.NO_AUTH_NO_PRIV)
        assert (auth.auth_protocol, auth.priv_protocol) == ("MD5", "DES")


def test_030_constructs(peer_030: tuple[SnmpConfig, float]) -> None:
    config = peer_030[0]
    assert config.module("servertech_sentry3").walk_params.max_repetitions == 4
    assert config.module("if_mib").walk_params == WalkParams()
    status = next(m for m in config.module("apcups").metrics
                  if m.name == "upsOutletGroupStatusIndex")
    deletion = status.lookups[-1]
    assert (deletion.labels, deletion.labelname, deletion.oid) == \
        ((), "upsOutletGroupStatusIndex", "")
    chassis = next(m for m in config.module("dell_rac").metrics if m.name == "drsPotentialPower")
    assert chassis.indexes[0].fixed_size == 1
    assert chassis.regex_extracts[""][0].regex.search("42 W") is not None
    date = next(m for m in config.module("sophos_xg").metrics if m.name == "sfosCurrentDate")
    assert (date.type, date.datetime_pattern) == ("ParseDateAndTime", "%a %b %d %H:%M:%S %Y")
    comm = next(m for m in config.module("apcups").metrics if m.name == "upsCommStatus_ok")
    assert (comm.scale, comm.offset) == (-1.0, 2.0)
    sensor = next(m for m in config.module("cisco_device").metrics if m.name == "entSensorValue")
    scale = next(lookup for lookup in sensor.lookups if lookup.labelname == "entSensorScale")
    assert (scale.type, scale.enum_values[9]) == ("EnumAsInfo", "units")


def test_mac_address_index_with_fixed_size(peer_030: tuple[SnmpConfig, float]) -> None:
    metric = next(m for m in peer_030[0].module("cisco_wlc").metrics
                  if m.name == "bsnAPIfLoadChannelUtilization")
    mac = next(i for i in metric.indexes if i.labelname == "bsnAPDot3MacAddress")
    assert (mac.type, mac.fixed_size) == ("PhysAddress48", 6)


# --- several files ----------------------------------------------------------------------------


def test_files_merge_and_globs_expand(tmp_path: Path) -> None:
    (tmp_path / "a.yml").write_text("auths:\n  v2: {community: x}\n")
    (tmp_path / "a.yml").chmod(0o600)  # it holds a community (exporters.snmp.secret_fields)
    (tmp_path / "b.yml").write_text("modules:\n  m: {walk: [1.3.6.1.2.1.1]}\n")
    (tmp_path / "c.yml").write_text("legacy_mod:\n  walk: [1.3.6.1.2.1.2]\n")
    config = load_snmp_config([tmp_path / "*.yml"])
    assert list(config.auths) == ["v2"]
    assert list(config.modules) == ["m", "legacy_mod"]
    assert config.sources == tuple(str(tmp_path / f) for f in ("a.yml", "b.yml", "c.yml"))


def test_module_defined_in_two_files_names_both() -> None:
    with pytest.raises(ConfigError) as caught:
        load_snmp_config([DATA / "two_files" / "first.yml", DATA / "two_files" / "second.yml"])
    message = str(caught.value)
    assert "module 'if_mib' is defined twice" in message
    assert "first.yml:2" in message and "second.yml:3" in message


def test_auth_defined_in_two_files_names_both(tmp_path: Path) -> None:
    for name in ("x.yml", "y.yml"):
        (tmp_path / name).write_text("auths:\n  lab: {community: sesame}\n")
        (tmp_path / name).chmod(0o600)  # it holds a community
    with pytest.raises(ConfigError, match=r"auth 'lab' is defined twice: in .*x\.yml:2 and in "
                       r".*y\.yml:2") as caught:
        load_snmp_config([tmp_path / "x.yml", tmp_path / "y.yml"])
    assert "sesame" not in str(caught.value)


@pytest.mark.parametrize(("name", "content", "expected"), [
    ("missing.yml", None, "no such SNMP module file"),
    ("modules.json", "{}", "must end in .yml or .yaml"),
    ("latin1.yml", b"m:\n  walk: [1.3.6]\n# caf\xe9\n", "is UTF-8"),
])
def test_unusable_files_are_refused(tmp_path: Path, name: str, content: str | bytes | None,
                                    expected: str) -> None:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    with pytest.raises(ConfigError, match=expected):
        load_snmp_config([path])


def test_glob_matching_nothing_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such SNMP module file"):
        load_snmp_config([tmp_path / "*.yml"])


def test_empty_file_is_an_empty_config() -> None:
    config = parse_snmp_config("", "empty.yml")
    assert (dict(config.auths), dict(config.modules), config.sources) == ({}, {}, ("empty.yml",))


# --- strictness: unknown keys at every level, with the line ------------------------------------

_CURRENT = """\
auths:
  lab:
    community: x
    version: 2
modules:
  m:
    walk: [1.3.6.1.2.1.2]
    filters:
    - oid: 1.3.6.1.2.1.2.2.1.7
      targets: [1.3.6.1.2.1.2.2.1.8]
      values: ["1"]
    metrics:
    - name: ifOperStatus
      oid: 1.3.6.1.2.1.2.2.1.8
      type: gauge
      indexes:
      - labelname: ifIndex
        type: gauge
      lookups:
      - labels: [ifIndex]
        labelname: ifDescr
        oid: 1.3.6.1.2.1.2.2.1.2
        type: DisplayString
      regex_extracts:
        Up:
        - regex: '1'
          value: '1'
"""


@pytest.mark.parametrize(("after", "indent", "line", "place", "allowed"), [
    ("    version: 2", "", 5, "", "auths, modules, version"),
    ("    version: 2", "    ", 5, "auth 'lab'", "auth_protocol, community, context_name"),
    ("    walk: [1.3.6.1.2.1.2]", "    ", 8, "module 'm'", "allow_nonincreasing_oids, filters"),
    ("      values: [\"1\"]", "      ", 12, "module 'm', filters[0]", "oid, targets, values"),
    ("      type: gauge", "      ", 16, "module 'm', metrics[0]", "datetime_pattern, display_hint"),
    ("        type: gauge", "        ", 19, "metric 'ifOperStatus', indexes[0]",
     "enum_values, fixed_size, implied, labelname, type"),
    ("        type: DisplayString", "        ", 24, "metric 'ifOperStatus', lookups[0]",
     "enum_values, labelname, labels, oid, type"),
    ("          value: '1'", "          ", 28, "regex_extracts['Up'], [0]", "regex, value"),
])
def test_unknown_key_names_file_line_place_and_allowed_keys(
        after: str, indent: str, line: int, place: str, allowed: str) -> None:
    lines = _CURRENT.splitlines()
    at = lines.index(after) + 1
    lines.insert(at, f"{indent}bogus_key: 1")
    message = _refusal("\n".join(lines) + "\n", "netmon.yml")
    assert message.startswith(f"netmon.yml:{line}:"), message
    assert "unknown key 'bogus_key'" in message
    assert place in message
    assert allowed in message
    assert "Remove it or correct its spelling" in message


def test_the_fixture_without_mistakes_loads() -> None:
    config = parse_snmp_config(_CURRENT, "netmon.yml")
    module = config.module("m")
    assert module.filters[0].values[0].search("1") is not None
    assert module.metrics[0].regex_extracts["Up"][0].value == "1"


def test_unknown_key_in_a_legacy_module_and_its_auth() -> None:
    message = _refusal("""\
        m:
          walk: [1.3.6.1.2.1.1]
          auth:
            community: secret-ward-17
            comunity: typo
        """)
    assert message.startswith("snmp.yml:5: module 'm', auth: unknown key 'comunity'")
    assert "secret-ward-17" not in message
    message = _refusal("m:\n  walk: [1.3.6.1.2.1.1]\n  max_repititions: 3\n")
    assert message.startswith("snmp.yml:3: module 'm': unknown key 'max_repititions'")
    assert "max_repetitions" in message


def test_duplicate_key_is_refused() -> None:
    message = _refusal("m:\n  walk: [1.3.6.1.2.1.1]\n  walk: [1.3.6.1.2.1.2]\n")
    assert message.startswith("snmp.yml:3: module 'm': key 'walk' is set twice (first on line 2)")
    message = _refusal("m:\n  walk: [1.3]\nm:\n  walk: [1.3]\n")
    assert "has 'm' twice" in message


def test_yaml_merge_keys_and_custom_tags_are_refused() -> None:
    message = _refusal("base: &b {walk: [1.3.6.1]}\nm:\n  <<: *b\n")
    assert message.startswith("snmp.yml:3: module 'm': YAML merge keys")
    message = _refusal("auths:\n  a:\n    community: !vault |\n      $ANSIBLE_VAULT;1.1\n")
    assert "snmp.yml:3" in message and "!vault" in message


def test_yaml_syntax_error_has_the_line_but_not_the_text() -> None:
    message = _refusal('auths:\n  a:\n    community: "hunter2-community\n')
    assert message.startswith("snmp.yml:"), message
    assert "not valid YAML" in message
    assert "hunter2" not in message


def test_wrong_shapes() -> None:
    assert "top level must be a mapping" in _refusal("- a\n- b\n")
    assert "walk must be a list" in _refusal("m:\n  walk: 1.3.6.1\n")
    assert "expected a mapping" in _refusal("m:\n  metrics: [a]\n")
    assert "missing required key 'type'" in _refusal(
        "m:\n  metrics:\n  - {name: x, oid: 1.3.6.1}\n")


# --- validation -------------------------------------------------------------------------------


def _metric(extra: str, **fields: str) -> str:
    base = {"name": "x", "oid": "1.3.6.1.2.1.1.3", "type": "gauge", **fields}
    body = "".join(f"    {k}: {v}\n" for k, v in base.items())
    return f"m:\n  metrics:\n  - {body.lstrip()}{extra}"


@pytest.mark.parametrize(("text", "expected"), [
    (_metric("", type="Gauge"), "type 'Gauge' is not one of"),
    (_metric("    indexes:\n    - {labelname: i, type: Float}\n"), "type 'Float' is not one of"),
    (_metric("    indexes:\n    - {labelname: i, type: gauge}\n    lookups:\n"
             "    - {labels: [i], labelname: d, oid: 1.3.6.1.2, type: string}\n"),
     "type 'string' is not one of"),
    (_metric("", oid="1.3.6.x"), "oid '1.3.6.x' is not a numeric OID"),
    (_metric("", oid=".1.3.6.1"), "without a leading dot"),
    (_metric("", oid="1.3.4294967296"), "is not a numeric OID"),
    ("m:\n  walk: [1.3.6.1, '1']\n", "walk[1] '1' is not a numeric OID"),
    (_metric("", name="1x"), "name '1x' is not a valid Prometheus metric name"),
    (_metric("    indexes:\n    - {labelname: if-index, type: gauge}\n"),
     "labelname 'if-index' is not a valid Prometheus label name"),
    (_metric("    enum_values: {one: up}\n"), "enum_values key 'one' must be an integer"),
    (_metric("    regex_extracts:\n      '':\n      - regex: '(?=a)'\n"),
     "regex '(?=a)' is not a usable Go regular expression: invalid or unsupported Perl syntax"),
    (_metric("    regex_extracts:\n      '':\n      - regex: '(a'\n"), "missing closing )"),
    (_metric("    regex_extracts:\n      '':\n      - regex: '\\pL+'\n"), "Unicode classes"),
    (_metric("    regex_extracts:\n      '-x':\n      - regex: a\n"), "invalid metric name 'x-x'"),
    (_metric("    regex_extracts:\n      '':\n      - value: $1\n"),
     "missing required key 'regex'"),
    (_metric("    indexes:\n    - {labelname: i, type: gauge}\n    lookups:\n"
             "    - {labels: [j], labelname: d, oid: 1.3.6.1.2, type: DisplayString}\n"),
     "label 'j' is neither an index label nor set by an earlier lookup (known: i)"),
    (_metric("    indexes:\n    - {labelname: i, type: gauge}\n    lookups:\n"
             "    - {labelname: d, oid: 1.3.6.1.2, type: DisplayString}\n"),
     "missing required key 'labels'"),
    (_metric("    indexes:\n    - {labelname: i, type: gauge}\n    lookups:\n"
             "    - {labels: [i], labelname: d}\n"), "has labels but no oid/type"),
    (_metric("", type="ParseDateAndTime"), "needs a datetime_pattern"),
    (_metric("", scale="'0.1'"), "scale must be a finite number"),
    (_metric("", offset=".nan"), "offset must be a finite number"),
    ("m:\n  timeout: 5\n", "timeout 5 has no unit"),
    ("m:\n  timeout: 5 s\n", "is not a positive Go duration"),
    ("m:\n  timeout: 0s\n", "is not a positive Go duration"),
    ("m:\n  retries: -1\n", "retries must be between 0 and 100"),
    ("m:\n  max_repetitions: '25'\n", "max_repetitions must be an integer"),
    ("m:\n  allow_nonincreasing_oids: 1\n", "must be true or false"),
])
def test_invalid_values_are_refused(text: str, expected: str) -> None:
    message = _refusal(text)
    assert expected in message, message
    assert re.match(r"snmp\.yml:\d+: module 'm'", message), message


def test_lookups_may_chain_and_delete() -> None:
    config = parse_snmp_config(_metric(
        "    indexes:\n    - {labelname: i, type: gauge}\n    lookups:\n"
        "    - {labels: [i], labelname: a, oid: 1.3.6.1.2, type: gauge}\n"
        "    - {labels: [a], labelname: b, oid: 1.3.6.1.3, type: DisplayString}\n"
        "    - {labels: [], labelname: a}\n"), "s.yml")
    lookups = config.module("m").metrics[0].lookups
    assert [(lk.labels, lk.labelname) for lk in lookups] == \
        [(("i",), "a"), (("a",), "b"), ((), "a")]


def test_walk_params_and_go_durations() -> None:
    config = parse_snmp_config(dedent("""\
        modules:
          m:
            max_repetitions: 50
            retries: 0
            timeout: 1m30s
            allow_nonincreasing_oids: yes
            use_unconnected_udp_socket: true
        """), "s.yml")
    assert config.module("m").walk_params == WalkParams(50, 0, 90.0, True, True)
    assert parse_go_duration("500ms") == 500_000_000
    assert parse_go_duration("1.5s") == 1_500_000_000
    assert parse_go_duration("2h45m") == 9_900_000_000_000
    assert parse_go_duration("10µs") == parse_go_duration("10us") == 10_000
    assert parse_go_duration("0") == 0
    for bad in ("", "5", "s", "1.s5", "1d", ".s"):
        assert parse_go_duration(bad) is None, bad


def test_strings_are_read_as_written() -> None:
    config = parse_snmp_config(_metric("", help="0x1F", name="on"), "s.yml")
    metric = config.module("m").metrics[0]
    assert (metric.name, metric.help) == ("on", "0x1F")
    config = parse_snmp_config(_metric("    enum_values: {0x10: yes, 010: null}\n"), "s.yml")
    assert config.module("m").metrics[0].enum_values == {16: "yes", 8: ""}


# --- auths ------------------------------------------------------------------------------------


def _auth(body: str) -> str:
    return "auths:\n  a:\n" + "".join(f"    {line}\n" for line in body.splitlines())


@pytest.mark.parametrize(("body", "expected"), [
    ("version: 3\nsecurity_level: noAuthNoPriv", "SNMPv3 needs a username"),
    ("version: 3\nusername: u\nsecurity_level: authNoPriv", "authNoPriv needs a password"),
    ("version: 3\nusername: u\nsecurity_level: authPriv\npassword: pw-s3cr3t-auth",
     "authPriv needs a priv_password"),
    ("version: 4", "version must be between 1 and 3"),
    ("version: 0", "version must be between 1 and 3"),
    ("security_level: authpriv", "security_level 'authpriv' is not one of"),
    ("auth_protocol: SHA1", "auth_protocol 'SHA1' is not one of"),
    ("priv_protocol: 3DES", "priv_protocol '3DES' is not one of"),
    ("community: [cmty-s3cr3t]", "community must be a single value"),
])
def test_invalid_auths_are_refused(body: str, expected: str) -> None:
    message = _refusal(_auth(body + "\ncommunity: cmty-s3cr3t" * ("community" not in body)))
    assert expected in message, message
    assert message.startswith("snmp.yml:"), message
    assert "auth 'a'" in message
    assert "s3cr3t" not in message


def test_v3_auths_load() -> None:
    config = parse_snmp_config(_auth(
        "version: 3\nusername: netmon\nsecurity_level: authPriv\npassword: pw-s3cr3t-auth\n"
        "priv_password: pw-s3cr3t-priv\nauth_protocol: SHA256\npriv_protocol: AES256C\n"
        "context_name: ward-17"), "s.yml")
    auth = config.auths["a"]
    assert (auth.username, auth.security_level, auth.auth_protocol, auth.priv_protocol,
            auth.context_name) == ("netmon", SecurityLevel.AUTH_PRIV, "SHA256", "AES256C",
                                   "ward-17")
    assert (auth.password.reveal(), auth.priv_password.reveal()) == \
        ("pw-s3cr3t-auth", "pw-s3cr3t-priv")
    assert "s3cr3t" not in repr(config) and "s3cr3t" not in str(config)


def test_legacy_v3_module_without_username_is_refused() -> None:
    message = _refusal("m:\n  version: 3\n  auth:\n    password: pw-s3cr3t\n")
    assert message.startswith("snmp.yml:4: module 'm', auth: SNMPv3 needs a username")
    assert "s3cr3t" not in message


def test_secrets_never_appear_in_repr() -> None:
    config = parse_snmp_config(
        "m:\n  version: 3\n  auth: {username: u, security_level: authPriv, "
        "password: pw-s3cr3t-a, priv_password: pw-s3cr3t-p, community: cmty-s3cr3t}\n", "s.yml")
    for text in (repr(config), str(config), repr(config.module("m")), f"{config.module('m')}"):
        assert "s3cr3t" not in text


# --- Go RE2 to Python -------------------------------------------------------------------------


@pytest.mark.parametrize(("go", "text", "matches"), [
    (r"a$", "a\n", False),          # Go's $ is the end of the text
    (r"(?m)a$", "a\nb", True),      # ... unless multi-line
    (r"a\z", "a", True),
    (r"\d+", "٣", False),           # Go's \d is ASCII
    (r"\w", "é", False),
    (r"\s", "\v", False),           # Go's \s has no \v
    (r"\bwan\b", "éwan", True),     # ASCII word boundary: é is not a word character in Go
    (r"x(?i)abc", "xABC", True),    # flags in the middle of the expression
    (r"x(?i)abc", "XABC", False),
    (r"a|(?i)b|c", "C", True),
    (r"a{,2}", "a{,2}", True),      # not a repeat in Go: literal
    (r"\Q1.5\E", "1x5", False),
    (r"[[:digit:][:upper:]]+", "A1", True),
    (r"[^[:^alpha:]]", "1", False),
    (r"\101\x42\x{43}", "ABC", True),
    (r"(?P<hi>\d)(?<lo>\d)", "12", True),
    (r"[\d-z]+", "1-z", True),
    (r"Phường .+", "Phường Hàng Bạc", True),
])
def test_go_regex_semantics(go: str, text: str, matches: bool) -> None:
    pattern = re.compile(translate_go_regex(go, False))
    assert (pattern.search(text) is not None) is matches, pattern.pattern


@pytest.mark.parametrize(("go", "text", "matches"), [
    ("(.*)", "a\n", False),        # snmp_exporter's "^(?:" + s + ")$": the whole text
    ("(?m)a$", "a\nb", False),      # the inner multi-line $ does not end the outer anchor
    ("a)|(b", "b", True),           # the anchoring is textual in snmp_exporter too
    ("a)|(b", "ab", True),          # ^(?:a) | (b)$, as Go reads it
    ("", "", True),
])
def test_regex_extracts_are_anchored_like_snmp_exporter(go: str, text: str,
                                                       matches: bool) -> None:
    pattern = re.compile(translate_go_regex(go, True))
    assert (pattern.search(text) is not None) is matches, pattern.pattern


@pytest.mark.parametrize(("go", "reason"), [
    (r"(?=x)", "unsupported Perl syntax"),
    (r"(?<!x)y", "unsupported Perl syntax"),
    (r"(a)\1", "no backreferences"),
    (r"a**", "nested repetition"),
    (r"*a", "missing argument"),
    (r"a{1001}", "invalid repeat count"),
    (r"a{3,2}", "invalid repeat count"),
    (r"\pL", "Unicode classes"),
    (r"(?U)a+", "ungreedy"),
    (r"[[:alfa:]]", "invalid character class"),
    (r"[z-a]", "invalid character class range"),
    (r"\Z", "invalid escape"),
    (r"a)", "unexpected )"),
    (r"[a", "missing closing ]"),
    ("a\\", "trailing backslash"),
])
def test_go_regex_refusals(go: str, reason: str) -> None:
    with pytest.raises(ValueError, match=re.escape(reason)):
        translate_go_regex(go, False)
