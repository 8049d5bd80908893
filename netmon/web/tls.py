"""The listener's ``ssl.SSLContext``, re-built when its certificate files change.

    tls = ServerTls(config.tls)        # reads and checks the files now (ConfigError if bad)
    await loop.create_server(..., ssl=tls.context)

exporter-toolkit reloads the certificate on every handshake (``GetConfigForClient``). Python
hands the listener one context; its ``sni_callback`` runs for every ClientHello (with or
without SNI), and there :class:`ServerTls` swaps in the current context: it ``stat``\\s the
certificate, key and client CA files (inode, size, mtime: three syscalls a handshake) and
builds a new context when one changed, so a renewed certificate is served from the next
connection on, without a restart or a signal. A rebuild that fails (a key written after its
certificate, a half-written file) keeps the previous context and logs once per state of the
files; the next handshake tries again.

What moves with the swap is OpenSSL's ``SSL_set_SSL_CTX``: the certificate, the key and the
client-CA store. The TLS versions, the client auth mode and the ciphers stay those of the
context built at start (they come from the web-config file, which is read at start only).

Mapping from Go's crypto/tls: ``min_version``/``max_version`` set the context's bounds;
``cipher_suites`` (TLS <= 1.2 only, see :mod:`netmon.web.ciphers`) become an OpenSSL cipher
string; ``prefer_server_cipher_suites`` is ``OP_CIPHER_SERVER_PREFERENCE``;
``curve_preferences`` with one curve restricts the key exchange to it, while a list of several
keeps OpenSSL's default groups (X25519, P-256, X448, P-521, P-384) with a warning: Python's
ssl sets a single group (``set_ecdh_curve``), and restricting a list to its first entry would
refuse clients the operator meant to admit. ``client_auth_type`` is ``verify_mode``:
``VerifyClientCertIfGiven`` is ``CERT_OPTIONAL``, ``RequireAndVerifyClientCert``
``CERT_REQUIRED``.
"""

from __future__ import annotations

import logging
import os
import ssl
from pathlib import Path

from exporters.errors import ConfigError
from netmon.web.ciphers import ssl_version
from netmon.web.config import ClientAuth, TlsServerConfig

log = logging.getLogger(__name__)

__all__ = ["ServerTls", "server_context"]

_Signature = tuple[tuple[int, int, int, int], ...]

_VERIFY = {ClientAuth.NO_CLIENT_CERT: ssl.CERT_NONE,
           ClientAuth.VERIFY_CLIENT_CERT_IF_GIVEN: ssl.CERT_OPTIONAL,
           ClientAuth.REQUIRE_AND_VERIFY_CLIENT_CERT: ssl.CERT_REQUIRED}


def server_context(config: TlsServerConfig) -> ssl.SSLContext:
    """A server context for ``config``; raises ConfigError naming the file that is wrong."""
    if config.cert_file is None or config.key_file is None:
        raise ConfigError("TLS needs cert_file and key_file")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl_version(config.min_version)
    context.maximum_version = ssl_version(config.max_version)
    if config.prefer_server_cipher_suites:
        context.options |= ssl.OP_CIPHER_SERVER_PREFERENCE
    if config.ciphers:
        try:
            context.set_ciphers(":".join(config.ciphers))
        except ssl.SSLError:
            raise ConfigError(f"cipher_suites: OpenSSL {ssl.OPENSSL_VERSION} supports none of "
                              f"{', '.join(config.ciphers)}. Choose other suites.") from None
    if len(config.curves) == 1:
        context.set_ecdh_curve(config.curves[0])
    elif len(config.curves) > 1:
        log.warning("curve_preferences lists %d curves; Python's ssl sets only one, so "
                    "OpenSSL's default groups are kept", len(config.curves))
    for path in config.files:
        if not path.is_file():
            raise ConfigError(f"{path}: no such file (tls_server_config). Fix the path "
                              "(relative paths are relative to the web-config file).")
    try:
        context.load_cert_chain(config.cert_file, config.key_file)
    except OSError as exc:   # ssl.SSLError is an OSError
        raise ConfigError(f"{config.cert_file}, {config.key_file}: cannot load the "
                          f"certificate and key ({_reason(exc)}). Check that both are PEM and "
                          "that the key matches the certificate.") from None
    context.verify_mode = _VERIFY[config.client_auth]
    if config.client_ca_file is not None:
        try:
            context.load_verify_locations(cafile=config.client_ca_file)
        except OSError as exc:
            raise ConfigError(f"{config.client_ca_file}: cannot load the client CA "
                              f"({_reason(exc)}). Give a PEM file of CA certificates."
                              ) from None
    return context


def _reason(exc: OSError) -> str:
    return str(getattr(exc, "reason", None) or exc.strerror or exc)


def _signature(paths: tuple[Path, ...]) -> _Signature:
    out = []
    for path in paths:
        try:
            st = os.stat(path)
        except OSError:
            out.append((0, 0, 0, 0))
        else:
            out.append((st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns))
    return tuple(out)


class ServerTls:
    """The listener's context, and the current one swapped in at every handshake."""

    def __init__(self, config: TlsServerConfig) -> None:
        self.config = config
        self._signature = _signature(config.files)
        self._current = server_context(config)
        self._failed: _Signature | None = None
        #: Rebuilds after a change of the files (for tests and logs).
        self.reloads = 0
        #: What the listener is given: the settings of every connection, and the callback.
        self.context = server_context(config)
        self.context.sni_callback = self._hello

    def _hello(self, sslobj: ssl.SSLObject | ssl.SSLSocket, server_name: str | None,
               context: ssl.SSLContext) -> None:
        sslobj.context = self.current()

    def current(self) -> ssl.SSLContext:
        """The context for the files as they are now (rebuilt when they changed)."""
        signature = _signature(self.config.files)
        if signature in (self._signature, self._failed):
            return self._current
        try:
            context = server_context(self.config)
        except ConfigError as exc:
            self._failed = signature
            log.error("TLS files changed but cannot be loaded, still serving the previous "
                      "certificate error=%s", exc)
            return self._current
        self._current, self._signature, self._failed = context, signature, None
        self.reloads += 1
        log.info("TLS certificate reloaded cert=%s", self.config.cert_file)
        return context
