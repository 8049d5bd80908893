"""Fixtures shared by the whole suite.

Real peers are session-scoped: each is started once on loopback, on a port from the kernel,
and stopped by its PID when the session ends, even after failures. How each one is started
lives in ``tests/peers/``; this file only wires them to pytest.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.peers.snmp import SnmpAgent, snmpd_agent, snmpsim_agent

# --- SNMP agents -------------------------------------------------------------------------


@pytest.fixture(scope="session")
def ward_router() -> Iterator[SnmpAgent]:
    """snmpsim serving netmon/demo/data: the simulated ward router (static values) as
    community and v3 context ``ward-router``, with the v3 users of ``tests.peers.snmp``.
    (``ward-router-live``, with growing counters, is served by the same process.)"""
    with snmpsim_agent() as agent:
        yield agent


@pytest.fixture(scope="session")
def snmpd() -> Iterator[SnmpAgent]:
    """net-snmp's snmpd: a second, independent agent with v2c and the same v3 users."""
    with snmpd_agent() as agent:
        yield agent
