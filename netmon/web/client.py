"""The client side: a collector's ``tls`` in ``agent.yml``, like Prometheus's ``tls_config``.

    collectors:
      - url: https://10.10.0.10:9750
        tls:
          ca_file: /etc/netmon/ca.crt         # default: the system's CAs
          cert_file: /etc/netmon/agent.crt    # with key_file: mutual TLS
          key_file: /etc/netmon/agent.key
          server_name: collector-primary      # default: the url's host
          insecure_skip_verify: false         # never true outside a lab
          min_version: TLS12

Verification is on by default for every ``https://`` url, against the system's CAs when no
``ca_file`` is given; the host name (or IP address) checked is ``server_name`` or the url's
host. :func:`client_context` reads the files, so a wrong path or a key that does not match is
found when the agent's config is loaded, not at the first push.
"""

from __future__ import annotations

import os
import ssl
from dataclasses import dataclass

from exporters.errors import ConfigError
from netmon.web.ciphers import ssl_version
from netmon.web.config import TlsVersion

__all__ = ["TlsClientConfig", "client_context"]


@dataclass(frozen=True, slots=True)
class TlsClientConfig:
    ca_file: str = ""
    cert_file: str = ""
    key_file: str = ""
    server_name: str = ""
    insecure_skip_verify: bool = False
    min_version: TlsVersion = TlsVersion.TLS12

    def __post_init__(self) -> None:
        if bool(self.cert_file) != bool(self.key_file):
            raise ConfigError("tls: cert_file and key_file come together (mutual TLS); give "
                              "both or neither")


def client_context(config: TlsClientConfig) -> ssl.SSLContext:
    """A client context; raises ConfigError naming the file that cannot be loaded."""
    try:   # with a cafile, only that CA; without one, the system's
        context = ssl.create_default_context(cafile=config.ca_file or None)
    except FileNotFoundError:
        raise ConfigError(f"tls.ca_file {config.ca_file}: no such file. Fix the path."
                          ) from None
    except OSError as exc:
        raise ConfigError(f"tls.ca_file {config.ca_file}: cannot load the CA "
                          f"({getattr(exc, 'reason', None) or exc}). Give a PEM file."
                          ) from None
    context.minimum_version = ssl_version(config.min_version)
    if config.insecure_skip_verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if config.cert_file:
        for path in (config.cert_file, config.key_file):
            if not os.path.isfile(path):
                raise ConfigError(f"tls: {path}: no such file. Fix the path.")
        try:
            context.load_cert_chain(config.cert_file, config.key_file)
        except OSError as exc:
            raise ConfigError(f"tls: cannot load {config.cert_file} and {config.key_file} "
                              f"({getattr(exc, 'reason', None) or exc}). Check that both are "
                              "PEM and that the key matches the certificate.") from None
    return context
