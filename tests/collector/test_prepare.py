"""Which of netmon.wire's errors are a 413 (a limit) and which a 400 (a malformed report):
one case per limit, so a change in the wire's wording shows up here."""

from __future__ import annotations

import gzip

import orjson
import pytest

from collector.errors import MalformedReport, ReportTooLarge
from collector.prepare import prepare
from netmon.wire import Limits
from tests.collector.helpers import Pusher, family
from tests.collector.test_lines import WARD


def doc(families: int = 1, rows: int = 1, labels: int = 1) -> dict[str, object]:
    fams = [family(f"f{i}", "gauge", [({f"l{k}": str(j) for k in range(labels)}, float(j))
                                      for j in range(rows)]) for i in range(families)]
    parsed: dict[str, object] = orjson.loads(gzip.decompress(Pusher().body(fams)))
    return parsed


def body(document: dict[str, object]) -> bytes:
    return gzip.compress(orjson.dumps(document))


LIMITED = Limits(max_compressed_bytes=100_000, max_bytes=50_000, max_ratio=1000,
                 max_samples=10, max_batches=1, max_families=3, max_labels=2)


def too_many_batches() -> bytes:
    d = doc()
    d["batches"] = d["batches"] * 2  # type: ignore[operator]
    return body(d)


def names_longer_than_rows() -> bytes:
    d = doc(rows=2)
    d["batches"][0]["families"][0]["names"] = ["f0", "f0", "f0"]  # type: ignore[index]
    return body(d)


CASES = {
    "compressed body": (lambda: gzip.compress(bytes(range(256)) * 500, 0), ReportTooLarge),
    "inflated body": (lambda: gzip.compress(b" " * 60_000), ReportTooLarge),
    "samples in one family": (lambda: body(doc(rows=11)), ReportTooLarge),
    "samples in the report": (lambda: body(doc(families=3, rows=4)), ReportTooLarge),
    "batches": (too_many_batches, ReportTooLarge),
    "families": (lambda: body(doc(families=4)), ReportTooLarge),
    "labels": (lambda: body(doc(labels=3)), ReportTooLarge),
    "names longer than rows": (names_longer_than_rows, MalformedReport),
    "truncated": (lambda: body(doc())[:-8], MalformedReport),
    "wrong version": (lambda: body({**doc(), "v": 2}), MalformedReport),
}


@pytest.mark.parametrize("case", list(CASES))
def test_limits_are_413_and_shapes_400(case: str) -> None:
    make, expected = CASES[case]
    with pytest.raises(expected):
        prepare(make(), WARD, LIMITED, compressed=True)


def test_a_good_report_is_prepared() -> None:
    prepared = prepare(body(doc(families=2, rows=3)), WARD, LIMITED, compressed=True)
    assert prepared.samples == 6 and prepared.seq == 1
