"""Who the client's verified certificate says it is.

A client certificate reaches the application only when the listener verified it against
``client_ca_file`` (netmon never accepts unverified ones: :mod:`netmon.web.config_load`), so
what it names is trusted as far as the CA is.

Naming convention for agents' certificates (the collector's mutual-TLS check,
:mod:`collector.peer`): the agent id is

1. the path of a SAN URI ``netmon://agent/<agent-id>`` when the certificate has one (then only
   those URIs count: a certificate may carry a host name beside its agent id);
2. else each SAN DNS name (``hn-bd-phucxa``: agent ids are valid DNS labels);
3. else, with no DNS or URI SAN at all, the subject's common name.

:func:`peer_sans` gives every SAN as exporter-toolkit compares them to
``client_allowed_sans`` (DNS names, e-mail addresses, IP addresses, URIs).
"""

from __future__ import annotations

import ipaddress
from typing import Any, Final

from aiohttp import web

__all__ = ["AGENT_URI_PREFIX", "peer_certificate", "peer_identities", "peer_sans"]

AGENT_URI_PREFIX: Final = "netmon://agent/"


def peer_certificate(request: web.Request) -> dict[str, Any] | None:
    """The verified client certificate (``SSLSocket.getpeercert()``'s dict), None when the
    connection is plain or the client sent none."""
    transport = request.transport
    if transport is None:
        return None
    cert = transport.get_extra_info("peercert")
    return cert if isinstance(cert, dict) and cert else None


def _alt_names(cert: dict[str, Any]) -> list[tuple[str, str]]:
    return [(str(kind), str(value)) for kind, value in cert.get("subjectAltName", ())]


def peer_sans(cert: dict[str, Any]) -> list[str]:
    """Every SAN value (DNS, email, IP, URI), as strings."""
    out = []
    for kind, value in _alt_names(cert):
        if kind == "IP Address":
            try:
                out.append(str(ipaddress.ip_address(value.strip())))   # Go's ip.String()
            except ValueError:
                continue
        elif kind in ("DNS", "email", "URI"):
            out.append(value)
    return out


def _common_name(cert: dict[str, Any]) -> str:
    for rdn in cert.get("subject", ()):
        for key, value in rdn:
            if key == "commonName":
                return str(value)
    return ""


def peer_identities(request: web.Request) -> tuple[str, ...] | None:
    """The agent ids the client's certificate names (see the module's doc); None when the
    client presented no verified certificate."""
    cert = peer_certificate(request)
    if cert is None:
        return None
    names = _alt_names(cert)
    agents = tuple(v[len(AGENT_URI_PREFIX):] for k, v in names
                   if k == "URI" and v.startswith(AGENT_URI_PREFIX))
    if agents:
        return agents
    dns = tuple(v for k, v in names if k == "DNS")
    if dns:
        return dns
    if any(k == "URI" for k, _ in names):
        return ()
    cn = _common_name(cert)
    return (cn,) if cn else ()
