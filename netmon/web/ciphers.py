"""Go's TLS names (exporter-toolkit's ``cipher_suites``, ``curve_preferences``,
``min_version``) in OpenSSL's terms, for Python's ``ssl``.

Cipher suites: the names Go's ``tls.CipherSuites()`` lists (the ones exporter-toolkit accepts),
each mapped to its OpenSSL name. Go's insecure suites (RC4, 3DES, CBC-SHA256) are refused, as
exporter-toolkit refuses them ("unknown cipher"). The three TLS 1.3 suites are accepted and
ignored: neither Go's crypto/tls nor Python's ssl lets a server choose TLS 1.3 suites (Python
has no ``set_ciphersuites``), so a file listing them means the same on both; the loader logs a
warning saying so.
"""

from __future__ import annotations

import ssl
from typing import Final

from netmon.web.config import TlsVersion

__all__ = ["CIPHERS", "CURVES", "INSECURE_CIPHERS", "TLS13_CIPHERS", "ssl_version"]

#: Go name -> OpenSSL name, TLS 1.0 to 1.2.
CIPHERS: Final[dict[str, str]] = {
    "TLS_RSA_WITH_AES_128_CBC_SHA": "AES128-SHA",
    "TLS_RSA_WITH_AES_256_CBC_SHA": "AES256-SHA",
    "TLS_RSA_WITH_AES_128_GCM_SHA256": "AES128-GCM-SHA256",
    "TLS_RSA_WITH_AES_256_GCM_SHA384": "AES256-GCM-SHA384",
    "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA": "ECDHE-ECDSA-AES128-SHA",
    "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA": "ECDHE-ECDSA-AES256-SHA",
    "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA": "ECDHE-RSA-AES128-SHA",
    "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA": "ECDHE-RSA-AES256-SHA",
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256": "ECDHE-ECDSA-AES128-GCM-SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384": "ECDHE-ECDSA-AES256-GCM-SHA384",
    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256": "ECDHE-RSA-AES128-GCM-SHA256",
    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384": "ECDHE-RSA-AES256-GCM-SHA384",
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256": "ECDHE-ECDSA-CHACHA20-POLY1305",
    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256": "ECDHE-RSA-CHACHA20-POLY1305",
}

#: TLS 1.3 suites: accepted, not configurable (see the module's doc).
TLS13_CIPHERS: Final = frozenset({"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384",
                                  "TLS_CHACHA20_POLY1305_SHA256"})

#: Go's ``tls.InsecureCipherSuites()``: refused with a reason.
INSECURE_CIPHERS: Final = frozenset({
    "TLS_RSA_WITH_RC4_128_SHA", "TLS_RSA_WITH_3DES_EDE_CBC_SHA",
    "TLS_RSA_WITH_AES_128_CBC_SHA256", "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA",
    "TLS_ECDHE_RSA_WITH_RC4_128_SHA", "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA",
    "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256"})

#: exporter-toolkit's curve names -> OpenSSL group names.
CURVES: Final[dict[str, str]] = {"CurveP256": "prime256v1", "CurveP384": "secp384r1",
                                 "CurveP521": "secp521r1", "X25519": "X25519"}

_VERSIONS: Final = {TlsVersion.TLS10: ssl.TLSVersion.TLSv1,
                    TlsVersion.TLS11: ssl.TLSVersion.TLSv1_1,
                    TlsVersion.TLS12: ssl.TLSVersion.TLSv1_2,
                    TlsVersion.TLS13: ssl.TLSVersion.TLSv1_3}


def ssl_version(version: TlsVersion) -> ssl.TLSVersion:
    return _VERSIONS[version]
