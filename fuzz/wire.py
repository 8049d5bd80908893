"""Fuzz target (a): a push body, as the collector reads it.

The input is a push body. It goes through :func:`collector.prepare.prepare` (the netmon wire
decoder, :func:`netmon.wire.decode_report`, then rendering into exposition lines) twice: as an
uncompressed JSON body (what a client sending no ``Content-Encoding`` gives), and, when it
starts with the gzip magic, as a gzipped body (bombs, truncation, trailing bytes).

Contract: only :class:`collector.errors.MalformedReport` (400) and
:class:`collector.errors.ReportTooLarge` (413) may escape; anything else is a bug.
"""

from __future__ import annotations

import contextlib

import atheris  # type: ignore[import-untyped]

from fuzz._harness import PACKAGES, fuzz

with atheris.instrument_imports(include=PACKAGES):
    from collector.errors import MalformedReport, ReportTooLarge
    from collector.inventory import Identity
    from collector.lines import IdentityLabels
    from collector.prepare import prepare
    from netmon.wire import Limits

IDENT = IdentityLabels.of(Identity("hn-badinh-phucxa-r1", "00001", "Quận Ba Đình",
                                   "Phường Phúc Xá", "ward-router", "primary", "ward"))
#: Smaller than the defaults so a fuzzed input reaches every limit within -max_len.
LIMITS = Limits(max_compressed_bytes=64 * 1024, max_bytes=512 * 1024, max_samples=2_000,
                max_batches=8, max_families=200, max_labels=16, max_label_value_length=256)


def TestOneInput(data: bytes) -> None:  # noqa: N802 (atheris calls it so)
    with contextlib.suppress(MalformedReport, ReportTooLarge):
        prepare(data, IDENT, LIMITS, compressed=False)
    if data[:2] == b"\x1f\x8b":
        with contextlib.suppress(MalformedReport, ReportTooLarge):
            prepare(data, IDENT, LIMITS, compressed=True)


if __name__ == "__main__":
    fuzz(TestOneInput)
