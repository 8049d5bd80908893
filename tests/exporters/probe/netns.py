"""Network namespaces for the probe tests: made, entered and removed by the tests themselves.

A *lab* is two namespaces, ``agent`` and ``peer``, joined by one link and nothing else: the
prober runs in ``agent`` (the calling thread enters it with ``setns(2)``, or a subprocess is
started there with ``ip netns exec``) and probes addresses in ``peer``. Neither namespace
has a route anywhere else, so no packet of these tests can leave the machine whatever
addresses they use; the names carry the test process's PID and a counter, so parallel runs
never collide. Every namespace, link and process is removed in ``finally`` blocks, by name
and by PID.

The link is either a veth pair (impaired with ``tc netem`` where the kernel has
``sch_netem``) or two TUN devices joined by :mod:`tests.exporters.probe.wire`, a userspace
wire that delays and drops packets the way netem does (for kernels built without netem).
"""

from __future__ import annotations

import contextlib
import ctypes
import itertools
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from tests.peers.process import PeerProcess

CLONE_NEWNET = 0x40000000
AGENT_IP, PEER_IP = "10.200.0.1", "10.200.0.2"
AGENT_IP6, PEER_IP6 = "fd00:200::1", "fd00:200::2"
_counter = itertools.count()
_libc = ctypes.CDLL(None, use_errno=True)


def run(*argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run a command (``ip``, ``tc``, ``sysctl``), its output in the error when it fails."""
    done = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=30)
    if check and done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({done.returncode}): "
                           f"{done.stderr.strip() or done.stdout.strip()}")
    return done


def netns_unavailable() -> str:
    """Why namespace tests cannot run here ("" when they can)."""
    if os.geteuid() != 0:
        return "network namespaces need root"
    if shutil.which("ip") is None:
        return "iproute2's ip is not installed"
    name = f"nmprobecheck{os.getpid()}"
    try:
        run("ip", "netns", "add", name)
    except RuntimeError as exc:
        return f"cannot create a network namespace: {exc}"
    run("ip", "netns", "del", name, check=False)
    return ""


def netem_unavailable() -> str:
    """Why ``tc netem`` cannot be used here ("" when it can): tried on a dummy link inside a
    throwaway namespace, so nothing of the host is touched."""
    if shutil.which("tc") is None:
        return "iproute2's tc is not installed"
    name = f"nmprobenetem{os.getpid()}"
    run("ip", "netns", "add", name)
    try:
        run("ip", "-n", name, "link", "add", "d0", "type", "veth", "peer", "name", "d1")
        done = run("ip", "netns", "exec", name, "tc", "qdisc", "add", "dev", "d0", "root",
                   "netem", "delay", "1ms", check=False)
        if done.returncode != 0:
            return (f"the kernel has no sch_netem ({done.stderr.strip()}; modprobe sch_netem "
                    "found no module)")
        return ""
    finally:
        run("ip", "netns", "del", name, check=False)


def tun_unavailable() -> str:
    """Why the userspace wire cannot run here ("" when it can)."""
    if not os.path.exists("/dev/net/tun"):
        return "no /dev/net/tun (the kernel has no TUN driver, or it is not exposed)"
    return ""


@contextlib.contextmanager
def inside(namespace: str) -> Iterator[None]:
    """Run the calling thread in ``namespace`` (sockets it opens there stay there), and put it
    back where it was, whatever happens."""
    original = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    target = os.open(f"/run/netns/{namespace}", os.O_RDONLY)
    try:
        _setns(target)
        try:
            yield
        finally:
            _setns(original)
    finally:
        os.close(target)
        os.close(original)


def _setns(fd: int) -> None:
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        code = ctypes.get_errno()
        raise OSError(code, f"setns: {os.strerror(code)}")


@dataclass
class Lab:
    """Two namespaces joined by one link; ``agent_dev`` is the agent's end of it."""

    agent: str
    peer: str
    agent_dev: str
    peer_dev: str
    wire: PeerProcess | None = None

    @property
    def kind(self) -> str:
        """How the link is impaired, if at all: the wire, or tc on a veth pair."""
        return "wire" if self.wire is not None else "veth"

    def sysctl(self, namespace: str, key: str, value: str) -> None:
        run("ip", "netns", "exec", namespace, "sysctl", "-q", "-w", f"{key}={value}")

    def exec_argv(self, namespace: str, argv: Sequence[str]) -> list[str]:
        return ["ip", "netns", "exec", namespace, *argv]


def _new_names() -> tuple[str, str, str]:
    n = f"{os.getpid()}x{next(_counter)}"
    return f"nmpa{n}", f"nmpb{n}", n


def _mac(namespace: str, dev: str) -> str:
    info = json.loads(run("ip", "-n", namespace, "-j", "link", "show", "dev", dev).stdout)
    return str(info[0]["address"])


def _static_neighbours(lab: Lab) -> None:
    """Permanent ARP and neighbour entries on both ends of a veth pair: address resolution
    (and its one-second retries while a fresh link settles) never delays a probe."""
    agent_mac, peer_mac = _mac(lab.agent, lab.agent_dev), _mac(lab.peer, lab.peer_dev)
    for namespace, dev, mac, addresses in (
            (lab.agent, lab.agent_dev, peer_mac, (PEER_IP, PEER_IP6)),
            (lab.peer, lab.peer_dev, agent_mac, (AGENT_IP, AGENT_IP6))):
        for address in addresses:
            run("ip", "-n", namespace, "neigh", "replace", address, "lladdr", mac, "dev", dev,
                "nud", "permanent")


def _address(lab: Lab) -> None:
    for namespace, dev, mine, theirs, mine6 in (
            (lab.agent, lab.agent_dev, AGENT_IP, PEER_IP, AGENT_IP6),
            (lab.peer, lab.peer_dev, PEER_IP, AGENT_IP, PEER_IP6)):
        run("ip", "-n", namespace, "link", "set", "lo", "up")
        # No duplicate address detection: the link-local address would stay tentative for
        # a second or more, and neighbour discovery with it.
        run("ip", "netns", "exec", namespace, "sysctl", "-q", "-w",
            f"net.ipv6.conf.{dev}.accept_dad=0")
        run("ip", "-n", namespace, "addr", "add", mine, "peer", theirs, "dev", dev)
        run("ip", "-n", namespace, "-6", "addr", "add", f"{mine6}/64", "dev", dev, "nodad")
        run("ip", "-n", namespace, "link", "set", dev, "up")


@contextlib.contextmanager
def veth_lab() -> Iterator[Lab]:
    """Two namespaces joined by a veth pair."""
    agent, peer, n = _new_names()
    run("ip", "netns", "add", agent)
    try:
        run("ip", "netns", "add", peer)
        try:
            lab = Lab(agent, peer, f"va{n}"[:15], f"vb{n}"[:15])
            run("ip", "-n", agent, "link", "add", lab.agent_dev, "type", "veth", "peer",
                "name", lab.peer_dev, "netns", peer)
            _address(lab)
            _static_neighbours(lab)
            yield lab
        finally:
            run("ip", "netns", "del", peer, check=False)
    finally:
        run("ip", "netns", "del", agent, check=False)


@contextlib.contextmanager
def wire_lab(delay: float, loss: float, seed: int) -> Iterator[Lab]:
    """Two namespaces joined by TUN devices and :mod:`tests.exporters.probe.wire`, which
    delays (``delay`` s) and drops (``loss``) packets going from agent to peer, as ``tc
    qdisc add dev <agent end> root netem delay <delay> loss <loss>`` would."""
    agent, peer, n = _new_names()
    lab = Lab(agent, peer, f"ta{n}"[:15], f"tb{n}"[:15])
    run("ip", "netns", "add", agent)
    try:
        run("ip", "netns", "add", peer)
        try:
            wire = PeerProcess([sys.executable, "-m", "tests.exporters.probe.wire",
                                "--a", lab.agent_dev, "--b", lab.peer_dev, "--delay",
                                str(delay), "--loss", str(loss), "--seed", str(seed)],
                               "probe-wire", cwd=Path(__file__).resolve().parents[3])
            lab.wire = wire
            try:
                wire.wait_ready(lambda: "ready" in wire.output(), timeout=20)
                run("ip", "link", "set", lab.agent_dev, "netns", agent)
                run("ip", "link", "set", lab.peer_dev, "netns", peer)
                _address(lab)
                yield lab
            finally:
                wire.stop()
                # The TUN devices die with the wire's file descriptors; delete any left over.
                run("ip", "link", "del", lab.agent_dev, check=False)
                run("ip", "link", "del", lab.peer_dev, check=False)
        finally:
            run("ip", "netns", "del", peer, check=False)
    finally:
        run("ip", "netns", "del", agent, check=False)
