"""No secret in any log line, HTTP answer or error message: a collector and an agent with
known secrets (agent tokens, an SNMP community, SNMPv3 keys, trap community and v3 keys, an
SSH password) through normal use and failures (bad config, wrong token, unreachable device,
``--check-config``), and every byte they print or serve is searched for the secret values."""

from __future__ import annotations

import logging
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from collector.inventory import hash_token
from exporters.cli.secret_files import read_secret_file
from exporters.errors import ConfigError
from netmon.commands import netmon_modules_path
from tests.collector.helpers import Pusher
from tests.collector.process import collector_cmd, start_collector
from tests.peers.process import PeerProcess, free_tcp_port, free_udp_port
from tests.security.conftest import make_inventory, ward_agents

pytestmark = pytest.mark.security

COMMUNITY = "c0mm-S3CRET-v2c"
AUTH_KEY = "authP4ss-S3CRET-v3"
PRIV_KEY = "privP4ss-S3CRET-v3"
TRAP_COMMUNITY = "trap-S3CRET-comm"
TRAP_AUTH = "trapAuth-S3CRET-1"
TRAP_PRIV = "trapPriv-S3CRET-1"
SSH_PASSWORD = "sshP4ss-S3CRET-cli"
WRONG_TOKEN = "wrongT0ken-S3CRET-0123456789abcdefghijklmnopq"
SECRETS = (COMMUNITY, AUTH_KEY, PRIV_KEY, TRAP_COMMUNITY, TRAP_AUTH, TRAP_PRIV, SSH_PASSWORD,
           WRONG_TOKEN)

AUTHS = f"""auths:
  secret_v2:
    community: {COMMUNITY}
    version: 2
  secret_v3:
    version: 3
    username: netmon
    security_level: authPriv
    password: {AUTH_KEY}
    auth_protocol: SHA
    priv_protocol: AES
    priv_password: {PRIV_KEY}
"""


def _traps(port: int) -> str:
    return f"""traps:
  listen: 127.0.0.1:{port}
  communities: [{TRAP_COMMUNITY}]
  users:
    - {{username: trapper, security_level: authPriv, auth_protocol: SHA, password: {TRAP_AUTH},
       priv_protocol: AES, priv_password: {TRAP_PRIV}}}
"""


def _leaks(text: str | bytes, secrets: tuple[str, ...]) -> list[str]:
    data = text.encode() if isinstance(text, str) else text
    return [s for s in secrets if s.encode() in data]


def _run(argv: list[str]) -> str:
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
    return f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"


def test_no_secret_in_any_output_of_the_collector_and_agent(tmp_path: Path) -> None:
    inventory = make_inventory(tmp_path, sites=2)
    agent = ward_agents(inventory)[0]
    tokens = tuple((tmp_path / "tokens" / f"{a}.token").read_text().strip()
                   for a in ward_agents(inventory))
    secrets = SECRETS + tokens + tuple(hash_token(t) for t in tokens)
    (tmp_path / "auths.yml").write_text(AUTHS)
    (tmp_path / "auths.yml").chmod(0o600)
    dead = free_udp_port()   # no SNMP agent there: polls time out
    extra = (f"snmp: {{files: [{netmon_modules_path()}, {tmp_path / 'auths.yml'}]}}\n"
             + _traps(free_udp_port()))
    outputs: list[tuple[str, str]] = []

    # --check-config, a good one and bad ones (a typo beside a key, a key too short)
    config = tmp_path / "checked.yml"
    config.write_text(f"listen: 127.0.0.1:{free_tcp_port()}\ninventory: {inventory}\n{extra}")
    config.chmod(0o600)  # it holds trap secrets inline
    outputs.append(("check-config", _run(collector_cmd("--config", str(config),
                                                       "--check-config"))))
    assert outputs[-1][1].startswith("exit 0"), outputs[-1][1]
    for bad in (extra.replace("priv_password: trapPriv", "priv_pasword: trapPriv"),
                extra.replace(f"password: {TRAP_AUTH}", "password: S3CRET7"),
                extra.replace("auth_protocol: SHA,", "auth_protocol: SHA999,")):
        config.write_text(f"inventory: {inventory}\n{bad}")
        outputs.append(("bad config", _run(collector_cmd("--config", str(config),
                                                         "--check-config"))))
        assert outputs[-1][1].startswith("exit 2"), outputs[-1][1]

    with start_collector(tmp_path, inventory, extra) as running:
        assert running.push(Pusher().body(), running.token(agent))[0] == 200
        assert running.push(Pusher().body(), WRONG_TOKEN)[0] == 401
        for auth in ("secret_v2", "secret_v3"):
            status, body = _get(f"{running.url}/snmp?target=127.0.0.1:{dead}&module=system"
                                f"&auth={auth}")
            assert status == 500, body
            outputs.append((f"/snmp {auth}", body.decode()))
        for path in ("/metrics", "/sd", "/scopes/wan/metrics", "/snmp?module=system",
                     "/snmp?target=127.0.0.1&module=system&auth=nope"):
            outputs.append((path, running.get(path)[1].decode()))
        agent_output = _agent(tmp_path, running.url, agent, dead)
        outputs.append(("agent", agent_output))
        time.sleep(0.2)
        outputs.append(("collector log", running.process.output()))
    assert "push refused: authentication failed" in str(outputs[-1][1])
    agent_log = str(outputs[-2][1])
    assert "exporter=cli:r1" in agent_log and "kind=deadline" in agent_log, agent_log
    leaks = {where: found for where, text in outputs if (found := _leaks(text, secrets))}
    assert leaks == {}


def _get(url: str) -> tuple[int, bytes]:
    """GET with a 1.5 s scrape deadline (the SNMP device never answers)."""
    request = urllib.request.Request(url, headers={"X-Prometheus-Scrape-Timeout-Seconds":
                                                   "1.5"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _agent(tmp_path: Path, url: str, agent: str, dead_udp: int) -> str:
    """The agent with its token, an SNMP target (v3 keys) that never answers and a CLI
    device (SSH password) that refuses connections: --check-config, then a short run."""
    folder = tmp_path / "agent"
    folder.mkdir()
    token = folder / "agent.token"
    token.write_text((tmp_path / "tokens" / f"{agent}.token").read_text())
    token.chmod(0o644)
    password = folder / "ssh.password"
    password.write_text(SSH_PASSWORD + "\n")
    password.chmod(0o600)
    (folder / "auths.yml").write_text(AUTHS)
    (folder / "auths.yml").chmod(0o600)
    config = folder / "agent.yml"
    config.write_text(f"""agent_id: {agent}
token_file: agent.token
collectors: [{{name: primary, url: "{url}", timeout: 2s}}]
exporters:
  host: {{enabled: true, interval: 1s}}
  snmp:
    - {{target: "127.0.0.1:{dead_udp}", modules: [system], auth: secret_v3, interval: 1s,
       timeout: 0.5s, files: [{netmon_modules_path()}, auths.yml]}}
  cli:
    credentials:
      ro: {{username: netmon, password_file: ssh.password}}
    devices:
      - {{name: r1, host: 127.0.0.1, port: {free_tcp_port()}, credentials: ro,
         checks: [interfaces], interval: 1s}}
shipping:
  spool: {{path: spool.db}}
""")
    refused = _run([sys.executable, "-m", "agent", "--config", str(config), "--check-config"])
    assert "(mode 0644)" in refused and f"chmod 600 {token}" in refused, refused
    token.chmod(0o600)
    out = _run([sys.executable, "-m", "agent", "--config", str(config), "--check-config"])
    assert out.startswith("exit 0"), out
    out = refused + out
    with PeerProcess([sys.executable, "-m", "agent", "--config", str(config),
                      "--log.level", "debug"], "agent-secrets") as peer:
        time.sleep(3.0)
        return out + peer.output()


def test_a_secret_file_others_can_read_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ssh.password"
    path.write_text(SSH_PASSWORD)
    path.chmod(0o644)
    with pytest.raises(ConfigError) as caught:
        read_secret_file(str(path), "SSH password")
    message = str(caught.value)
    assert "(mode 0644)" in message and f"chmod 600 {path}" in message
    assert SSH_PASSWORD not in message


def test_a_secret_never_prints_itself_not_even_in_a_crash_trace() -> None:
    """str, repr, format, %-formatting, the repr of the config that holds it, a traceback
    with its local variables, pickling: none shows the value."""
    import pickle
    import traceback

    from exporters.secrets import Secret
    from exporters.snmp.config import Auth

    secret = Secret(AUTH_KEY)
    auth = Auth("secret_v3", password=secret, priv_password=Secret(PRIV_KEY))

    def crash(credential: Secret) -> None:
        raise RuntimeError(f"cannot log in with {credential}")

    try:
        crash(secret)
    except RuntimeError as exc:
        trace = "".join(traceback.TracebackException.from_exception(
            exc, capture_locals=True).format())
    logged = logging.LogRecord("t", logging.INFO, __file__, 1, "key=%s %r", (secret, secret),
                               None).getMessage()
    shown = [str(secret), repr(secret), f"{secret}", f"{secret:>40}", logged, repr(auth),
             str([secret]), trace]
    assert "<redacted>" in trace and "credential" in trace
    assert _leaks("\n".join(shown), (AUTH_KEY, PRIV_KEY)) == []
    with pytest.raises(TypeError, match="not pickled"):
        pickle.dumps(secret)
    assert secret.reveal() == AUTH_KEY
