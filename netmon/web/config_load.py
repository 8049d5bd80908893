"""Read exporter-toolkit's ``web-config.yml`` into a :class:`~netmon.web.config.WebConfig`,
strictly.

exporter-toolkit reads the file with yaml.v2's ``UnmarshalStrict``: an unknown key is an
error. So is it here, with the file, the line, the key and a fix (the helpers of
:mod:`exporters.snmp.yaml_nodes`). Besides, as exporter-toolkit does:

* relative ``cert_file``, ``key_file`` and ``client_ca_file`` are relative to the web-config
  file's directory; ``cert_file`` and ``key_file`` come together (neither: plain HTTP);
* ``client_ca_file`` needs a ``client_auth_type`` that verifies; ``client_allowed_sans``
  needs ``RequireAndVerifyClientCert`` (a client that sends no certificate has no SAN);
* ``headers`` only the five exporter-toolkit allows (``Strict-Transport-Security``,
  ``X-Content-Type-Options: nosniff``, ``X-Frame-Options: deny|sameorigin``,
  ``X-XSS-Protection``, ``Content-Security-Policy``);
* ``basic_auth_users`` values must be bcrypt hashes (``$2a$``, ``$2b$``, ``$2y$``).

Where Python's ssl cannot do what Go does, the file is refused with the reason (never
silently weakened): ``RequestClientCert`` and ``RequireAnyClientCert`` (unverified client
certificates), and the keys newer exporter-toolkits added that node_exporter 1.5 does not
read (``cert``, ``key``, ``client_ca`` inline PEM, ``rate_limit``). TLS 1.3 cipher names are
accepted and ignored with a warning (see :mod:`netmon.web.ciphers`).

The certificate files are read (and checked) when the context is built
(:func:`netmon.web.tls.server_context`), not here.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Final

from yaml.nodes import Node

from exporters.errors import ConfigError
from exporters.secrets import Secret
from exporters.snmp.yaml_nodes import (
    NULL_NODE,
    Where,
    boolean,
    compose,
    entries,
    fields,
    items,
    string,
)
from netmon.web.ciphers import CIPHERS, CURVES, INSECURE_CIPHERS, TLS13_CIPHERS
from netmon.web.config import (
    ClientAuth,
    HttpServerConfig,
    TlsServerConfig,
    TlsVersion,
    WebConfig,
)

log = logging.getLogger(__name__)

__all__ = ["load_web_config", "parse_web_config"]

_TOP: Final = frozenset({"tls_server_config", "http_server_config", "basic_auth_users"})
_TLS: Final = frozenset({"cert_file", "key_file", "client_auth_type", "client_ca_file",
                         "client_allowed_sans", "min_version", "max_version", "cipher_suites",
                         "curve_preferences", "prefer_server_cipher_suites"})
_HTTP: Final = frozenset({"http2", "headers"})
#: Keys of newer exporter-toolkits that netmon does not implement, with what to use.
_UNSUPPORTED: Final = {
    "cert": "cert_file", "key": "key_file", "client_ca": "client_ca_file",
    "rate_limit": "a reverse proxy's rate limit (node_exporter 1.5 does not read it either)"}
_HEADERS: Final[dict[str, tuple[str, ...]]] = {
    "Strict-Transport-Security": (), "X-Content-Type-Options": ("nosniff",),
    "X-Frame-Options": ("deny", "sameorigin"), "X-XSS-Protection": (),
    "Content-Security-Policy": ()}
_BCRYPT: Final = re.compile(r"^\$2[abxy]?\$(0[4-9]|[12]\d|3[01])\$[./A-Za-z0-9]{53}$")
_VERIFYING: Final = frozenset({ClientAuth.VERIFY_CLIENT_CERT_IF_GIVEN,
                               ClientAuth.REQUIRE_AND_VERIFY_CLIENT_CERT})


def _strict(node: Node, where: Where, allowed: frozenset[str]) -> dict[str, Node]:
    """:func:`fields`, but a key newer exporter-toolkits know gets its own message."""
    from yaml.nodes import MappingNode

    if isinstance(node, MappingNode):
        for key_node, _ in node.value:
            replacement = _UNSUPPORTED.get(str(key_node.value))
            if replacement is not None:
                raise where.error(key_node, f"{key_node.value!r} is a key of newer "
                                  "exporter-toolkits that netmon does not support",
                                  f"Use {replacement} instead.")
    return fields(node, where, allowed)


def _path(node: Node, where: Where, key: str, base: Path) -> Path | None:
    text = string(node, where, key)
    if not text:
        return None
    path = Path(text)
    return path if path.is_absolute() else base / path


def _version(node: Node, where: Where, key: str) -> TlsVersion:
    text = string(node, where, key)
    try:
        return TlsVersion[text]
    except KeyError:
        raise where.error(node, f"{key} {text!r} is not a TLS version",
                          "Use TLS10, TLS11, TLS12 or TLS13.") from None


def _client_auth(node: Node, where: Where) -> ClientAuth:
    text = string(node, where, "client_auth_type")
    if text in ("", "NoClientCert"):
        return ClientAuth.NO_CLIENT_CERT
    if text in ("RequestClientCert", "RequireAnyClientCert", "RequireClientCert"):
        raise where.error(node, f"client_auth_type {text} accepts client certificates without "
                          "verifying them, which Python's ssl cannot do (and which proves "
                          "nothing about the client)",
                          "Use VerifyClientCertIfGiven or RequireAndVerifyClientCert with "
                          "client_ca_file.")
    try:
        return ClientAuth(text)
    except ValueError:
        raise where.error(node, f"client_auth_type {text!r} is not a client auth type",
                          "Use NoClientCert, VerifyClientCertIfGiven or "
                          "RequireAndVerifyClientCert.") from None


def _ciphers(node: Node, where: Where) -> tuple[str, ...]:
    out: list[str] = []
    ignored: list[str] = []
    for item in items(node, where, "cipher_suites"):
        name = string(item, where, "cipher_suites")
        if name in TLS13_CIPHERS:
            ignored.append(name)
        elif name in INSECURE_CIPHERS:
            raise where.error(item, f"cipher suite {name} is insecure (Go's "
                              "InsecureCipherSuites; exporter-toolkit refuses it too)",
                              "Remove it; use an ECDHE suite with AES-GCM or ChaCha20.")
        elif name in CIPHERS:
            out.append(CIPHERS[name])
        else:
            raise where.error(item, f"unknown cipher suite {name!r}",
                              "Use Go's names, e.g. TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256.")
    if ignored:
        log.warning("cipher_suites lists TLS 1.3 suites, which cannot be configured (in Go "
                    "as in Python) and are ignored source=%s suites=%s", where.source,
                    ",".join(ignored))
    return tuple(out)


def _curves(node: Node, where: Where) -> tuple[str, ...]:
    out = []
    for item in items(node, where, "curve_preferences"):
        name = string(item, where, "curve_preferences")
        if name not in CURVES:
            raise where.error(item, f"unknown curve {name!r}",
                              "Use CurveP256, CurveP384, CurveP521 or X25519.")
        out.append(CURVES[name])
    return tuple(out)


def _tls(node: Node, where: Where, base: Path) -> TlsServerConfig:
    at = where.child("tls_server_config")
    f = _strict(node, at, _TLS)
    cert = _path(f["cert_file"], at, "cert_file", base) if "cert_file" in f else None
    key = _path(f["key_file"], at, "key_file", base) if "key_file" in f else None
    auth = (_client_auth(f["client_auth_type"], at) if "client_auth_type" in f
            else ClientAuth.NO_CLIENT_CERT)
    ca = _path(f["client_ca_file"], at, "client_ca_file", base) if "client_ca_file" in f \
        else None
    sans = tuple(string(i, at, "client_allowed_sans")
                 for i in items(f.get("client_allowed_sans", NULL_NODE), at,
                                "client_allowed_sans"))
    missing = ("cert_file" if cert is None and (key is not None or ca is not None or sans
                                                or auth is not ClientAuth.NO_CLIENT_CERT)
               else "key_file" if cert is not None and key is None else "")
    if missing:
        raise at.error(node, f"missing {missing}",
                       "Give both cert_file and key_file (TLS), or neither (plain HTTP).")
    if auth in _VERIFYING and ca is None:
        raise at.error(f["client_auth_type"], f"client_auth_type {auth.value} needs "
                       "client_ca_file", "Add client_ca_file: with the CA that signs the "
                       "clients' certificates.")
    if ca is not None and auth not in _VERIFYING:
        raise at.error(f["client_ca_file"], "client CA's have been configured without a "
                       "client auth policy", "Set client_auth_type: RequireAndVerifyClientCert "
                       "(or VerifyClientCertIfGiven).")
    if sans and auth is not ClientAuth.REQUIRE_AND_VERIFY_CLIENT_CERT:
        raise at.error(f["client_allowed_sans"], "client_allowed_sans requires "
                       "client_auth_type RequireAndVerifyClientCert",
                       "Set client_auth_type: RequireAndVerifyClientCert.")
    low = _version(f["min_version"], at, "min_version") if "min_version" in f \
        else TlsVersion.TLS12
    high = _version(f["max_version"], at, "max_version") if "max_version" in f \
        else TlsVersion.TLS13
    if low > high:
        raise at.error(f["min_version"], f"min_version {low.name} is above max_version "
                       f"{high.name}", "Lower min_version or raise max_version.")
    return TlsServerConfig(
        cert_file=cert, key_file=key, client_auth=auth, client_ca_file=ca,
        client_allowed_sans=sans, min_version=low, max_version=high,
        ciphers=_ciphers(f.get("cipher_suites", NULL_NODE), at),
        curves=_curves(f.get("curve_preferences", NULL_NODE), at),
        prefer_server_cipher_suites=(
            boolean(f["prefer_server_cipher_suites"], at, "prefer_server_cipher_suites")
            if "prefer_server_cipher_suites" in f else True))


def _http(node: Node, where: Where) -> HttpServerConfig:
    at = where.child("http_server_config")
    f = fields(node, at, _HTTP)
    headers = []
    for name, key_node, value in entries(f.get("headers", NULL_NODE), at, "headers"):
        if name not in _HEADERS:
            raise at.error(key_node, f"HTTP header {name!r} can not be configured",
                           f"Use one of {', '.join(sorted(_HEADERS))}.")
        text = string(value, at, name)
        allowed = _HEADERS[name]
        if allowed and text not in allowed:
            raise at.error(value, f"invalid value for {name}: {text!r}",
                           f"Use one of {', '.join(allowed)}.")
        if not text or any(c in text for c in "\r\n"):
            raise at.error(value, f"{name} is empty or spans lines", "Give one line.")
        headers.append((name, text))
    http2 = boolean(f["http2"], at, "http2") if "http2" in f else True
    return HttpServerConfig(http2=http2, headers=tuple(headers))


def _users(node: Node, where: Where) -> tuple[tuple[str, Secret], ...]:
    at = where.child("basic_auth_users")
    out = []
    for user, key_node, value in entries(node, at, "basic_auth_users"):
        if not user or ":" in user:
            raise at.error(key_node, f"user name {user!r} is empty or contains ':'",
                           "Basic auth cannot carry such a name; choose another.")
        hashed = string(value, at, user)
        if not _BCRYPT.match(hashed):
            raise at.error(value, f"the password of {user!r} is not a bcrypt hash",
                           "Store the hash, not the password: htpasswd -nBC 10 '' | tr -d ':' "
                           "or python -c 'import bcrypt; print(bcrypt.hashpw(b\"pw\", "
                           "bcrypt.gensalt()).decode())'.")
        out.append((user, Secret(hashed)))
    return tuple(out)


def parse_web_config(text: str, source: str, base: Path) -> WebConfig:
    """Validate ``text`` (read from ``source``); relative paths are relative to ``base``."""
    where = Where(source)
    root = compose(text, source) or NULL_NODE
    f = _strict(root, where, _TOP)
    return WebConfig(
        tls=_tls(f.get("tls_server_config", NULL_NODE), where, base),
        http=_http(f.get("http_server_config", NULL_NODE), where),
        users=_users(f.get("basic_auth_users", NULL_NODE), where),
        source=source)


def load_web_config(path: Path) -> WebConfig:
    """Read and validate a web-config file; raises ConfigError saying where and why."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the web config ({exc}). Check the path "
                          "and its permissions.") from None
    return parse_web_config(text, str(path), path.absolute().parent)
