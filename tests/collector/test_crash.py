"""A collector killed (``kill -9``, a power cut) after it spooled a push and before its answer
reached the agent: the agent sends the report again to the restarted collector, which finds
in its remote_write spool that it acknowledged it, and answers it as a duplicate instead of
forwarding its samples a second time."""

from __future__ import annotations

import signal
import time
from pathlib import Path

from tests.collector.helpers import Pusher
from tests.collector.process import start_collector
from tests.peers.process import free_tcp_port

AGENT = "hn-badinh-phucxa-r1"


def test_a_restarted_collector_still_knows_what_it_acknowledged(
        tmp_path: Path, process_inventory: Path) -> None:
    # The store is away (nothing listens): every forwarded row stays in the spool.
    extra = (f"remote_write:\n  url: http://127.0.0.1:{free_tcp_port()}/api/v1/write\n"
             "  forward: all\n  spool: {path: rw.sqlite}\n")
    port = free_tcp_port()
    pusher = Pusher(ts=time.time() - 5)
    first, second = pusher.body(seq=5), pusher.body(seq=6)
    with start_collector(tmp_path, process_inventory, extra, port=port) as collector:
        token = collector.token(AGENT)
        assert collector.push(first, token) == (200, {"ack": 5, "samples": 5})
        collector.process.proc.send_signal(signal.SIGKILL)
        collector.process.proc.wait(timeout=10)
    with start_collector(tmp_path, process_inventory, extra, port=port) as collector:
        assert "acknowledged report numbers restored" in collector.process.output()
        assert collector.push(first, token) == (200, {"ack": 5, "duplicate": True})
        assert collector.push(second, token) == (200, {"ack": 6, "samples": 5})
        # an agent that lost its spool starts its numbers again, with newer data: accepted
        restarted = pusher.body(seq=5, ts=time.time())
        assert collector.push(restarted, token) == (200, {"ack": 5, "samples": 5})
