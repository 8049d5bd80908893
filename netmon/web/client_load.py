"""Read a client ``tls:`` mapping (Prometheus's ``tls_config``): the agent's
``collectors[].tls`` and the collector's ``sharding.tls`` use the same keys and the same
checks. The files are loaded here, so a wrong path or a key that does not match its
certificate is found by ``--check-config``, not at the first connection."""

from __future__ import annotations

from pathlib import Path
from typing import Final

from yaml.nodes import Node

from exporters.snmp.yaml_nodes import Where, boolean, checked, fields, string
from netmon.web.client import TlsClientConfig, client_context
from netmon.web.config import TlsVersion

__all__ = ["TLS_KEYS", "config_path", "parse_tls_client"]

TLS_KEYS: Final = frozenset({"ca_file", "cert_file", "key_file", "server_name",
                             "insecure_skip_verify", "min_version"})


def config_path(node: Node, where: Where, key: str, base: Path) -> str:
    """A file named in a config file: relative to ``base`` (the config file's directory)."""
    text = string(node, where, key)
    if not text:
        raise where.error(node, f"{key} is empty", f"Give {key} a path.")
    return str(base / text)


def parse_tls_client(node: Node, where: Where, base: Path) -> TlsClientConfig:
    """The ``tls:`` mapping at ``node``; relative paths are relative to ``base``."""
    f = fields(node, where, TLS_KEYS)
    paths = {key: config_path(f[key], where, key, base)
             for key in ("ca_file", "cert_file", "key_file") if key in f}
    version = TlsVersion.TLS12
    if "min_version" in f:
        text = string(f["min_version"], where, "min_version")
        if text not in TlsVersion.__members__:
            raise where.error(f["min_version"], f"min_version {text!r} is not a TLS "
                              "version", "Use TLS12 or TLS13.")
        version = TlsVersion[text]
    config = checked(node, where, lambda: TlsClientConfig(
        **paths,
        server_name=string(f["server_name"], where, "server_name")
        if "server_name" in f else "",
        insecure_skip_verify=boolean(f["insecure_skip_verify"], where,
                                     "insecure_skip_verify")
        if "insecure_skip_verify" in f else False,
        min_version=version))
    checked(node, where, lambda: client_context(config))
    return config
