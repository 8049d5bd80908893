"""Build a :class:`~exporters.cli.config.CliConfig` from the ``cli:`` section of a YAML file,
given as the plain mapping ``yaml.safe_load`` returns::

    cli:
      workers: 10                          # threads shared by every device (default 10)
      state_dir: /var/lib/netmon/agent/cli # config-check state across restarts (optional)
      credentials:                         # named, shared by devices (like snmp.yml's auths)
        ward_ro:
          username: netmon                 # or username_env: NAME
          password_file: /etc/netmon/cli/ward_ro.password   # or password_env: NAME
          # key_file: /etc/netmon/cli/ward_ro.key           # SSH key (password optional then)
          # enable_secret_file: ... / enable_secret_env: NAME
      devices:
        - name: hn-bd-phucxa-r1            # the device label; the exporter is cli:<name>
          host: 10.1.2.1
          credentials: ward_ro
          # port: 22, platform: cisco_ios, checks: [interfaces, ip_sla, bgp, config],
          # mapping_file: <path> (default: netmon's for the platform), conn_timeout: 10s,
          # read_timeout: 30s, interval: 60s, timeout: <= interval, enable: true,
          # known_hosts: <OpenSSH known_hosts file; default: accept any host key>

An unknown key is refused with its path (``cli.devices[0]: unknown key 'hots'``) and the keys
allowed there. Durations are Go-style strings (``30s``, ``1m``) or numbers of seconds.
Relative paths are relative to ``base`` (the folder of the file). Credential files must be
private (mode 0600 or stricter) and are read here, once, into
:class:`~exporters.secrets.Secret` values; environment variables are read from ``environ``
(default ``os.environ``). No message ever contains a credential. Each mapping file is loaded
once, its templates compiled, and each device's ``checks`` checked against it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TypeVar

from exporters.cli.config import CliConfig, CliCredentials, CliDeviceConfig
from exporters.cli.mapping import PlatformMapping
from exporters.cli.mapping_load import default_mapping_path, load_mapping
from exporters.cli.pool import DEFAULT_WORKERS
from exporters.cli.secret_files import check_private_file, read_secret_file, secret_from_env
from exporters.errors import ConfigError
from exporters.secrets import Secret
from exporters.snmp.go_syntax import parse_go_duration

__all__ = ["load_cli_config"]

_TOP = frozenset({"workers", "state_dir", "credentials", "devices"})
_CREDENTIALS = frozenset({"username", "username_env", "password_file", "password_env",
                          "key_file", "enable_secret_file", "enable_secret_env"})
_DEVICE = frozenset({"name", "host", "port", "platform", "credentials", "checks",
                     "mapping_file", "conn_timeout", "read_timeout", "interval", "timeout",
                     "enable", "known_hosts"})


T = TypeVar("T")


def netmiko_platforms() -> frozenset[str]:
    """netmiko's SSH device types (imported only when a device is configured)."""
    from netmiko.ssh_dispatcher import CLASS_MAPPER

    return frozenset(CLASS_MAPPER)


class _Reader:
    def __init__(self, source: str, base: Path, environ: Mapping[str, str]) -> None:
        self.source = source
        self.base = base
        self.environ = environ
        self.mappings: dict[Path, PlatformMapping] = {}

    def error(self, where: str, what: str, fix: str = "") -> ConfigError:
        return ConfigError(f"{self.source}: {where}: {what}." + (f" {fix}" if fix else ""))

    def fields(self, data: object, where: str, allowed: frozenset[str],
               required: tuple[str, ...] = ()) -> dict[str, object]:
        if data is None:
            data = {}
        if not isinstance(data, Mapping):
            raise self.error(where, f"expected a mapping, found {type(data).__name__}",
                             "Indent its keys under it.")
        for key in data:
            if key not in allowed:
                raise self.error(where, f"unknown key {key!r} (allowed: "
                                 f"{', '.join(sorted(allowed))})",
                                 "Remove it or correct its spelling.")
        for key in required:
            if key not in data:
                raise self.error(where, f"missing required key {key!r}", f"Add {key}:.")
        return dict(data)

    def string(self, value: object, where: str) -> str:
        if not isinstance(value, str) or not value:
            raise self.error(where, "must be a non-empty string")
        return value

    def integer(self, value: object, where: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(where, "must be an integer")
        return value

    def boolean(self, value: object, where: str) -> bool:
        if not isinstance(value, bool):
            raise self.error(where, "must be true or false")
        return value

    def duration(self, value: object, where: str) -> float:
        if isinstance(value, bool):
            raise self.error(where, "must be a duration")
        if isinstance(value, int | float):
            seconds = float(value)
        elif isinstance(value, str) and (ns := parse_go_duration(value)) is not None:
            seconds = ns / 1e9
        else:
            raise self.error(where, f"{value!r} is not a duration",
                             "Write a duration such as 10s, 1m or 500ms, or seconds.")
        if not seconds > 0:
            raise self.error(where, "must be longer than zero")
        return seconds

    def path(self, value: object, where: str) -> str:
        return str(self.base / self.string(value, where))

    def secret(self, f: dict[str, object], key: str, where: str, what: str) -> Secret | None:
        file_key, env_key = f"{key}_file", f"{key}_env"
        if file_key in f and env_key in f:
            raise self.error(where, f"{file_key} and {env_key} are both set",
                             "Keep one of them.")
        try:
            if file_key in f:
                return read_secret_file(self.path(f[file_key], f"{where}.{file_key}"), what)
            if env_key in f:
                return secret_from_env(self.string(f[env_key], f"{where}.{env_key}"), what,
                                       self.environ)
        except ConfigError as exc:
            raise self.error(where, str(exc).rstrip(".")) from None
        return None

    def credentials(self, data: object, where: str) -> CliCredentials:
        f = self.fields(data, where, _CREDENTIALS)
        if ("username" in f) == ("username_env" in f):
            raise self.error(where, "give exactly one of username and username_env")
        username = (self.string(f["username"], f"{where}.username") if "username" in f else
                    secret_from_env(self.string(f["username_env"], f"{where}.username_env"),
                                    "username", self.environ).reveal())
        key_file = ""
        if "key_file" in f:
            key_file = self.path(f["key_file"], f"{where}.key_file")
            try:
                check_private_file(key_file, "SSH key")
            except ConfigError as exc:
                raise self.error(f"{where}.key_file", str(exc).rstrip(".")) from None
        password = self.secret(f, "password", where, "password")
        enable = self.secret(f, "enable_secret", where, "enable secret")
        return self.checked(where, lambda: CliCredentials(username, password, key_file, enable))

    def mapping(self, f: dict[str, object], platform: str, where: str) -> PlatformMapping:
        if "mapping_file" in f:
            path = Path(self.path(f["mapping_file"], f"{where}.mapping_file"))
        else:
            shipped = default_mapping_path(platform)
            if shipped is None:
                raise self.error(where, f"netmon ships no mapping for platform {platform!r}",
                                 "Give a mapping_file: for it (see netmon's "
                                 "exporters/cli/mappings/cisco_ios.yml).")
            path = shipped
        if path not in self.mappings:
            self.mappings[path] = load_mapping(path)
        return self.mappings[path]

    def device(self, data: object, where: str,
               credentials: dict[str, CliCredentials]) -> CliDeviceConfig:
        f = self.fields(data, where, _DEVICE, required=("name", "host", "credentials"))
        name = self.string(f["name"], f"{where}.name")
        where = f"{where} ({name})"
        auth = self.string(f["credentials"], f"{where}.credentials")
        if auth not in credentials:
            raise self.error(f"{where}.credentials", f"no credentials named {auth!r} "
                             f"(defined: {', '.join(sorted(credentials)) or 'none'})",
                             "Define it under cli.credentials.")
        platform = (self.string(f["platform"], f"{where}.platform") if "platform" in f
                    else "cisco_ios")
        if platform not in netmiko_platforms():
            raise self.error(f"{where}.platform", f"{platform!r} is not a netmiko device type",
                             "Use netmiko's name for it, e.g. cisco_ios or cisco_xe.")
        checks = f.get("checks", [])
        if not isinstance(checks, list):
            raise self.error(f"{where}.checks", "must be a list of check names")
        options: dict[str, object] = {
            "platform": platform,
            "checks": tuple(self.string(c, f"{where}.checks[{i}]") for i, c in enumerate(checks)),
        }
        if "port" in f:
            options["port"] = self.integer(f["port"], f"{where}.port")
        for key in ("conn_timeout", "read_timeout", "interval", "timeout"):
            if key in f:
                options[key] = self.duration(f[key], f"{where}.{key}")
        if "enable" in f:
            options["enable"] = self.boolean(f["enable"], f"{where}.enable")
        if "known_hosts" in f:
            known_hosts = self.path(f["known_hosts"], f"{where}.known_hosts")
            if not Path(known_hosts).is_file():
                raise self.error(f"{where}.known_hosts", f"{known_hosts} is not a file",
                                 "Give an OpenSSH known_hosts file with the device's key.")
            options["known_hosts"] = known_hosts
        mapping = self.mapping(f, platform, where)
        host = self.string(f["host"], f"{where}.host")
        return self.checked(where, lambda: CliDeviceConfig(
            name=name, host=host, credentials=credentials[auth], mapping=mapping,
            **options))  # type: ignore[arg-type]

    def checked(self, where: str, build: Callable[[], T]) -> T:
        try:
            return build()
        except ConfigError as exc:
            raise self.error(where, str(exc)) from None


def load_cli_config(data: Mapping[str, object] | None, *, source: str = "cli",
                    base: str | Path = ".",
                    environ: Mapping[str, str] | None = None) -> CliConfig:
    """The ``cli:`` section (``data``, as ``yaml.safe_load`` gives it; None for none) as a
    checked :class:`CliConfig`. ``source`` names the file in messages (``agent.yml``),
    ``base`` anchors relative paths, ``environ`` defaults to ``os.environ``."""
    reader = _Reader(source, Path(base), os.environ if environ is None else environ)
    top = reader.fields(data, "cli", _TOP)
    credentials_data = top.get("credentials") or {}
    if not isinstance(credentials_data, Mapping):
        raise reader.error("cli.credentials", "must be a mapping of names to credentials")
    credentials = {str(name): reader.credentials(value, f"cli.credentials.{name}")
                   for name, value in credentials_data.items()}
    devices_data = top.get("devices") or []
    if not isinstance(devices_data, list):
        raise reader.error("cli.devices", "must be a list of devices")
    devices = tuple(reader.device(d, f"cli.devices[{i}]", credentials)
                    for i, d in enumerate(devices_data))
    workers = (reader.integer(top["workers"], "cli.workers") if "workers" in top
               else DEFAULT_WORKERS)
    state_dir = reader.path(top["state_dir"], "cli.state_dir") if "state_dir" in top else ""
    return reader.checked("cli", lambda: CliConfig(devices, workers, state_dir))
