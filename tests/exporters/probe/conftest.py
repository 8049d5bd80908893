"""Fixtures of the probe tests: exposition helpers, TCP listeners, namespace labs.

Every listener is closed, every namespace deleted and every process stopped (by PID) in the
fixture's teardown, whatever the test did.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator

import pytest
from prometheus_client import Metric

from exporters.exposition import render
from tests.exporters.probe.netns import (
    PEER_IP,
    Lab,
    inside,
    netem_unavailable,
    netns_unavailable,
    run,
    tun_unavailable,
    veth_lab,
    wire_lab,
)
from tests.peers.exposition import Exposition, parse

#: The impairment the accuracy tests apply, as ``tc ... netem delay 50ms loss 20%``.
DELAY = 0.050
LOSS = 0.20


def exposition(families: list[Metric]) -> Exposition:
    return parse(render(families))


def value(exp: Exposition, name: str, **labels: str) -> float:
    """The one series of ``name`` whose labels include ``labels``."""
    found = [v for k, v in exp.series(name).items() if set(labels.items()) <= set(k)]
    assert len(found) == 1, f"{name}{labels}: {len(found)} series in\n{exp.raw}"
    return found[0]


def absent(exp: Exposition, name: str, **labels: str) -> bool:
    return not [k for k in exp.series(name) if set(labels.items()) <= set(k)]


@contextlib.contextmanager
def tcp_listener(host: str, namespace: str | None = None) -> Iterator[int]:
    """A listening TCP socket on ``host`` (in ``namespace``); yields its port. It never
    accepts: the kernel completes handshakes into its backlog, which is all a connect probe
    needs (the backlog holds far more than a test sends)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with contextlib.ExitStack() as stack:
        if namespace is not None:
            stack.enter_context(inside(namespace))
        sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.bind((host, 0))
        sock.listen(1024)
        yield int(sock.getsockname()[1])
    finally:
        sock.close()


def closed_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def loopback_listener() -> Iterator[int]:
    with tcp_listener("127.0.0.1") as port:
        yield port


@pytest.fixture(scope="session")
def namespaces() -> None:
    reason = netns_unavailable()
    if reason:
        pytest.fail(f"the probe tests need network namespaces (root and iproute2, as .ci/setup "
                    f"provides): {reason}")


@pytest.fixture
def lab(namespaces: None) -> Iterator[Lab]:
    """Two fresh namespaces joined by an unimpaired veth pair."""
    with veth_lab() as made:
        yield made


@pytest.fixture(scope="module")
def impaired_lab(namespaces: None) -> Iterator[Lab]:
    """Two namespaces whose link delays the agent's packets by :data:`DELAY` and drops
    :data:`LOSS` of them: with ``tc netem`` on a veth pair where the kernel has it, else with
    the userspace wire between TUN devices (:mod:`tests.exporters.probe.wire`), which does
    the same to real packets on a real link (this project's CI kernel has no ``sch_netem``).
    The lab's ``kind`` says which one ran; the tests print it with their figures."""
    if not netem_unavailable():
        with veth_lab() as made:
            run("ip", "netns", "exec", made.agent, "tc", "qdisc", "add", "dev", made.agent_dev,
                "root", "netem", "delay", f"{DELAY * 1000:g}ms", "loss", f"{LOSS * 100:g}%")
            yield made
        return
    reason = tun_unavailable()
    if reason:
        pytest.fail(f"neither tc netem nor a TUN device can impair a link here: {reason}")
    with wire_lab(DELAY, LOSS, seed=20240601) as made:
        yield made


@pytest.fixture
def peer_listener(impaired_lab: Lab) -> Iterator[int]:
    with tcp_listener(PEER_IP, impaired_lab.peer) as port:
        yield port
