"""From a push body to rendered batches: decode, validate, render. Pure, so it can run in a
worker thread for a large report while the event loop keeps serving."""

from __future__ import annotations

import math
from dataclasses import dataclass

from collector import errors as collector_errors
from collector.errors import MalformedReport
from collector.lines import IdentityLabels, RenderedBatch, render_batch
from netmon.wire import Batch, Limits, ReportError, ReportTooLarge, decode_report

__all__ = ["PreparedReport", "prepare"]


@dataclass(frozen=True, slots=True)
class PreparedReport:
    seq: int
    batches: tuple[RenderedBatch, ...]
    newest_ts: float       # the newest batch timestamp (-inf without batches)
    raw: tuple[Batch, ...] = ()   # as decoded, for remote_write (same order as batches)
    sent: float = -math.inf       # when the agent made the report (its clock)

    @property
    def samples(self) -> int:
        return sum(b.samples for b in self.batches)


def prepare(body: bytes, ident: IdentityLabels, limits: Limits, compressed: bool
            ) -> PreparedReport:
    """Decode ``body`` and render its batches with ``ident``; raises a 400 or 413 error."""
    try:
        report = decode_report(body, limits, compressed)
    except ReportTooLarge as exc:  # a size limit: 413
        raise collector_errors.ReportTooLarge(str(exc)) from None
    except ReportError as exc:  # anything else wrong: 400
        raise MalformedReport(str(exc)) from None
    batches = tuple(render_batch(batch, ident) for batch in report.batches)
    return PreparedReport(report.seq, batches, max((b.ts for b in batches), default=-math.inf),
                          report.batches, report.sent)
