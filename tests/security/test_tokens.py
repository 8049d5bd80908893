"""Tokens: several per agent, expiry, rotation with ``netmon inventory rotate-token``,
revocation by reload (SIGHUP, for real), token files that others may read, and the
rate-limited log of failed authentications."""

from __future__ import annotations

import logging
import os
import signal
import time
from pathlib import Path

import pytest

from collector.auth_log import INTERVAL, AuthFailureLog
from collector.errors import ConfigError
from collector.inventory import hash_token
from collector.inventory_load import load_inventory, parse_inventory
from collector.tokens import TokenDir
from tests.collector.helpers import Pusher
from tests.collector.process import Running, start_collector
from tests.security.conftest import make_inventory, run_cli, ward_agents

pytestmark = pytest.mark.security

_HEAD = """districts: [{code: "001", name: Quận Ba Đình}]
sites: [{id: "00001", name: Phường Phúc Xá, district: "001", kind: ward}]
agents:
"""


def _inventory(agent_line: str) -> str:
    return _HEAD + f"  - {{id: a1, site: \"00001\", role: ward-router, {agent_line}}}\n"


def test_an_agent_has_several_tokens_each_with_an_optional_expiry() -> None:
    new, old, forever = hash_token("new"), hash_token("old"), hash_token("forever")
    inventory = parse_inventory(_inventory(
        f"token_sha256: [{new}], tokens: [{{sha256: {old}, expires: 2027-03-01T07:00:00+07:00}},"
        f" {{sha256: {forever}}}]"), "inv.yml")
    march = 1803859200.0   # 2027-03-01T00:00:00Z
    assert inventory.check_token("new", march + 1e6).agent == "a1"
    assert inventory.check_token("forever", march + 1e6).agent == "a1"
    assert inventory.check_token("old", march - 1).agent == "a1"
    assert inventory.check_token("old", march).failure == "expired"
    assert inventory.check_token("other", march).failure == "unknown"
    assert inventory.agent_for_token("old", march) is None


@pytest.mark.parametrize(("line", "message"), [
    ("tokens: [{sha256: " + hash_token("x") + ", expires: 2027-03-01T00:00:00}]",
     "tokens[0].expires '2027-03-01T00:00:00' is not an ISO 8601 time with a zone"),
    ("tokens: [{sha256: " + hash_token("x") + ", expires: next week}]",
     "is not an ISO 8601 time with a zone"),
    ("token_sha256: [" + hash_token("x") + "], tokens: [{sha256: " + hash_token("x") + "}]",
     "token hash '" + hash_token("x") + "' appears twice"),
    ("tokens: [{sha256: s3cr3t}]", "tokens[0].sha256 is not 64 lowercase hex digits"),
    ("tokens: [{sha256: " + hash_token("x") + ", until: 2027-01-01T00:00:00Z}]",
     "unknown key 'until'"),
])
def test_token_entries_are_checked(line: str, message: str) -> None:
    with pytest.raises(ConfigError, match=r"^inv\.yml") as caught:
        parse_inventory(_inventory(line), "inv.yml")
    assert message in str(caught.value)


def test_a_token_file_others_can_read_is_refused(tmp_path: Path) -> None:
    tokens = TokenDir(tmp_path / "tokens")
    tokens.hashes("a1")
    path = tokens.file("a1")
    path.chmod(0o640)
    with pytest.raises(ConfigError) as caught:
        tokens.hashes("a1")
    message = str(caught.value)
    assert f"{path}: the token file is accessible by group or others (mode 0640)" in message
    assert f"chmod 600 {path}" in message
    assert path.read_text().strip() not in message
    assert oct(path.stat().st_mode & 0o777) == "0o640"   # refused, not silently changed


def test_failed_authentications_are_logged_once_per_source_per_interval(
        caplog: pytest.LogCaptureFixture) -> None:
    now = [100.0]
    failures = AuthFailureLog(clock=lambda: now[0])
    caplog.set_level(logging.WARNING)
    written = [failures.failed("10.0.0.9", "unknown", "unknown token") for _ in range(5)]
    assert written == [True, False, False, False, False]
    assert failures.failed("10.0.0.10", "expired", "token expired")
    now[0] += INTERVAL
    assert failures.failed("10.0.0.9", "unknown", "unknown token")
    lines = [r.getMessage() for r in caplog.records]
    assert lines == [
        "push refused: authentication failed reason=unknown source=10.0.0.9 error=unknown "
        "token",
        "push refused: authentication failed reason=expired source=10.0.0.10 error=token "
        "expired",
        "push refused: authentication failed reason=unknown source=10.0.0.9 error=unknown "
        "token (and 4 more from this source in the last 60s, not logged)"]


def _reloaded(running: Running, since: float) -> None:
    """Wait until the collector's last successful reload is later than ``since``."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        for line in running.get("/metrics")[1].decode().split("\n"):
            name, _, value = line.partition(" ")
            if name == "netmon_collector_config_last_reload_success_timestamp_seconds" \
                    and float(value) > since:
                return
        time.sleep(0.05)
    raise AssertionError("the collector did not reload within 10 s")


def test_rotation_keeps_both_tokens_and_revocation_is_immediate_after_sighup(
        tmp_path: Path) -> None:
    inventory = make_inventory(tmp_path, sites=2)
    agent = ward_agents(inventory)[0]
    tokens = tmp_path / "tokens"
    with start_collector(tmp_path, inventory) as running:
        old = running.token(agent)
        pusher = Pusher()
        assert running.push(pusher.body(), old)[0] == 200

        rotated = run_cli("inventory", "rotate-token", agent, "--inventory", str(inventory),
                          "--tokens-dir", str(tokens), "--grace", "7d")
        assert rotated.returncode == 0, rotated.stderr
        new = running.token(agent)
        assert new != old
        assert old not in rotated.stderr and new not in rotated.stderr
        entry = next(a for a in load_inventory(inventory).agents if a.id == agent)
        assert entry.token_sha256 == (hash_token(new),)
        assert [t.sha256 for t in entry.expiring] == [hash_token(old)]
        assert 7 * 86400 - 5 < entry.expiring[0].expires - time.time() <= 7 * 86400
        assert inventory.read_text().startswith("# netmon inventory of Hanoi's WAN")

        before = time.time()
        os.kill(running.process.pid, signal.SIGHUP)
        _reloaded(running, before)
        assert running.push(pusher.body(), old)[0] == 200     # within its grace
        assert running.push(pusher.body(), new)[0] == 200

        revoked = run_cli("inventory", "rotate-token", agent, "--inventory", str(inventory),
                          "--tokens-dir", str(tokens), "--grace", "0")
        assert revoked.returncode == 0, revoked.stderr
        newest = running.token(agent)
        before = time.time()
        os.kill(running.process.pid, signal.SIGHUP)
        _reloaded(running, before)
        for gone in (old, new):
            assert running.push(pusher.body(), gone) == (401, {"error": "unknown token"})
        assert running.push(pusher.body(), newest)[0] == 200
        output = running.process.output()
        assert "source=127.0.0.1" in output
        for secret in (old, new, newest, hash_token(old), hash_token(new)):
            assert secret not in output


def test_rotate_token_refuses_an_unknown_agent(tmp_path: Path) -> None:
    inventory = make_inventory(tmp_path, sites=2)
    proc = run_cli("inventory", "rotate-token", "hn-nowhere-r1", "--inventory", str(inventory),
                   "--tokens-dir", str(tmp_path / "tokens"))
    assert proc.returncode == 2
    assert "no agent 'hn-nowhere-r1' in the inventory" in proc.stderr
