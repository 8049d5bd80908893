"""Hosts for Ansible on this machine: one network namespace per host, each with its own sshd.

Per ``../shared/RECIPES.md``: the hosts hang on a private Linux bridge in an address range of
their own (a /24 of 198.18.0.0/15, the benchmarking range, chosen from the pid and checked
against this machine's routes), and each runs ``sshd`` inside
``unshare --uts --mount``. Each host gets its own copy-on-write ``/etc``, ``/opt``, ``/var``
and ``/usr/local``: an overlay over this machine's, whose upper layer is ``<root>/<host>/upper``.
So users, configuration, the install root ``/opt/netmon``, the spool under ``/var/lib`` and
``/run`` (a tmpfs) are per host, while programs and Python come from the machine. The test
reads a host's files in its upper layer, or runs a command in its namespaces (:meth:`Lab.run`).

There is no systemd in the namespaces: the roles run with ``*_service_manager: none``, which
starts the rendered units with ``netmon-unit``.

:meth:`Lab.close` stops everything, even after a failure: Ansible's SSH control sockets
(``ssh -O exit``), every process in each host's network namespace (by pid: sshd, the agents,
the collector), then the namespaces and the bridge.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Final

_RANGE = ipaddress.ip_network("198.18.0.0/15")
_OVERLAYS = ("etc", "opt", "var", "usr/local")
_SSHD_CONFIG = """\
ListenAddress {address}:22
HostKey {root}/ssh_host_ed25519_key
PidFile {root}/sshd.pid
AuthorizedKeysFile {lab}/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
MaxStartups 100
MaxSessions 100
Subsystem sftp internal-sftp
LogLevel ERROR
"""


#: The rollout is the suite's heaviest user of CPU and runs beside the rest of the suite (two
#: pytest-xdist workers): everything of it (sshd and all it starts, ansible-playbook,
#: ansible-lint) runs niced, so it takes the CPU the timing-sensitive tests leave.
NICE: Final = ("nice", "-n", "10")


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["ip", *args], check=check, capture_output=True, text=True)


def _subnet(pid: int) -> ipaddress.IPv4Network:
    """A /24 of the benchmarking range that no route or address of this machine touches."""
    used = [ipaddress.ip_network(word, strict=False)
            for line in _ip("-4", "route", "show", "table", "all").stdout.splitlines()
            for word in line.split()[:1] if "/" in word]
    subnets = list(_RANGE.subnets(new_prefix=24))
    for offset in range(len(subnets)):
        candidate = subnets[(pid + offset) % len(subnets)]
        if not any(candidate.overlaps(net) for net in used):
            return candidate
    raise RuntimeError("no free /24 in 198.18.0.0/15")


@dataclass
class Host:
    name: str
    netns: str
    veth: str
    address: str
    root: Path
    sshd: subprocess.Popen[bytes] | None = None

    @property
    def upper(self) -> Path:
        """The host's own layer: its /etc, /opt, /var and /usr/local as written."""
        return self.root / "upper"

    def path(self, inside: str) -> Path:
        """Where a file the host wrote (``/var/lib/...``) is, seen from this machine."""
        return self.upper / inside.lstrip("/")


class Lab:
    def __init__(self, root: Path, names: list[str]) -> None:
        pid = os.getpid()
        self.root = root
        self.tag = f"nmr{pid % 10_000_000}"
        self.bridge = self.tag
        self.net = _subnet(pid)
        self.gateway = str(self.net[1])
        self.hosts = {name: Host(name, f"{self.tag}-{name}", f"{self.tag}h{i}",
                                 str(self.net[10 + i]), root / name)
                      for i, name in enumerate(names)}
        self.key = root / "id_ed25519"
        self.known_hosts = root / "known_hosts"
        self.control_dir = root / "cp"
        self._made_bridge = False
        self._made_netns: list[str] = []

    # --- start ------------------------------------------------------------------------------

    def start(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.control_dir.mkdir(exist_ok=True)
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(self.key)],
                       check=True)
        (self.root / "authorized_keys").write_text(self.key.with_suffix(".pub").read_text())
        _ip("link", "add", self.bridge, "type", "bridge")
        self._made_bridge = True
        _ip("addr", "add", f"{self.gateway}/24", "dev", self.bridge)
        _ip("link", "set", self.bridge, "up")
        known = []
        for host in self.hosts.values():
            known.append(self._start_host(host))
        self.known_hosts.write_text("".join(known))
        for host in self.hosts.values():
            self._wait_for_ssh(host)

    def _start_host(self, host: Host) -> str:
        _ip("netns", "add", host.netns)
        self._made_netns.append(host.netns)
        _ip("link", "add", host.veth, "type", "veth", "peer", "name", "eth0", "netns",
            host.netns)
        _ip("link", "set", host.veth, "master", self.bridge, "up")
        _ip("-n", host.netns, "addr", "add", f"{host.address}/24", "dev", "eth0")
        _ip("-n", host.netns, "link", "set", "lo", "up")
        _ip("-n", host.netns, "link", "set", "eth0", "up")
        host.root.mkdir(parents=True)
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f",
                        str(host.root / "ssh_host_ed25519_key")], check=True)
        config = host.root / "sshd_config"
        config.write_text(_SSHD_CONFIG.format(address=host.address, root=host.root,
                                              lab=self.root))
        mounts = []
        for part in _OVERLAYS:
            upper, work = host.root / "upper" / part, host.root / "work" / part
            upper.mkdir(parents=True)
            work.mkdir(parents=True)
            mounts.append(f"mount -t overlay overlay -o lowerdir=/{part},upperdir={upper},"
                          f"workdir={work} /{part}")
        script = "; ".join(["set -e", f"hostname {host.name}", *mounts,
                            "mount -t tmpfs -o mode=0755 tmpfs /run", "mkdir -p /run/sshd",
                            f"exec /usr/sbin/sshd -D -e -f {config}"])
        log = (host.root / "sshd.log").open("wb")
        host.sshd = subprocess.Popen(
            [*NICE, "ip", "netns", "exec", host.netns, "unshare", "--uts", "--mount",
             "--propagation", "private", "sh", "-c", script],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        log.close()
        public = (host.root / "ssh_host_ed25519_key.pub").read_text().split()
        return f"{host.address} {public[0]} {public[1]}\n"

    def _wait_for_ssh(self, host: Host) -> None:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            assert host.sshd is not None
            if host.sshd.poll() is not None:
                raise RuntimeError(f"sshd of {host.name} exited: "
                                   f"{(host.root / 'sshd.log').read_text()}")
            with contextlib.suppress(OSError), socket.create_connection((host.address, 22), 1):
                return
            time.sleep(0.1)
        raise RuntimeError(f"sshd of {host.name} does not answer on {host.address}:22")

    # --- use --------------------------------------------------------------------------------

    def ansible_env(self, vault_password_file: Path) -> dict[str, str]:
        """The environment for ansible-playbook against these hosts."""
        home = self.root / "ansible-home"
        home.mkdir(exist_ok=True)
        ssh_args = ("-o ControlMaster=auto -o ControlPersist=120s "
                    f"-o UserKnownHostsFile={self.known_hosts} -o StrictHostKeyChecking=yes "
                    "-o GlobalKnownHostsFile=/dev/null")
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("ANSIBLE_", "PIP_", "PYTHON"))}
        env.update({
            "ANSIBLE_CONFIG": str(Path(__file__).resolve().parents[2] / "ansible" / "ansible.cfg"),
            "ANSIBLE_HOME": str(home),
            "ANSIBLE_LOCAL_TEMP": str(home / "tmp"),
            "ANSIBLE_REMOTE_TEMP": "/var/tmp/ansible",
            "ANSIBLE_SSH_CONTROL_PATH_DIR": str(self.control_dir),
            "ANSIBLE_SSH_ARGS": ssh_args,
            "ANSIBLE_PRIVATE_KEY_FILE": str(self.key),
            "ANSIBLE_REMOTE_USER": "root",
            "ANSIBLE_VAULT_PASSWORD_FILE": str(vault_password_file),
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_FORCE_COLOR": "0",
            "ANSIBLE_STDOUT_CALLBACK": "default",
            "ANSIBLE_HOST_KEY_CHECKING": "True",
            "ANSIBLE_PYTHON_INTERPRETER": "/usr/bin/python3",
            "ANSIBLE_DEPRECATION_WARNINGS": "False",
        })
        return env

    def run(self, name: str, *command: str, check: bool = True,
            timeout: float = 60) -> subprocess.CompletedProcess[str]:
        """Run a command in a host's namespaces (its mounts, network and hostname)."""
        sshd = self.hosts[name].sshd
        assert sshd is not None
        return subprocess.run(["nsenter", "-t", str(sshd.pid), "-m", "-n", "-u", *command],
                              check=check, capture_output=True, text=True, timeout=timeout)

    def pids(self, name: str) -> list[int]:
        """Every process in the host's network namespace (all of them started for it)."""
        out = _ip("netns", "pids", self.hosts[name].netns, check=False).stdout
        return [int(p) for p in out.split()]

    # --- stop -------------------------------------------------------------------------------

    def close(self) -> None:
        if self.control_dir.is_dir():
            for socket_path in self.control_dir.iterdir():
                subprocess.run(["ssh", "-O", "exit", "-o", f"ControlPath={socket_path}", "lab"],
                               capture_output=True, check=False, timeout=10)
        for host in self.hosts.values():
            self._stop_processes(host)
        for netns in self._made_netns:
            _ip("netns", "del", netns, check=False)
        if self._made_bridge:
            _ip("link", "del", self.bridge, check=False)
        for host in self.hosts.values():  # the virtualenvs are most of the bytes
            shutil.rmtree(host.upper / "opt", ignore_errors=True)

    def _stop_processes(self, host: Host) -> None:
        pids = self.pids(host.name) if host.netns in self._made_netns else []
        for sig in (signal.SIGTERM, signal.SIGKILL):
            for pid in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGCONT)
                    os.kill(pid, sig)
            deadline = time.monotonic() + 5
            while pids and time.monotonic() < deadline:
                pids = [p for p in pids if Path(f"/proc/{p}").exists()
                        and _state(p) != "Z"]
                time.sleep(0.05)
            if not pids:
                break
        if host.sshd is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                host.sshd.wait(timeout=5)


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return "Z"
