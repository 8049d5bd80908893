"""Helpers shared by the CLI exporter's tests: netmon's shipped Cisco IOS mapping, devices
built on it, and lookups into a rendered exposition."""

from __future__ import annotations

import functools

from exporters.cli import CliCredentials, CliDeviceConfig
from exporters.cli.mapping import PlatformMapping
from exporters.cli.mapping_load import default_mapping_path, load_mapping
from exporters.secrets import Secret
from tests.exporters.cli.fakenos_peer import ENABLE_SECRET, PASSWORD, USERNAME
from tests.peers.exposition import Exposition


@functools.cache
def shipped_mapping() -> PlatformMapping:
    path = default_mapping_path("cisco_ios")
    assert path is not None
    return load_mapping(path)


def credentials(password: str = PASSWORD, enable_secret: str = "") -> CliCredentials:
    return CliCredentials(USERNAME, Secret(password),
                          enable_secret=Secret(enable_secret) if enable_secret else None)


def device(name: str, port: int = 22, *, password: str = PASSWORD,
           enable_secret: str = ENABLE_SECRET, **options: object) -> CliDeviceConfig:
    """A device on 127.0.0.1 with the shipped mapping and short timeouts."""
    settings: dict[str, object] = {"conn_timeout": 3.0, "read_timeout": 5.0, **options}
    return CliDeviceConfig(name, "127.0.0.1", credentials(password, enable_secret),
                           shipped_mapping(), port=port, **settings)  # type: ignore[arg-type]


def value(expo: Exposition, name: str, **labels: str) -> float:
    return expo.values[(name, frozenset(labels.items()))]
