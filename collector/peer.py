"""Mutual TLS on the push route: the client certificate must name the token's agent.

With ``client_auth_type`` ``VerifyClientCertIfGiven`` or ``RequireAndVerifyClientCert`` in
the collector's web config, an agent may present a certificate signed by the client CA. When
it does, the agent id its certificate names (:func:`netmon.web.identity.peer_identities`: a
SAN URI ``netmon://agent/<id>``, else its SAN DNS names, else its CN) must be the agent its
bearer token belongs to, or the push is refused with 403 and counted in
``netmon_collector_reports_rejected_total{reason="identity_mismatch"}``: a ward box holding
one ward's certificate and another ward's stolen token can push as neither. A push without a
client certificate (plain HTTP, or ``VerifyClientCertIfGiven`` and none sent) is
authenticated by its token alone; require certificates with ``RequireAndVerifyClientCert``.
"""

from __future__ import annotations

from aiohttp import web

from collector.errors import PushRefused
from netmon.web.identity import peer_identities

__all__ = ["IdentityMismatch", "check_peer"]


class IdentityMismatch(PushRefused):
    status = 403
    reason = "identity_mismatch"


def check_peer(request: web.Request, agent_id: str) -> None:
    """Raise :class:`IdentityMismatch` when a client certificate names another agent."""
    names = peer_identities(request)
    if names is None or agent_id in names:
        return
    shown = ", ".join(repr(n[:128]) for n in names[:5]) or "no SAN and no CN"
    raise IdentityMismatch(f"the client certificate names {shown}, but the token belongs to "
                           f"agent {agent_id!r}: use that agent's certificate (SAN "
                           f"netmon://agent/{agent_id} or DNS {agent_id})")
