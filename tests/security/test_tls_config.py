"""The web-config loader (exporter-toolkit's format), the contexts built from it, basic
auth's cache, and the agent's ``collectors[].tls``: every refusal says file, line and fix."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from agent.config_load import parse_agent_config
from exporters.errors import ConfigError
from netmon.web.basic_auth import BasicAuth, parse_authorization
from netmon.web.config import ClientAuth, TlsVersion
from netmon.web.config_load import load_web_config, parse_web_config
from netmon.web.tls import server_context
from tests.security.certs import TestCA
from tests.security.tls_rig import HASH, PASSWORD

pytestmark = pytest.mark.security

BASE = Path("/etc/netmon")
TLS = "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n"


def refused(text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        parse_web_config(text, "web.yml", BASE)
    return str(caught.value)


def test_a_full_file_reads_into_typed_values() -> None:
    config = parse_web_config(
        TLS + "  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: /pki/ca.crt\n"
        "  client_allowed_sans: [hn-bd-phucxa]\n  min_version: TLS13\n"
        "  cipher_suites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256]\n"
        "  curve_preferences: [X25519]\n  prefer_server_cipher_suites: false\n"
        "http_server_config:\n  http2: false\n  headers: {X-Content-Type-Options: nosniff}\n"
        f"basic_auth_users:\n  prometheus: {HASH}\n", "web.yml", BASE)
    tls = config.tls
    assert (tls.cert_file, tls.key_file, tls.client_ca_file) == (
        BASE / "server.crt", BASE / "server.key", Path("/pki/ca.crt"))
    assert tls.client_auth is ClientAuth.REQUIRE_AND_VERIFY_CLIENT_CERT
    assert tls.client_allowed_sans == ("hn-bd-phucxa",)
    assert (tls.min_version, tls.max_version) == (TlsVersion.TLS13, TlsVersion.TLS13)
    assert tls.ciphers == ("ECDHE-RSA-AES128-GCM-SHA256",)
    assert tls.curves == ("X25519",)
    assert tls.prefer_server_cipher_suites is False
    assert config.http.headers == (("X-Content-Type-Options", "nosniff"),)
    assert [u for u, _ in config.users] == ["prometheus"]
    assert HASH not in repr(config)          # hashes are held as Secret


def test_an_empty_file_is_plain_http_with_exporter_toolkit_defaults() -> None:
    config = parse_web_config("", "web.yml", BASE)
    assert config.scheme == "http" and not config.users
    assert (config.tls.min_version, config.tls.max_version) == (TlsVersion.TLS12,
                                                                TlsVersion.TLS13)


@pytest.mark.parametrize(("text", "message"), [
    (TLS + "  min_versoin: TLS12\n",
     "web.yml:4: tls_server_config: unknown key 'min_versoin' (allowed: cert_file, "),
    ("tls_server_config:\n  cert_file: a.crt\n",
     "web.yml:2: tls_server_config: missing key_file. Give both cert_file and key_file"),
    (TLS + "  client_auth_type: RequireAnyClientCert\n",
     "web.yml:4: tls_server_config: client_auth_type RequireAnyClientCert accepts client "
     "certificates without verifying them"),
    (TLS + "  client_auth_type: RequireAndVerifyClientCert\n",
     "client_auth_type RequireAndVerifyClientCert needs client_ca_file"),
    (TLS + "  client_ca_file: ca.crt\n",
     "web.yml:4: tls_server_config: client CA's have been configured without a client auth "
     "policy"),
    (TLS + "  client_auth_type: VerifyClientCertIfGiven\n  client_ca_file: ca.crt\n"
     "  client_allowed_sans: [a]\n",
     "web.yml:6: tls_server_config: client_allowed_sans requires client_auth_type "
     "RequireAndVerifyClientCert"),
    (TLS + "  cipher_suites: [TLS_RSA_WITH_RC4_128_SHA]\n",
     "cipher suite TLS_RSA_WITH_RC4_128_SHA is insecure"),
    (TLS + "  cipher_suites: [AES128-SHA]\n", "unknown cipher suite 'AES128-SHA'. Use Go's"),
    (TLS + "  min_version: TLS13\n  max_version: TLS12\n",
     "min_version TLS13 is above max_version TLS12"),
    (TLS + "  curve_preferences: [P256]\n", "unknown curve 'P256'"),
    (TLS + "  cert: '-----BEGIN CERTIFICATE-----'\n",
     "web.yml:4: tls_server_config: 'cert' is a key of newer exporter-toolkits that netmon "
     "does not support. Use cert_file instead."),
    ("http_server_config:\n  headers: {Server: netmon}\n",
     "web.yml:2: http_server_config: HTTP header 'Server' can not be configured"),
    ("http_server_config:\n  headers: {X-Frame-Options: allow}\n",
     "invalid value for X-Frame-Options: 'allow'. Use one of deny, sameorigin."),
    ("basic_auth_users:\n  prometheus: hunter2\n",
     "web.yml:2: basic_auth_users: the password of 'prometheus' is not a bcrypt hash"),
    ("rate_limit: {interval: 1s, burst: 5}\n", "'rate_limit' is a key of newer"),
])
def test_mistakes_are_refused_with_line_and_fix(text: str, message: str) -> None:
    error = refused(text)
    assert message in error
    assert "hunter2" not in error


def test_tls13_suites_are_accepted_and_ignored_with_a_warning(
        caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="netmon.web.config_load"):
        config = parse_web_config(TLS + "  cipher_suites: [TLS_AES_128_GCM_SHA256, "
                                  "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256]\n", "web.yml", BASE)
    assert config.tls.ciphers == ("ECDHE-ECDSA-AES128-GCM-SHA256",)
    assert "TLS 1.3 suites, which cannot be configured" in caplog.text


def test_certificate_files_are_checked_when_the_context_is_built(tmp_path: Path) -> None:
    ca = TestCA.create(tmp_path)
    ca.issue("server", ips=("127.0.0.1",))
    other = ca.issue("other")
    path = tmp_path / "web.yml"
    path.write_text(TLS, encoding="utf-8")
    assert server_context(load_web_config(path).tls).verify_mode.name == "CERT_NONE"
    path.write_text(TLS.replace("server.key", other.key.name), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"server\.crt, .*other\.key: cannot load the "
                       r"certificate and key \(KEY_VALUES_MISMATCH\)"):
        server_context(load_web_config(path).tls)
    path.write_text(TLS.replace("server.crt", "missing.crt"), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"missing\.crt: no such file"):
        server_context(load_web_config(path).tls)


def test_the_agents_collector_tls(tmp_path: Path) -> None:
    ca = TestCA.create(tmp_path)
    ca.issue("agent")
    (tmp_path / "t").write_text("token\n", encoding="ascii")
    (tmp_path / "t").chmod(0o600)

    def agent(collector: str) -> str:
        return f"agent_id: a1\ntoken_file: t\ncollectors:\n  - {collector}\n"

    config = parse_agent_config(agent("{url: 'https://c:9750', tls: {ca_file: ca.crt, "
                                      "cert_file: agent.crt, key_file: agent.key, "
                                      "server_name: collector}}"), "agent.yml", tmp_path)
    tls = config.collectors[0].tls
    assert tls is not None and tls.ca_file == str(tmp_path / "ca.crt")
    assert tls.server_name == "collector" and not tls.insecure_skip_verify
    for text, message in [
        ("{url: 'http://c:9750', tls: {ca_file: ca.crt}}",
         "agent.yml:4: collectors[0]: collector c:9750: tls is set but the url is http://"),
        ("{url: 'https://c', tls: {ca_file: nope.crt}}",
         "agent.yml:4: collectors[0], tls: tls.ca_file "),
        ("{url: 'https://c', tls: {cert_file: agent.crt}}",
         "cert_file and key_file come together"),
        ("{url: 'https://c', tls: {verify: false}}", "unknown key 'verify'"),
    ]:
        with pytest.raises(ConfigError) as caught:
            parse_agent_config(agent(text), "agent.yml", tmp_path)
        assert message in str(caught.value)


def test_parse_authorization() -> None:
    assert parse_authorization("Basic cHJvbWV0aGV1czpzM2M6cmV0") == ("prometheus", "s3c:ret")
    for header in (None, "", "Bearer abc", "Basic !!!", "Basic bm9jb2xvbg=="):
        assert parse_authorization(header) is None


async def test_basic_auth_runs_bcrypt_once_per_distinct_attempt() -> None:
    from exporters.secrets import Secret

    auth = BasicAuth([("prometheus", Secret(HASH))])
    assert [await auth.check("prometheus", PASSWORD) for _ in range(3)] == [True] * 3
    assert await auth.check("prometheus", "guess") is False
    assert await auth.check("nobody", PASSWORD) is False   # the decoy hash, also bcrypt
    assert await auth.check("prometheus", "guess") is False
    assert auth.checks == 3
