"""exporter-toolkit's ``web-config.yml``, as typed frozen objects.

    tls_server_config:
      cert_file: server.crt            # with key_file: serve TLS; both absent: plain HTTP
      key_file: server.key
      client_auth_type: RequireAndVerifyClientCert
      client_ca_file: ca.crt
      client_allowed_sans: [hn-bd-phucxa]
      min_version: TLS12               # TLS10 TLS11 TLS12 TLS13 (default TLS12)
      max_version: TLS13
      cipher_suites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256]   # Go names (TLS <= 1.2)
      curve_preferences: [X25519]
      prefer_server_cipher_suites: true
    http_server_config:
      http2: true                      # accepted; aiohttp serves HTTP/1.1 only
      headers: {X-Frame-Options: deny}
    basic_auth_users:
      prometheus: $2b$12$...           # bcrypt hashes

Loaded by :mod:`netmon.web.config_load`. Decisions where Python's ``ssl`` differs from Go's
``crypto/tls`` are documented on the fields and in :mod:`netmon.web.tls`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from pathlib import Path

from exporters.secrets import Secret

__all__ = ["ClientAuth", "HttpServerConfig", "TlsServerConfig", "TlsVersion", "WebConfig"]


class ClientAuth(enum.Enum):
    """Go's ``tls.ClientAuthType`` names. Python's ssl verifies every certificate a client
    sends (there is no "request but do not verify"), so ``RequestClientCert`` and
    ``RequireAnyClientCert`` (certificates accepted unverified) are refused by the loader with
    the mode to use instead."""

    NO_CLIENT_CERT = "NoClientCert"
    REQUEST_CLIENT_CERT = "RequestClientCert"
    REQUIRE_ANY_CLIENT_CERT = "RequireAnyClientCert"
    VERIFY_CLIENT_CERT_IF_GIVEN = "VerifyClientCertIfGiven"
    REQUIRE_AND_VERIFY_CLIENT_CERT = "RequireAndVerifyClientCert"


class TlsVersion(enum.IntEnum):
    """exporter-toolkit's version names; the values order them."""

    TLS10 = 10
    TLS11 = 11
    TLS12 = 12
    TLS13 = 13


@dataclass(frozen=True, slots=True)
class TlsServerConfig:
    """``tls_server_config``; paths are absolute (resolved against the web-config file)."""

    cert_file: Path | None = None
    key_file: Path | None = None
    client_auth: ClientAuth = ClientAuth.NO_CLIENT_CERT
    client_ca_file: Path | None = None
    client_allowed_sans: tuple[str, ...] = ()
    min_version: TlsVersion = TlsVersion.TLS12
    max_version: TlsVersion = TlsVersion.TLS13
    #: OpenSSL names of the configured TLS <= 1.2 suites (empty: OpenSSL's defaults).
    ciphers: tuple[str, ...] = ()
    #: OpenSSL group names; Python's ssl can set only one (see netmon.web.tls).
    curves: tuple[str, ...] = ()
    prefer_server_cipher_suites: bool = True

    @property
    def enabled(self) -> bool:
        """TLS is served: the loader guarantees cert_file and key_file come together."""
        return self.cert_file is not None

    @property
    def files(self) -> tuple[Path, ...]:
        """The files whose change rebuilds the context (certificate, key, client CA)."""
        return tuple(p for p in (self.cert_file, self.key_file, self.client_ca_file)
                     if p is not None)


@dataclass(frozen=True, slots=True)
class HttpServerConfig:
    """``http_server_config``. ``http2`` is read and ignored: aiohttp serves HTTP/1.1."""

    http2: bool = True
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class WebConfig:
    """One web-config file: TLS, response headers and basic-auth users (bcrypt hashes)."""

    tls: TlsServerConfig = field(default_factory=TlsServerConfig)
    http: HttpServerConfig = field(default_factory=HttpServerConfig)
    users: tuple[tuple[str, Secret], ...] = ()
    #: The file it was read from ("" when built in code), for messages.
    source: str = ""

    @property
    def scheme(self) -> str:
        return "https" if self.tls.enabled else "http"
