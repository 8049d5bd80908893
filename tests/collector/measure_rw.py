"""CPU to encode a ward agent's report for remote_write, without and with the label cache.

    python -m tests.collector.measure_rw

The report is a real ward router's (netmon's modules over the captured walk of
tests/exporters/snmp/golden), this host's and the agent batch: about 1,300 series.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from _common import ward_batches

from collector.remote_write.series import LabelCache, encode_batches

FIXED = {"agent": "hn-badinh-phucxa-r1", "site": "00001", "district": "Quận Ba Đình",
         "ward": "Phường Phúc Xá", "role": "ward-router"}
REPLICA = {"dc_replica": "primary"}


def per_report(cache: LabelCache | None, rounds: int = 100) -> float:
    batches = ward_batches(with_host=True)
    encode_batches(batches, FIXED, REPLICA, 2000, cache)       # the first report fills it
    started = time.process_time()
    for _ in range(rounds):
        encode_batches(batches, FIXED, REPLICA, 2000, cache)
    return (time.process_time() - started) / rounds


def main() -> None:
    samples = sum(f.samples for f in encode_batches(ward_batches(with_host=True), FIXED,
                                                    REPLICA, 2000))
    print(f"a ward report for remote_write ({samples} series): "
          f"{1000 * per_report(None):.2f} ms of CPU without the label cache, "
          f"{1000 * per_report(LabelCache()):.2f} ms with it")


if __name__ == "__main__":
    main()
