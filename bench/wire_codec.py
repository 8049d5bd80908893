"""How to put a report on the wire: JSON (orjson, stdlib), msgpack, or the Prometheus text
format, measured on a ward router's real report.

    python bench/wire_codec.py [--repeat 300]

The report is what a ward agent sends for its router (netmon's modules mapped from the captured
walk in tests/exporters/snmp/golden: about 1,000 samples), in netmon's columnar shape. For each
codec: encoded and gzipped sizes, CPU to encode (agent) and to decode (collector). The text
format is decoded with a Python parser of the text format, which is what a Python collector
would have to run. msgpack is measured only if installed (``pip install msgpack``).
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from exporters.exposition import render  # noqa: E402
from exporters.snmp.config_load import load_snmp_config  # noqa: E402
from exporters.snmp.mapping import CompiledModule, map_pdus  # noqa: E402
from netmon import wire  # noqa: E402
from netmon.commands import netmon_modules_path  # noqa: E402
from tests.exporters.snmp.test_golden import GOLDEN, MODULES, read_walk  # noqa: E402
from tests.peers.exposition import parse  # noqa: E402


def report_families() -> list[Any]:
    walk = read_walk(GOLDEN / "ward-router.walk")
    config = load_snmp_config([netmon_modules_path()])
    families = []
    for module in MODULES:
        families += map_pdus(CompiledModule.build(config.modules[module]), walk)
    return families


def cpu_ms(fn: Callable[[], object], repeat: int) -> float:
    start = time.process_time()
    for _ in range(repeat):
        fn()
    return 1000 * (time.process_time() - start) / repeat


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=300)
    args = parser.parse_args()
    families = report_families()
    report = wire.Report(1, time.time(), (wire.batch("snmp:ward", time.time(), 15.0,
                                                     families),))
    doc = json.loads(gzip.decompress(wire.encode_report(report)))
    codecs: dict[str, tuple[Callable[[Any], bytes], Callable[[bytes], Any]]] = {
        "json (stdlib)": (lambda d: json.dumps(d, ensure_ascii=False).encode(), json.loads)}
    try:
        import orjson
        codecs["json (orjson)"] = (orjson.dumps, orjson.loads)
    except ImportError:
        pass
    try:
        import msgpack  # type: ignore[import-not-found]
        codecs["msgpack"] = (msgpack.packb, msgpack.unpackb)
    except ImportError:
        pass
    samples = sum(len(f.samples) for f in families)
    print(f"a ward router's report: {samples} samples; CPU per report, {args.repeat} repeats")
    print(f"  {'codec':<16}{'bytes':>9}{'gzipped':>9}{'encode ms':>11}{'decode ms':>11}")
    for name, (encode, decode) in codecs.items():
        data = encode(doc)
        print(f"  {name:<16}{len(data):>9}{len(gzip.compress(data)):>9}"
              f"{cpu_ms(lambda e=encode: e(doc), args.repeat):>11.3f}"
              f"{cpu_ms(lambda d=decode, b=data: d(b), args.repeat):>11.3f}")
    text = render(families)
    print(f"  {'prometheus text':<16}{len(text):>9}{len(gzip.compress(text)):>9}"
          f"{cpu_ms(lambda: render(families), max(1, args.repeat // 10)):>11.3f}"
          f"{cpu_ms(lambda: parse(text), max(1, args.repeat // 10)):>11.3f}")
    body = wire.encode_report(report)
    print(f"  netmon wire v1 (columnar JSON + gzip, validated): {len(body)} bytes; "
          f"decode_report {cpu_ms(lambda: wire.decode_report(body), args.repeat):.3f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
