"""HTTP middlewares: the collector's refusals become ``{"error": message}`` answers."""

from __future__ import annotations

from aiohttp import web
from aiohttp.typedefs import Handler

from collector.errors import HttpError, Throttled, Unauthorized

__all__ = ["error_middleware", "error_response"]


def error_response(exc: HttpError) -> web.Response:
    headers: dict[str, str] | None = None
    if isinstance(exc, Unauthorized):
        headers = {"WWW-Authenticate": 'Bearer realm="netmon"'}
    elif isinstance(exc, Throttled):
        headers = {"Retry-After": str(exc.retry_after)}
    return web.json_response({"error": str(exc)}, status=exc.status, headers=headers)


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except HttpError as exc:
        return error_response(exc)
