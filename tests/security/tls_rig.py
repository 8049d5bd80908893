"""A collector app served over TLS in the test's event loop, and raw TLS clients.

The app is the real one (:func:`collector.app.create_app`) behind the real listener setup
(:func:`collector.server.secure`, ``TCPSite`` with the web config's context) on 127.0.0.1,
a port from the kernel. Raw exchanges run blocking ``ssl`` sockets in a thread, so a test can
assert the exact TLS alert a refusal ends with.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import bcrypt
from aiohttp import web

from collector.app import create_app
from collector.config import CollectorConfig
from collector.inventory_write import dump_inventory
from collector.server import make_runner, secure
from netmon.web.config_load import load_web_config
from netmon.web.tls import ServerTls
from tests.collector.helpers import small_inventory
from tests.security.certs import Issued, TestCA

#: Cost 4 (bcrypt's least) keeps the tests fast; the server treats every cost alike.
PASSWORD = "s3cret-scraper"
HASH = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=4)).decode()


@dataclass
class Served:
    port: int
    tls: ServerTls | None
    app: web.Application

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"


@contextlib.asynccontextmanager
async def serve_collector(directory: Path, web_config: str) -> AsyncIterator[Served]:
    """The collector with ``web_config`` (YAML, written to ``directory/web-config.yml``)."""
    inventory = directory / "inventory.yml"
    inventory.write_text(dump_inventory(small_inventory()), encoding="utf-8")
    config_path = directory / "web-config.yml"
    config_path.write_text(web_config, encoding="utf-8")
    app = create_app(CollectorConfig(inventory=inventory))
    tls = secure(app, load_web_config(config_path))
    runner = make_runner(app)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0,
                           ssl_context=tls.context if tls is not None else None)
        await site.start()
        yield Served(int(runner.addresses[0][1]), tls, app)
    finally:
        await runner.cleanup()


def client_context(ca: TestCA, cert: Issued | None = None,
                   maximum: ssl.TLSVersion | None = None) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=ca.cert)
    if cert is not None:
        context.load_cert_chain(cert.cert, cert.key)
    if maximum is not None:
        context.maximum_version = maximum
    return context


def exchange(port: int, context: ssl.SSLContext | None, request: bytes) -> bytes:
    """Send ``request`` (over TLS with ``context``, or plain), read until the server closes;
    the TLS error, if any, propagates."""
    with contextlib.ExitStack() as stack:
        conn = stack.enter_context(socket.create_connection(("127.0.0.1", port), timeout=5))
        if context is not None:
            conn = stack.enter_context(context.wrap_socket(conn, server_hostname="127.0.0.1"))
        conn.sendall(request)
        out = b""
        while chunk := conn.recv(65536):
            out += chunk
            if b"\r\n\r\n" in out and _complete(out):
                break
        return out


def _complete(data: bytes) -> bool:
    head, _, body = data.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return len(body) >= int(value)
    return False


def get(path: str, auth: str = "") -> bytes:
    extra = f"Authorization: Basic {auth}\r\n" if auth else ""
    return (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{extra}Connection: close\r\n\r\n"
            ).encode()


def status(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1])
