"""SNMP secrets inside config files (exporters/snmp/secret_fields.py): ``${VAR}`` from the
environment in module files' ``auths:`` and collector.yml's ``traps:``, and files that others
can read while they hold a secret inline.

The polls are real (snmpsim, the session's ``ward_router``); the files are real files whose
mode the test sets; the collector's ``--check-config`` runs as a process.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from collector.config_load import load_config
from collector.inventory_write import dump_inventory
from exporters.errors import ConfigError
from exporters.exposition import render
from exporters.snmp.client import SnmpStack
from exporters.snmp.config import SnmpConfig
from exporters.snmp.config_load import load_snmp_config
from exporters.snmp.exporter import SnmpExporter, SnmpTargetConfig
from netmon.commands import netmon_modules_path
from tests.collector.helpers import small_inventory
from tests.collector.process import collector_cmd
from tests.peers.exposition import parse
from tests.peers.snmp import SnmpAgent

pytestmark = pytest.mark.security

PEERS = Path(__file__).parent.parent / "peers" / "data"
#: Distinct enough to be found anywhere they leak.
INLINE = "inl1ne-S3CRET-community"
V3_AUTH_INLINE = "inl1ne-S3CRET-v3-auth"
V3_PRIV_INLINE = "inl1ne-S3CRET-v3-priv"
TRAP_INLINE = "inl1ne-S3CRET-trap"

ENV_AUTHS = """\
auths:
  ward_v2:
    community: ${NETMON_T_COMMUNITY}
    version: 2
  ward_v3:
    version: 3
    username: ${NETMON_T_V3_USER}
    security_level: authPriv
    password: ${NETMON_T_V3_AUTH}
    auth_protocol: SHA
    priv_protocol: AES
    priv_password: ${NETMON_T_V3_PRIV}
    context_name: CONTEXT
"""


def _write(path: Path, text: str, mode: int) -> Path:
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)
    return path


def _refusal(paths: list[Path]) -> str:
    with pytest.raises(ConfigError) as caught:
        load_snmp_config(paths)
    return str(caught.value)


async def _poll(config: SnmpConfig, router: SnmpAgent, auth: str) -> list[str]:
    stack = SnmpStack()
    try:
        families = await SnmpExporter(SnmpTargetConfig(router.target, ("system",), auth,
                                                       timeout=10), config, stack).collect()
    finally:
        stack.close()
    return [dict(k)["sysName"] for k in parse(render(families)).series("sysName")]


@pytest.mark.peers
async def test_env_references_poll_a_real_router_v2c_and_v3(
        ward_router: SnmpAgent, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A 0644 file with only ${VAR} secrets is accepted, and the values reach the device."""
    user = ward_router.v3_users[0]
    monkeypatch.setenv("NETMON_T_COMMUNITY", ward_router.community)
    monkeypatch.setenv("NETMON_T_V3_USER", user.name)
    monkeypatch.setenv("NETMON_T_V3_AUTH", user.auth_password)
    monkeypatch.setenv("NETMON_T_V3_PRIV", user.priv_password)
    assert (user.auth_protocol, user.priv_protocol) == ("SHA", "AES")
    auths = _write(tmp_path / "auths.yml",
                   ENV_AUTHS.replace("CONTEXT", ward_router.context_name), 0o644)
    config = load_snmp_config([netmon_modules_path(), auths])
    assert config.auths["ward_v3"].username == user.name
    v2 = await _poll(config, ward_router, "ward_v2")
    v3 = await _poll(config, ward_router, "ward_v3")
    assert v2 == v3 and len(v2) == 1 and v2[0], (v2, v3)

    # A changed variable is read again, although the file (and its parse cache) is unchanged.
    monkeypatch.setenv("NETMON_T_COMMUNITY", "another-community")
    again = load_snmp_config([netmon_modules_path(), auths])
    assert again.auths["ward_v2"].community.reveal() == "another-community"


@pytest.mark.parametrize(("line", "key"), [(3, "community"), (9, "password"),
                                           (12, "priv_password")])
def test_a_missing_variable_is_refused_with_file_line_and_name(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, line: int, key: str) -> None:
    env = {"NETMON_T_COMMUNITY": "c-S3CRET", "NETMON_T_V3_USER": "u",
           "NETMON_T_V3_AUTH": "a-S3CRET-long", "NETMON_T_V3_PRIV": "p-S3CRET-long"}
    missing = {"community": "NETMON_T_COMMUNITY", "password": "NETMON_T_V3_AUTH",
               "priv_password": "NETMON_T_V3_PRIV"}[key]
    for name, value in env.items():
        if name == missing:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    auths = _write(tmp_path / "auths.yml", ENV_AUTHS.replace("CONTEXT", '""'), 0o600)
    message = _refusal([auths])
    auth = "ward_v2" if key == "community" else "ward_v3"
    assert message == (
        f"{auths}:{line}: auth {auth!r}: {key}: the environment variable {missing} is not "
        f"set. Set {missing} in the service's environment (e.g. a systemd EnvironmentFile= "
        "with mode 0600), or write the value inline in a file that others cannot read "
        "(chmod 640).")
    assert "S3CRET" not in message  # no value of another variable either


def test_empty_variables_and_spliced_references_are_refused(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NETMON_T_EMPTY", "")
    path = _write(tmp_path / "a.yml", "auths:\n  a:\n    community: ${NETMON_T_EMPTY}\n", 0o600)
    assert _refusal([path]) == (f"{path}:3: auth 'a': community: the environment variable "
                                "NETMON_T_EMPTY is empty. Give NETMON_T_EMPTY the value.")
    monkeypatch.setenv("NETMON_T_PART", "S3CRET-part")
    path.write_text("auths:\n  a:\n    community: pre-${NETMON_T_PART}\n", encoding="utf-8")
    message = _refusal([path])
    assert message.startswith(f"{path}:3: auth 'a': community: a ${{VAR}} reference must be "
                              "the whole value. "), message
    assert "S3CRET-part" not in message
    # $VAR without braces is the literal text (passphrases contain '$').
    path.write_text("auths:\n  a:\n    community: pa$$word$HOME\n", encoding="utf-8")
    assert load_snmp_config([path]).auths["a"].community.reveal() == "pa$$word$HOME"


def test_world_readable_module_file_with_inline_secrets_is_refused(tmp_path: Path) -> None:
    text = (f"auths:\n  ward:\n    community: {INLINE}\n  v3:\n    version: 3\n"
            f"    username: netmon\n    security_level: authPriv\n"
            f"    password: {V3_AUTH_INLINE}\n    priv_password: {V3_PRIV_INLINE}\n")
    path = _write(tmp_path / "auths.yml", text, 0o644)
    message = _refusal([netmon_modules_path(), path])
    assert message == (
        f"{path}: the SNMP module file holds secrets written inline (auth 'ward' community, "
        "auth 'v3' password, auth 'v3' priv_password) and others can read it (mode 0644); "
        f"every account on this host could read them. Run: chmod 640 {path} (readable by the "
        "owner and netmon's group), or write each secret as ${VAR} and set VAR in the "
        "service's environment.")
    assert not [s for s in (INLINE, V3_AUTH_INLINE, V3_PRIV_INLINE) if s in message]
    # The legacy layout's module auths too; any "others" bit that allows reading counts.
    legacy = _write(tmp_path / "legacy.yml", f"m:\n  walk: [1.3.6.1.2.1.1]\n  auth:\n"
                    f"    community: {INLINE}\n", 0o604)
    assert "(module 'm' auth community) and others can read it (mode 0604)" in _refusal(
        [legacy])
    # The fix the message gives is enough; group-readable is fine.
    path.chmod(0o640)
    legacy.chmod(0o640)
    config = load_snmp_config([netmon_modules_path(), path, legacy])
    assert config.auths["ward"].community.reveal() == INLINE


def test_public_communities_and_placeholders_are_not_secrets(tmp_path: Path) -> None:
    """snmp_exporter's shipped snmp.yml (Debian installs it 0644, with ``public`` and, in
    0.21, ``raritan_public``) and netmon.yml's REPLACE-ME placeholders load from a 0644 file;
    a community other than those does not, and neither does a v3 key written inline."""
    for source in ("snmp_exporter-0.30.snmp.yml", "snmp_exporter-0.21.0.snmp.yml"):
        copy = _write(tmp_path / source, (PEERS / source).read_text(encoding="utf-8"), 0o644)
        assert load_snmp_config([copy]).modules
    netmon = _write(tmp_path / "netmon.yml", netmon_modules_path().read_text(encoding="utf-8"),
                    0o644)
    assert load_snmp_config([netmon]).auths["netmon_v3"].password.reveal().startswith(
        "REPLACE-ME")
    v3 = _write(tmp_path / "v3.yml", "auths:\n  v3:\n    version: 3\n    username: u\n"
                "    security_level: authNoPriv\n    password: public\n", 0o644)
    assert "(auth 'v3' password) and others can read it" in _refusal([v3])


def _collector_yml(tmp_path: Path, traps: str, mode: int) -> Path:
    inventory = tmp_path / "inventory.yml"
    if not inventory.exists():
        inventory.write_text(dump_inventory(small_inventory()), encoding="utf-8")
    return _write(tmp_path / "collector.yml", f"inventory: inventory.yml\n{traps}", mode)


def test_traps_secrets_from_env_and_world_readable_refusal(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NETMON_T_TRAP_COMMUNITY", TRAP_INLINE)
    monkeypatch.setenv("NETMON_T_TRAP_AUTH", V3_AUTH_INLINE)
    from_env = ("traps:\n  communities: [public, '${NETMON_T_TRAP_COMMUNITY}']\n  users:\n"
                "    - {username: trapper, password: '${NETMON_T_TRAP_AUTH}',\n"
                "       security_level: authNoPriv}\n")
    traps = load_config(_collector_yml(tmp_path, from_env, 0o644)).traps
    assert [c.reveal() for c in traps.communities] == ["public", TRAP_INLINE]
    assert traps.users[0].password.reveal() == V3_AUTH_INLINE

    monkeypatch.delenv("NETMON_T_TRAP_AUTH")
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "collector.yml")
    assert str(caught.value).startswith(
        f"{tmp_path / 'collector.yml'}:5: traps, users[0], trapper: password: the environment "
        "variable NETMON_T_TRAP_AUTH is not set. "), str(caught.value)

    inline = (f"traps:\n  communities: [public, {TRAP_INLINE}]\n  users:\n"
              f"    - {{username: trapper, password: {V3_AUTH_INLINE},\n"
              f"       priv_password: {V3_PRIV_INLINE}}}\n")
    path = _collector_yml(tmp_path, inline, 0o644)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert message == (
        f"{path}: the collector config (traps:) holds secrets written inline (traps "
        "communities, traps user 'trapper' priv_password, traps user 'trapper' password) and "
        "others can read it (mode 0644); every account on this host could read them. Run: "
        f"chmod 640 {path} (readable by the owner and netmon's group), or write each secret "
        "as ${VAR} and set VAR in the service's environment.")
    assert not [s for s in (TRAP_INLINE, V3_AUTH_INLINE, V3_PRIV_INLINE) if s in message]
    # The same refusal from the real program: exit 2, the message on stderr, no secret.
    proc = subprocess.run(collector_cmd("--config", str(path), "--check-config"),
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 2, proc
    assert f"Run: chmod 640 {path}" in proc.stderr, proc.stderr
    assert not [s for s in (TRAP_INLINE, V3_AUTH_INLINE, V3_PRIV_INLINE)
                if s in proc.stdout + proc.stderr]
    path.chmod(0o640)
    assert load_config(path).traps.users[0].priv_password.reveal() == V3_PRIV_INLINE
    # The well-known community alone needs no protection.
    assert load_config(_collector_yml(tmp_path, "traps: {communities: [public]}\n", 0o644)
                       ).traps.communities


def test_netmon_snmp_names_the_missing_variable(tmp_path: Path) -> None:
    """The command line tool refuses the file (exit 2) naming the file, line and variable."""
    auths = _write(tmp_path / "auths.yml", "auths:\n  ward:\n    community: "
                   "${NETMON_T_COMMUNITY}\n    version: 2\n", 0o644)
    cmd = [sys.executable, "-m", "netmon", "snmp", "--config", str(netmon_modules_path()),
           "--config", str(auths), "--module", "system", "--auth", "ward", "127.0.0.1:1"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False,
                          env={k: v for k, v in os.environ.items()
                               if k != "NETMON_T_COMMUNITY"})
    assert proc.returncode == 2, proc
    assert re.search(rf"{re.escape(str(auths))}:3: auth 'ward': community: the environment "
                     "variable NETMON_T_COMMUNITY is not set", proc.stderr), proc.stderr
