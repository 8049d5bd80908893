"""The collector over TLS and mutual TLS with exporter-toolkit's web config, for real: a
listener on 127.0.0.1, clients with certificates from a test CA, exact outcomes asserted."""

from __future__ import annotations

import asyncio
import base64
import os
import ssl
from pathlib import Path

import aiohttp
import pytest

from netmon import wire
from tests.collector.helpers import AGENT, OTHER, Pusher, headers
from tests.security.certs import Issued, TestCA
from tests.security.tls_rig import (
    HASH,
    PASSWORD,
    client_context,
    exchange,
    get,
    serve_collector,
    status,
)

pytestmark = pytest.mark.security

BASIC = base64.b64encode(f"prometheus:{PASSWORD}".encode()).decode()


@pytest.fixture
def ca(tmp_path: Path) -> TestCA:
    return TestCA.create(tmp_path)


@pytest.fixture
def server_cert(ca: TestCA) -> Issued:
    return ca.issue("collector", ips=("127.0.0.1",), file_name="server")


def tls_only(extra: str = "") -> str:
    # relative paths: resolved against the web-config file's directory
    return f"tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n{extra}"


MTLS = ("  client_auth_type: {mode}\n  client_ca_file: ca.crt\n")


async def test_tls_serves_every_route_and_plaintext_is_refused(
        tmp_path: Path, ca: TestCA, server_cert: Issued) -> None:
    async with serve_collector(tmp_path, tls_only()) as served:
        answer = await asyncio.to_thread(exchange, served.port, client_context(ca),
                                         get("/-/healthy"))
        assert status(answer) == 200
        # plaintext HTTP to the TLS port: no HTTP answer at all, the connection is closed
        plain = await asyncio.to_thread(exchange, served.port, None, get("/metrics"))
        assert plain == b""
        # a client that verifies against another CA refuses the collector
        other = TestCA.create(tmp_path / "other")
        with pytest.raises(ssl.SSLCertVerificationError, match="unable to get local issuer"):
            await asyncio.to_thread(exchange, served.port, client_context(other),
                                    get("/-/healthy"))
        async with aiohttp.ClientSession() as session, \
                session.get(served.url + "/metrics", ssl=client_context(ca)) as response:
            assert response.status == 200
            assert "netmon_collector_reports_rejected_total" in await response.text()


async def test_require_and_verify_refuses_missing_foreign_and_expired_certs(
        tmp_path: Path, ca: TestCA, server_cert: Issued) -> None:
    web = tls_only(MTLS.format(mode="RequireAndVerifyClientCert"))
    good = ca.issue(AGENT, dns=(AGENT,))
    expired = ca.issue("expired", dns=(AGENT,), days=-1)
    foreign = TestCA.create(tmp_path / "foreign").issue(AGENT, dns=(AGENT,))
    async with serve_collector(tmp_path, web) as served:
        ok = await asyncio.to_thread(exchange, served.port, client_context(ca, good),
                                     get("/-/healthy"))
        assert status(ok) == 200
        # asyncio's TLS server closes the connection when verification fails (it does not
        # flush OpenSSL's alert): the client reads end-of-stream, never an HTTP answer
        for cert in (None, foreign, expired):
            refused = await asyncio.to_thread(exchange, served.port, client_context(ca, cert),
                                              get("/-/healthy"))
            assert refused == b"", cert


async def test_client_allowed_sans(tmp_path: Path, ca: TestCA, server_cert: Issued) -> None:
    web = tls_only(MTLS.format(mode="RequireAndVerifyClientCert")
                   + f"  client_allowed_sans: [{AGENT}]\n")
    allowed = ca.issue(AGENT, dns=(AGENT,))
    stranger = ca.issue(OTHER, dns=(OTHER,))
    async with serve_collector(tmp_path, web) as served:
        ok = await asyncio.to_thread(exchange, served.port, client_context(ca, allowed),
                                     get("/-/healthy"))
        assert status(ok) == 200
        refused = await asyncio.to_thread(exchange, served.port, client_context(ca, stranger),
                                          get("/-/healthy"))
        assert status(refused) == 403
        assert refused.endswith(f"client certificate SANs not allowed: {OTHER}\n".encode())


async def test_mtls_identity_must_match_the_token(tmp_path: Path, ca: TestCA,
                                                  server_cert: Issued) -> None:
    web = tls_only(MTLS.format(mode="VerifyClientCertIfGiven"))
    own = ca.issue(AGENT, uris=(f"netmon://agent/{AGENT}",), dns=("ward-box.example",))
    theirs = ca.issue(OTHER, dns=(OTHER,))
    cn_only = ca.issue("cn-only", cn=AGENT)
    pusher = Pusher()
    async with serve_collector(tmp_path, web) as served, aiohttp.ClientSession() as session:
        async def push(cert: Issued | None) -> tuple[int, dict[str, object]]:
            async with session.post(served.url + wire.PUSH_PATH, data=pusher.body(),
                                    headers=headers(AGENT),
                                    ssl=client_context(ca, cert)) as response:
                return response.status, await response.json()

        assert (await push(own))[0] == 200
        assert (await push(cn_only))[0] == 200      # no SAN: the CN names the agent
        assert (await push(None))[0] == 200         # no certificate: the token alone
        code, answer = await push(theirs)
        assert code == 403
        assert answer == {"error": f"the client certificate names {OTHER!r}, but the token "
                          f"belongs to agent {AGENT!r}: use that agent's certificate (SAN "
                          f"netmon://agent/{AGENT} or DNS {AGENT})"}
        async with session.get(served.url + "/metrics", ssl=client_context(ca)) as response:
            text = await response.text()
        assert ('netmon_collector_reports_rejected_total{reason="identity_mismatch"} 1.0'
                in text)


async def test_basic_auth_guards_all_but_push(tmp_path: Path, ca: TestCA,
                                              server_cert: Issued) -> None:
    web = tls_only() + ("http_server_config:\n  headers: {X-Frame-Options: deny}\n"
                        f"basic_auth_users:\n  prometheus: {HASH}\n")
    wrong = base64.b64encode(b"prometheus:guess").decode()
    context = client_context(ca)
    async with serve_collector(tmp_path, web) as served:
        for path in ("/metrics", "/scopes/wan/metrics", "/sd", "/snmp?target=x"):
            refused = await asyncio.to_thread(exchange, served.port, context, get(path))
            assert status(refused) == 401, path
            assert b"\r\nWWW-Authenticate: Basic\r\n" in refused
            assert b"\r\nX-Frame-Options: deny\r\n" in refused
        reload = get("/-/reload").replace(b"GET ", b"POST ", 1)
        assert status(await asyncio.to_thread(exchange, served.port, context, reload)) == 401
        for path in ("/-/healthy", "/-/ready"):   # what sharding members and balancers ask
            answer = await asyncio.to_thread(exchange, served.port, context, get(path))
            assert status(answer) == 200, path
        bad = await asyncio.to_thread(exchange, served.port, context, get("/metrics", wrong))
        assert status(bad) == 401
        for _ in range(3):   # the first check runs bcrypt, the next come from the cache
            ok = await asyncio.to_thread(exchange, served.port, context,
                                         get("/metrics", BASIC))
            assert status(ok) == 200
        async with aiohttp.ClientSession() as session:
            async with session.post(served.url + wire.PUSH_PATH, data=Pusher().body(),
                                    headers=headers(AGENT), ssl=context) as response:
                assert response.status == 200, await response.text()   # token only
            async with session.post(served.url + wire.PUSH_PATH, data=Pusher().body(),
                                    headers=headers(None), ssl=context) as response:
                assert response.status == 401   # and the token is still required


async def test_certificate_rotated_on_disk_is_served_without_restart(
        tmp_path: Path, ca: TestCA, server_cert: Issued) -> None:
    def served_cn(port: int) -> str:
        import socket
        with socket.create_connection(("127.0.0.1", port), timeout=5) as raw, \
                client_context(ca).wrap_socket(raw, server_hostname="127.0.0.1") as conn:
            cert = conn.getpeercert()
        assert cert is not None
        names = [pair for rdn in cert["subject"] for pair in rdn]
        return next(str(pair[1]) for pair in names if pair[0] == "commonName")

    async with serve_collector(tmp_path, tls_only()) as served:
        assert await asyncio.to_thread(served_cn, served.port) == "collector"
        renewed = ca.issue("collector-renewed", ips=("127.0.0.1",), file_name="new")
        # as certbot or an operator would: the certificate first (a key that does not match
        # yet: the old pair stays in service), then the key
        os.replace(renewed.cert, server_cert.cert)
        assert await asyncio.to_thread(served_cn, served.port) == "collector"
        os.replace(renewed.key, server_cert.key)
        assert await asyncio.to_thread(served_cn, served.port) == "collector-renewed"
        assert served.tls is not None and served.tls.reloads == 1


async def test_min_version_tls13_refuses_a_tls12_client(tmp_path: Path, ca: TestCA,
                                                         server_cert: Issued) -> None:
    async with serve_collector(tmp_path, tls_only("  min_version: TLS13\n")) as served:
        # the server ends the handshake by closing (asyncio sends no alert)
        with pytest.raises(ssl.SSLEOFError) as caught:
            await asyncio.to_thread(exchange, served.port,
                                    client_context(ca, maximum=ssl.TLSVersion.TLSv1_2),
                                    get("/-/healthy"))
        assert caught.value.reason == "UNEXPECTED_EOF_WHILE_READING"
        ok = await asyncio.to_thread(exchange, served.port, client_context(ca),
                                     get("/-/healthy"))
        assert status(ok) == 200
