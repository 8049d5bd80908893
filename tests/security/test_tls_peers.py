"""The same web-config.yml served by Debian's node_exporter and by ``netmon collector``
(compatibility with the peer), and an agent shipping over mutual TLS."""

from __future__ import annotations

import asyncio
import base64
import logging
import random
import ssl
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

import aiohttp
import pytest

from agent.config import ShippingConfig, SpoolConfig
from agent.config_load import parse_agent_config
from agent.metrics import AgentMetrics
from agent.report import encode
from agent.shipper import Shipper
from agent.spool import Spool
from collector.inventory_write import dump_inventory
from exporters.secrets import Secret
from netmon.wire import batch
from tests.collector.helpers import AGENT, router_families, small_inventory, token
from tests.collector.process import collector_cmd
from tests.peers.node_exporter import node_exporter
from tests.peers.process import free_tcp_port, running, tcp_ready
from tests.security.certs import TestCA
from tests.security.tls_rig import HASH, PASSWORD, client_context, serve_collector

pytestmark = pytest.mark.security

WEB_CONFIG = f"""\
tls_server_config:
  cert_file: server.crt
  key_file: server.key
  min_version: TLS12
  cipher_suites: [TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384]
  prefer_server_cipher_suites: true
http_server_config:
  http2: false
basic_auth_users:
  prometheus: {HASH}
"""


def fetch(url: str, context: ssl.SSLContext, password: str | None) -> tuple[int, str, bytes]:
    request = urllib.request.Request(url)
    if password is not None:
        auth = base64.b64encode(f"prometheus:{password}".encode()).decode()
        request.add_header("Authorization", f"Basic {auth}")
    try:
        with urllib.request.urlopen(request, timeout=10, context=context) as response:
            return response.status, response.headers.get("WWW-Authenticate", ""), \
                response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("WWW-Authenticate", ""), exc.read()


@pytest.mark.peers
def test_node_exporter_and_collector_accept_the_same_web_config(tmp_path: Path) -> None:
    ca = TestCA.create(tmp_path)
    ca.issue("server", ips=("127.0.0.1",))
    web = tmp_path / "web-config.yml"
    web.write_text(WEB_CONFIG, encoding="utf-8")
    inventory = tmp_path / "inventory.yml"
    inventory.write_text(dump_inventory(small_inventory()), encoding="utf-8")
    port = free_tcp_port()
    context = client_context(ca)
    argv = collector_cmd("--listen", f"127.0.0.1:{port}", "--inventory", str(inventory),
                         "--web.config.file", str(web))
    with node_exporter([f"--web.config.file={web}"], collectors=("loadavg",)) as node, \
            running(argv, "collector", tcp_ready(port)):
        node_url = node.url.replace("http://", "https://")
        for url in (node_url, f"https://127.0.0.1:{port}/metrics"):
            code, challenge, _ = fetch(url, context, None)
            assert (code, challenge) == (401, "Basic"), url
            assert fetch(url, context, "wrong")[0] == 401, url
            code, _, body = fetch(url, context, PASSWORD)
            assert code == 200, url
            assert b"# TYPE " in body
        with pytest.raises(urllib.error.URLError, match="CERTIFICATE_VERIFY_FAILED"):
            fetch(node_url, ssl.create_default_context(), PASSWORD)
    # and both refuse the same mistake: an unknown key
    web.write_text(WEB_CONFIG.replace("  min_version", "  min_versoin"), encoding="utf-8")
    node_run = subprocess.run([*node.process.argv], capture_output=True, text=True,
                              timeout=20, check=False)
    assert node_run.returncode != 0
    assert "field min_versoin not found" in node_run.stdout + node_run.stderr
    ours = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
    assert ours.returncode == 2
    assert f"{web}:4: tls_server_config: unknown key 'min_versoin'" in ours.stderr


async def test_agent_ships_over_mtls_and_refuses_an_unverified_collector(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    ca = TestCA.create(tmp_path)
    ca.issue("server", ips=("127.0.0.1",))
    ca.issue(AGENT, uris=(f"netmon://agent/{AGENT}",), file_name="agent")
    (tmp_path / "agent.token").write_text(token(AGENT) + "\n", encoding="ascii")
    (tmp_path / "agent.token").chmod(0o600)
    impostor = tmp_path / "impostor"
    TestCA.create(impostor).issue("server", ips=("127.0.0.1",))
    web = ("tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n"
           "  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.crt\n")
    async with serve_collector(tmp_path, web) as good, \
            serve_collector(impostor, web.replace("ca.crt", "../ca.crt")) as bad:
        config = parse_agent_config(f"""\
agent_id: {AGENT}
token_file: agent.token
collectors:
  - name: good
    url: https://127.0.0.1:{good.port}
    tls: {{ca_file: ca.crt, cert_file: agent.crt, key_file: agent.key}}
  - name: impostor
    url: https://127.0.0.1:{bad.port}
    tls: {{ca_file: ca.crt, cert_file: agent.crt, key_file: agent.key}}
""", "agent.yml", tmp_path)
        names = [c.name for c in config.collectors]
        metrics = AgentMetrics(names, ["snmp:router"])
        spool = await Spool.open(SpoolConfig(str(tmp_path / "spool.db")), names,
                                 catchup_rate=100.0, metrics=metrics, agent_id=AGENT)
        shipping = ShippingConfig(backoff_base=0.05, backoff_max=0.1)
        assert config.token is not None
        try:
            async with aiohttp.ClientSession() as session:
                tasks = [asyncio.create_task(Shipper(
                    c, spool.delivery(c.name), session, Secret(config.token.reveal()),
                    shipping, metrics, agent_id=AGENT, rng=random.Random(1)).run())
                    for c in config.collectors]
                with caplog.at_level(logging.WARNING, logger="agent.shipper"):
                    await spool.put(encode(1, [batch("snmp:router", 0.0, 60.0,
                                                     router_families())], 0.0))
                    for _ in range(100):
                        await asyncio.sleep(0.05)
                        if spool.depths()["good"] == 0 and metrics.failed[
                                "impostor", "connection"] >= 2:
                            break
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
            assert spool.depths() == {"good": 0, "impostor": 1}   # kept for the impostor
            assert metrics.failed["impostor", "connection"] >= 2
            failures = [r.getMessage() for r in caplog.records if "impostor" in r.getMessage()]
            assert failures and "TLS handshake failed (certificate verify failed: unable to " \
                "get local issuer certificate)" in failures[0], failures
        finally:
            await spool.close()
