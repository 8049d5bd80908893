"""The aiohttp middleware a web config adds to a server: allowed SANs, basic auth, headers.

    app.middlewares.append(web_middleware(config, exempt=frozenset({"/api/v1/push"})))

In order, for every request:

1. ``client_allowed_sans``: a verified client certificate none of whose SANs is in the list
   is answered 403 (exporter-toolkit fails the handshake instead; Python's ssl has no hook
   between verification and the end of the handshake, so the refusal comes with the first
   request, before any handler runs, and the connection is closed);
2. ``basic_auth_users``: without the right user and password, 401 with
   ``WWW-Authenticate: Basic`` (exporter-toolkit's answer), except on the ``exempt`` paths,
   which authenticate otherwise (the collector's push route: the agent's bearer token);
3. ``http_server_config.headers`` on every answer, errors included.
"""

from __future__ import annotations

import logging
from typing import Final

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from netmon.web.basic_auth import BasicAuth, parse_authorization
from netmon.web.config import WebConfig
from netmon.web.identity import peer_certificate, peer_sans

log = logging.getLogger(__name__)

__all__ = ["web_middleware"]

_UNAUTHORIZED: Final = "Unauthorized\n"


def web_middleware(config: WebConfig, exempt: frozenset[str] = frozenset()) -> Middleware:
    """The middleware for ``config``; ``exempt`` paths skip basic auth (not the SAN check)."""
    auth = BasicAuth(config.users)
    allowed = frozenset(config.tls.client_allowed_sans)
    headers = dict(config.http.headers)

    def decorate(response: web.StreamResponse) -> web.StreamResponse:
        for name, value in headers.items():
            response.headers[name] = value
        return response

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if allowed:
            cert = peer_certificate(request)
            sans = peer_sans(cert) if cert is not None else []
            if not allowed.intersection(sans):
                log.warning("client certificate refused: no SAN in client_allowed_sans "
                            "source=%s sans=%s", request.remote, ",".join(sans) or "none")
                return decorate(web.Response(
                    status=403, text="client certificate SANs not allowed: "
                    f"{', '.join(sans) or 'none'}\n", headers={"Connection": "close"}))
        if auth and request.path not in exempt:
            credentials = parse_authorization(request.headers.get("Authorization"))
            if credentials is None or not await auth.check(*credentials):
                if credentials is not None:
                    log.warning("basic auth failed source=%s user=%r path=%s",
                                request.remote, credentials[0][:64], request.path)
                return decorate(web.Response(status=401, text=_UNAUTHORIZED,
                                             headers={"WWW-Authenticate": "Basic"}))
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            for name, value in headers.items():
                exc.headers[name] = value
            raise
        return decorate(response)

    return middleware
