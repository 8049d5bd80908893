"""Real SNMP agents on loopback: snmpsim (simulated devices) and net-snmp's snmpd.

Both are started on a port taken from the kernel, answer SNMP v2c and v3 (authPriv) and are
stopped by their PID whatever happens. Each yields an :class:`SnmpAgent` that says how to reach
it; SNMPv3 users carry snmp_exporter's protocol names (``SHA``, ``SHA512``, ``AES``, ``AES256``,
``AES256C``, ...), translated here to each program's own spelling.

What was learned about the two programs (snmpsim 1.2.2 on pysnmp 7.1, net-snmp 5.9.3):

- snmpsim serves every ``*.snmprec`` file of ``--data-dir``; the v2c community is the file name
  without ``.snmprec`` (``ward-router``). Over SNMPv3 the file is chosen by the **context name**,
  which is that same name: a v3 request with an empty context gets no answer at all.
- snmpsim refuses to run as root unless it drops privileges (``--process-user/-group``) or
  ``SNMPSIM_ALLOW_ROOT=true`` is set; we set the variable, so the temp dirs need no chmod.
- snmpsim indexes each data file into ``--cache-dir`` at start (1,600 records: about 0.2 s;
  start to first answer: 0.75-1.5 s on 2 cores). It logs every request at
  the default level, so it runs with ``--log-level=error``.
- AES-192/256 key extension comes in two incompatible flavours, and it matters whenever the
  auth digest is shorter than the AES key (SHA-1 with AES-256, for example):
  Blumenthal (snmp_exporter ``AES256``, net-snmp ``AES-256``, snmpsim ``AES256BLMT``) and
  Reeder, "Cisco" (snmp_exporter ``AES256C``, net-snmp ``AES-256-C``, snmpsim ``AES256``).
- A wrong auth password is answered at once with a usmStatsWrongDigests report ("Authentication
  failure"); a wrong privacy password gets a "Decryption error" report from snmpsim and no
  answer at all (a timeout) from snmpd.
- snmpd with ``-C -c FILE`` reads only FILE; ``MIBS=`` silences its MIB warnings (Debian ships
  no IETF MIBs); ``SNMP_PERSISTENT_DIR`` keeps its state in the temp dir. It answers about
  0.4 s after start. With a ``trap2sink`` it sends coldStart on start, authenticationFailure
  (with ``authtrapenable 1``) and nsNotifyShutdown on stop. Debian's ``snmptrapd`` is not
  installed; ``snmptrap``/``snmpinform`` (client) are.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from tests.peers.process import PeerProcess, free_udp_port

HOST = "127.0.0.1"
REPO = Path(__file__).resolve().parents[2]
DEMO_DATA = REPO / "netmon" / "demo" / "data"
#: The simulated ward router (static values): served as community/context ``ward-router``.
WARD_ROUTER = DEMO_DATA / "ward-router.snmprec"

SNMPSIM = "snmpsim-command-responder"
SNMPD = "/usr/sbin/snmpd"

# snmp_exporter's protocol names -> each program's own.
_NETSNMP_AUTH = {"MD5": "MD5", "SHA": "SHA", "SHA224": "SHA-224", "SHA256": "SHA-256",
                 "SHA384": "SHA-384", "SHA512": "SHA-512"}
_NETSNMP_PRIV = {"DES": "DES", "AES": "AES", "AES192": "AES-192", "AES256": "AES-256",
                 "AES192C": "AES-192-C", "AES256C": "AES-256-C"}
_SNMPSIM_AUTH = {name: name for name in _NETSNMP_AUTH}
_SNMPSIM_PRIV = {"DES": "DES", "AES": "AES", "AES192": "AES192BLMT", "AES256": "AES256BLMT",
                 "AES192C": "AES192", "AES256C": "AES256"}


@dataclass(frozen=True)
class V3User:
    """An SNMPv3 authPriv user; protocol names are snmp_exporter's."""

    name: str
    auth_protocol: str
    auth_password: str
    priv_protocol: str
    priv_password: str

    def netsnmp_args(self) -> list[str]:
        """The net-snmp command-line options (snmpget, snmpwalk, ...) for this user."""
        return ["-v3", "-l", "authPriv", "-u", self.name,
                "-a", _NETSNMP_AUTH[self.auth_protocol], "-A", self.auth_password,
                "-x", _NETSNMP_PRIV[self.priv_protocol], "-X", self.priv_password]


#: The users both agents create. The two SHA-1 + AES-256 users differ only in the key
#: extension (Blumenthal vs Reeder), which a poller must get right.
V3_USERS: tuple[V3User, ...] = (
    V3User("netmon-sha-aes", "SHA", "sha-aes-auth-1", "AES", "sha-aes-priv-1"),
    V3User("netmon-sha512-aes256", "SHA512", "sha512-auth-2", "AES256", "aes256-priv-2"),
    V3User("netmon-sha-aes256", "SHA", "sha-aes256-auth-3", "AES256", "sha-aes256-priv-3"),
    V3User("netmon-sha-aes256c", "SHA", "sha-aes256c-auth-4", "AES256C", "sha-aes256c-priv-4"),
)


@dataclass(frozen=True)
class SnmpAgent:
    """A running SNMP agent on loopback, as a client needs to know it."""

    host: str
    port: int
    community: str
    v3_users: tuple[V3User, ...]
    #: SNMPv3 contextName that selects the data: the data file's name on snmpsim, "" on snmpd.
    context_name: str
    pid: int

    @property
    def target(self) -> str:
        """``host:port``, as snmp_exporter's ``target=`` and net-snmp's agent argument."""
        return f"{self.host}:{self.port}"

    def v3_user(self, name: str) -> V3User:
        for user in self.v3_users:
            if user.name == name:
                return user
        raise KeyError(name)

    def netsnmp_auth_args(self, user: V3User | None = None) -> list[str]:
        """net-snmp options for v2c (no user) or for ``user`` (v3 authPriv, with the context)."""
        if user is None:
            return ["-v2c", "-c", self.community]
        context = ["-n", self.context_name] if self.context_name else []
        return [*user.netsnmp_args(), *context]


def netsnmp(tool: str, agent: SnmpAgent, *oids: str, user: V3User | None = None,
            options: Sequence[str] = (), timeout: float = 2.0,
            retries: int = 1) -> subprocess.CompletedProcess[str]:
    """Run a net-snmp client (``snmpget``, ``snmpwalk``, ``snmpbulkwalk``...) against ``agent``:
    v2c, or v3 authPriv as ``user``. Output is numeric (``-On``); ``options`` come before the
    agent, ``oids`` after it.
    """
    argv = [tool, *agent.netsnmp_auth_args(user), "-On", "-t", str(timeout), "-r", str(retries),
            *options, agent.target, *oids]
    return subprocess.run(argv, capture_output=True, text=True, errors="replace",
                          env=_netsnmp_env(), timeout=120, check=False)


def _netsnmp_env(**extra: str) -> dict[str, str]:
    # No MIB loading: Debian ships no IETF MIBs and every tool would print warnings.
    return dict(os.environ, MIBS="", **extra)


def _answers(port: int, community: str) -> Callable[[], bool]:
    """Readiness: the agent answers a v2c GET of sysUpTime.0."""
    def check() -> bool:
        proc = subprocess.run(
            ["snmpget", "-v2c", "-c", community, "-t", "0.3", "-r", "0",
             f"{HOST}:{port}", "1.3.6.1.2.1.1.3.0"],
            capture_output=True, env=_netsnmp_env(), timeout=10, check=False)
        return proc.returncode == 0
    return check


@contextlib.contextmanager
def snmpsim_agent(data_dir: Path = DEMO_DATA, community: str = "ward-router", *,
                  v3_users: Sequence[V3User] = V3_USERS,
                  timeout: float = 30.0) -> Iterator[SnmpAgent]:
    """Run snmpsim serving every ``.snmprec`` in ``data_dir``; ``community`` is the one yielded.

    The index cache goes to a temp dir of its own, so runs never share or race on it.
    """
    if not (data_dir / f"{community}.snmprec").is_file():
        raise FileNotFoundError(f"no {community}.snmprec in {data_dir}")
    exe = shutil.which(SNMPSIM)
    if exe is None:
        raise RuntimeError(f"{SNMPSIM} not found: pip install snmpsim (and pysmi)")
    with tempfile.TemporaryDirectory(prefix="netmon-snmpsim-") as tmp:
        port = free_udp_port()
        argv = [exe, f"--data-dir={data_dir}", f"--cache-dir={tmp}/cache",
                f"--agent-udpv4-endpoint={HOST}:{port}", "--log-level=error"]
        for user in v3_users:
            argv += [f"--v3-user={user.name}",
                     f"--v3-auth-proto={_SNMPSIM_AUTH[user.auth_protocol]}",
                     f"--v3-auth-key={user.auth_password}",
                     f"--v3-priv-proto={_SNMPSIM_PRIV[user.priv_protocol]}",
                     f"--v3-priv-key={user.priv_password}"]
        # As root snmpsim insists on dropping privileges unless told it may keep them.
        peer = PeerProcess(argv, "snmpsim", env=dict(os.environ, SNMPSIM_ALLOW_ROOT="true"))
        try:
            peer.wait_ready(_answers(port, community), timeout)
            yield SnmpAgent(HOST, port, community, tuple(v3_users), community, peer.pid)
        finally:
            peer.stop()


def _snmpd_conf(community: str, v3_users: Sequence[V3User], sys_name: str,
                sys_location: str, sys_contact: str, trap_sink_port: int | None) -> str:
    lines = [
        "# netmon test agent: written by tests/peers/snmp.py",
        f"rocommunity {community} {HOST}",
        f"sysName {sys_name}",
        f"sysLocation {sys_location}",
        f"sysContact {sys_contact}",
        "sysServices 72",
        "dontLogTCPWrappersConnects yes",
    ]
    for user in v3_users:
        lines += [
            f'createUser {user.name} {_NETSNMP_AUTH[user.auth_protocol]} "{user.auth_password}"'
            f' {_NETSNMP_PRIV[user.priv_protocol]} "{user.priv_password}"',
            f"rouser {user.name} authpriv",
        ]
    if trap_sink_port is not None:
        lines += [f"trap2sink {HOST}:{trap_sink_port} {community}", "authtrapenable 1"]
    return "\n".join(lines) + "\n"


@contextlib.contextmanager
def snmpd_agent(*, community: str = "netmon-ro", v3_users: Sequence[V3User] = V3_USERS,
                sys_name: str = "hn-dc-giangvo-mon1",
                sys_location: str = "185 Giảng Võ, Quận Ba Đình, Hà Nội",
                sys_contact: str = "NOC Mạng WAN Hà Nội <noc@wan.hanoi.example>",
                trap_sink_port: int | None = None,
                timeout: float = 10.0) -> Iterator[SnmpAgent]:
    """Run net-snmp's snmpd on loopback with a v2c read-only community and v3 authPriv users.

    With ``trap_sink_port`` it sends SNMPv2c traps (coldStart, authenticationFailure,
    nsNotifyShutdown) with ``community`` to that UDP port on loopback.
    """
    with tempfile.TemporaryDirectory(prefix="netmon-snmpd-") as tmp:
        conf = Path(tmp, "snmpd.conf")
        conf.write_text(_snmpd_conf(community, v3_users, sys_name, sys_location, sys_contact,
                                    trap_sink_port), encoding="utf-8")
        persistent = Path(tmp, "persist")
        persistent.mkdir()
        port = free_udp_port()
        argv = [SNMPD, "-f", "-Lo", "-C", "-c", str(conf), "-p", str(Path(tmp, "snmpd.pid")),
                f"udp:{HOST}:{port}"]
        peer = PeerProcess(argv, "snmpd",
                           env=_netsnmp_env(SNMP_PERSISTENT_DIR=str(persistent)))
        try:
            peer.wait_ready(_answers(port, community), timeout)
            yield SnmpAgent(HOST, port, community, tuple(v3_users), "", peer.pid)
        finally:
            peer.stop()


def hex_string(output: str) -> bytes:
    """The bytes of one value printed by net-snmp with ``-Oqv -Ox`` (hex, maybe wrapped)."""
    return bytes.fromhex(output.replace('"', " ").replace("Hex-STRING:", " "))
