"""The CLI exporter's configuration: typed, frozen, checked once in ``__post_init__``.

:func:`exporters.cli.config_load.load_cli_config` builds it from the ``cli:`` section of a
YAML file; a program may also build it directly. Durations are seconds. Defaults, and why:

* ``workers`` 10: the threads of the one pool shared by every CLI device of the process
  (:class:`~exporters.cli.pool.CliPool`). A session costs about 1 s of mostly waiting, so
  10 threads check 50 devices in about 5 s on two cores;
* ``conn_timeout`` 10 s: TCP connect, SSH handshake, login, the first prompt and ``enable``
  each get at most this long (netmiko would otherwise wait 20 s for a prompt);
* ``read_timeout`` 30 s per command: ``show running-config`` of a large router takes seconds;
* ``interval`` 60 s, like SNMP polls; ``timeout`` defaults to the interval. A run's worst case
  is ``conn_timeout + n x read_timeout`` (plus one reconnect after a timed-out command), so
  keep it under the timeout;
* ``enable`` true: run ``enable`` after login (nothing happens when the user already has
  privilege 15); ``show running-config`` needs it;
* ``known_hosts`` empty: any host key is accepted (netmiko's default; ward routers regenerate
  keys on replacement). Give an OpenSSH ``known_hosts`` file to refuse unknown keys.

Credentials are :class:`~exporters.secrets.Secret` values read from files or environment
variables by the loader; the username is not a secret and may be written in the config.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from exporters.cli.mapping import PlatformMapping
from exporters.errors import ConfigError
from exporters.secrets import Secret

__all__ = ["DEVICE_NAME", "CliConfig", "CliCredentials", "CliDeviceConfig"]

#: A device's name: the ``device`` label and the exporter's name ``cli:<name>``.
DEVICE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
_PLATFORM = re.compile(r"[a-z0-9_]+")


@dataclass(frozen=True, slots=True)
class CliCredentials:
    """How to log in: a username, a password and/or an SSH key file, an enable secret."""

    username: str
    password: Secret | None = None
    key_file: str = ""
    enable_secret: Secret | None = None

    def __post_init__(self) -> None:
        if not self.username or any(c.isspace() for c in self.username):
            raise ConfigError("username must be a non-empty name without spaces")
        if not self.password and not self.key_file:
            raise ConfigError("give a password (password_file or password_env) or a key_file")


@dataclass(frozen=True, slots=True)
class CliDeviceConfig:
    """One device: where it is, how to log in, which checks of its mapping to run."""

    name: str
    host: str
    credentials: CliCredentials
    mapping: PlatformMapping
    platform: str = "cisco_ios"
    port: int = 22
    checks: tuple[str, ...] = ()   # table names of the mapping (and "config"); () is all
    conn_timeout: float = 10.0
    read_timeout: float = 30.0
    interval: float = 60.0
    timeout: float | None = None
    enable: bool = True
    known_hosts: str = ""

    def __post_init__(self) -> None:
        if not DEVICE_NAME.fullmatch(self.name):
            raise ConfigError(f"device name {self.name!r} is not a valid name: use 1-128 ASCII "
                              "letters, digits, '.', '_', ':' or '-' (e.g. hn-bd-phucxa-r1)")
        if not self.host or any(c.isspace() for c in self.host):
            raise ConfigError(f"device {self.name}: host must be an address or name")
        if not 1 <= self.port <= 65535:
            raise ConfigError(f"device {self.name}: port {self.port} is not a TCP port")
        if not _PLATFORM.fullmatch(self.platform):
            raise ConfigError(f"device {self.name}: platform {self.platform!r} is not a "
                              "netmiko device type (e.g. cisco_ios)")
        for key in ("conn_timeout", "read_timeout", "interval"):
            if not getattr(self, key) > 0:
                raise ConfigError(f"device {self.name}: {key} must be longer than zero")
        if self.timeout is not None and not 0 < self.timeout <= self.interval:
            raise ConfigError(f"device {self.name}: timeout ({self.timeout:g}s) must be "
                              f"positive and at most the interval ({self.interval:g}s)")
        try:
            selected = self.mapping.select(self.checks)
        except KeyError as exc:
            raise ConfigError(
                f"device {self.name}: check {exc.args[0]!r} is not in {self.mapping.source} "
                f"(it has {', '.join(self.mapping.check_names)})") from None
        if not selected.commands:
            raise ConfigError(f"device {self.name}: {self.mapping.source} gives it no command "
                              "to run; add a table or a config_check to the mapping")
        if len(set(self.checks)) != len(self.checks):
            raise ConfigError(f"device {self.name}: a check is listed twice")

    @property
    def exporter_name(self) -> str:
        return f"cli:{self.name}"

    @property
    def run_timeout(self) -> float:
        """The harness's limit for one run: ``timeout``, or the interval."""
        return self.timeout if self.timeout is not None else self.interval

    @property
    def selected(self) -> PlatformMapping:
        """The mapping reduced to this device's checks."""
        return self.mapping.select(self.checks)


@dataclass(frozen=True, slots=True)
class CliConfig:
    """Every CLI device of a process, and the pool and state they share."""

    devices: tuple[CliDeviceConfig, ...] = ()
    workers: int = 10
    state_dir: str = ""   # where config-check state survives restarts; "" keeps it in memory

    def __post_init__(self) -> None:
        if not 1 <= self.workers <= 256:
            raise ConfigError(f"workers must be between 1 and 256, got {self.workers}")
        seen: set[str] = set()
        for device in self.devices:
            if device.name in seen:
                raise ConfigError(f"device name {device.name!r} is used twice; give each "
                                  "device its own name")
            seen.add(device.name)
