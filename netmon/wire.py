"""The report an agent pushes to a collector: netmon's wire format, version 1, defined once.

    POST /api/v1/push
    Authorization: Bearer <agent token>          (who the agent is: never the body)
    Content-Type: application/x-netmon-report+json; version=1
    Content-Encoding: gzip
    X-Netmon-Seq: 42                             (optional: the body's seq, and when it was
    X-Netmon-Created: 1795779005.12               made; a known duplicate is answered unread)
    X-Netmon-Backlog: 1                          (optional: a catch-up report, deferred first)

    {"v": 1, "seq": 42, "sent": 1795779005.12,
     "batches": [
       {"exporter": "snmp:hn-bd-phucxa-r1", "ts": 1795779004.90, "interval": 15.0,
        "families": [
          {"name": "ifHCInOctets", "type": "counter", "help": "The total number of ...",
           "labels": ["ifAlias", "ifDescr", "ifIndex", "ifName"],
           "samples": [[75142214946.0, "lo", "lo", "1", "lo"], ...]},
          ...]}]}

* ``seq`` numbers an agent's reports, strictly increasing; the collector answers
  ``{"ack": seq}`` and treats a report whose ``seq`` it has already acknowledged as a
  duplicate (acknowledged again, counted once), so a resent report is never counted twice.
* A batch is one exporter's run: ``ts`` is when it was collected (Unix seconds), ``interval``
  how often it runs (for staleness). A batch replaces that exporter's previous batch whole, as
  a scrape replaces the previous scrape: series that disappeared disappear.
* A family's samples are rows: the value, then one value per name in ``labels`` (columnar:
  smallest and cheapest to decode). Families whose samples have different names (a histogram's
  ``_bucket``/``_sum``/``_count``) add ``"names"``: one sample name per row. Values are JSON
  numbers, or the strings ``"NaN"``, ``"+Inf"``, ``"-Inf"``.

Why JSON: measured by ``bench/wire_codec.py`` on a ward router's report (1,030 samples):
orjson encodes it in 0.05 ms and decodes it in 0.38 ms; msgpack 0.16 and 0.37 ms; the stdlib
json 0.58 and 0.72 ms; the Prometheus text format costs 1.5 ms to write and 10 ms to parse in
Python. Gzipped, the JSON report is 5.3 kB (msgpack 5.8 kB, text 8.8 kB). msgpack decodes no
faster and is not readable with ``curl | jq``; so: JSON, written by orjson (a dependency; the
stdlib is the fallback, same bytes on the wire). Full validation brings the collector's cost
to about 1.2 ms per ward report.

:func:`decode_report` is the collector's only way in: it validates everything (types, names,
sizes, counts) and raises :class:`ReportError` naming the field that is wrong, e.g.
``batches[0].families[3].labels[1]: 'if-name' is not a valid label name``.
"""

from __future__ import annotations

import gzip
import math
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from prometheus_client import Metric

try:
    import orjson

    def _dumps(obj: Any) -> bytes:
        return orjson.dumps(obj)

    def _loads(data: bytes) -> Any:
        return orjson.loads(data)
except ImportError:  # pragma: no cover - orjson is a dependency; this keeps tools working
    import json

    def _dumps(obj: Any) -> bytes:
        return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()

    def _loads(data: bytes) -> Any:
        return json.loads(data)

VERSION: Final = 1
CONTENT_TYPE: Final = "application/x-netmon-report+json; version=1"
PUSH_PATH: Final = "/api/v1/push"
#: Optional headers of a push: the report's ``seq`` and ``created`` time (agent clock), so a
#: collector answers a report it already has without reading it, and ``1`` for a backlog
#: report (a catch-up), which a busy collector defers before live data (429).
SEQ_HEADER: Final = "X-Netmon-Seq"
CREATED_HEADER: Final = "X-Netmon-Created"
BACKLOG_HEADER: Final = "X-Netmon-Backlog"

METRIC_NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
TYPES: Final = frozenset({"counter", "gauge", "untyped", "unknown", "summary", "histogram",
                          "info", "stateset", "gaugehistogram"})
_SPECIAL = {"NaN": math.nan, "+Inf": math.inf, "-Inf": -math.inf}


class ReportError(ValueError):
    """A report is malformed; the message names the field and what is wrong with it."""


class ReportTooLarge(ReportError):
    """A report is over one of the size limits (body, inflated body, a list, the samples)."""


@dataclass(frozen=True, slots=True)
class Limits:
    """What a collector accepts in one report (defaults sized for a ward: a router's if_mib
    is about 1,000 samples, a host about 300)."""

    max_compressed_bytes: int = 4 * 1024 * 1024
    max_bytes: int = 32 * 1024 * 1024
    max_ratio: int = 100            # decompressed / compressed: a gzip bomb stops here
    max_samples: int = 200_000
    max_batches: int = 64
    max_families: int = 10_000
    max_labels: int = 64
    max_name_length: int = 256
    max_label_value_length: int = 4096
    max_help_length: int = 4096
    # Enforced by the collector per agent or per connection, not by decode_report; here so
    # that collector.yml's ``limits:`` is one mapping (collector/README.md, "Limits").
    max_series_per_agent: int = 100_000   # distinct series across its batches: 422 past it
    max_reports_per_second: int = 20      # per agent, a token bucket: 429 past it
    max_report_burst: int = 120           # the bucket's size
    header_timeout_seconds: int = 20      # a request's headers, or an idle connection
    body_timeout_seconds: int = 30        # a push's body, once its headers arrived


@dataclass(frozen=True, slots=True)
class FamilyData:
    name: str
    type: str
    help: str
    labels: tuple[str, ...]
    rows: list[list[Any]]             # [value, label values...], validated
    names: tuple[str, ...] | None = None

    def sample_count(self) -> int:
        return len(self.rows)


@dataclass(frozen=True, slots=True)
class Batch:
    exporter: str
    ts: float
    interval: float
    families: tuple[FamilyData, ...]


@dataclass(frozen=True, slots=True)
class Report:
    seq: int
    sent: float
    batches: tuple[Batch, ...] = field(default_factory=tuple)

    def sample_count(self) -> int:
        return sum(f.sample_count() for b in self.batches for f in b.families)


# --- agent side ------------------------------------------------------------------------------

def _number(value: float) -> float | str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return value


def family_data(family: Metric) -> FamilyData:
    """A prometheus_client family as rows (label names: the union over its samples, sorted;
    a sample without one of them gets "", which Prometheus reads as "no such label")."""
    keys = sorted({k for s in family.samples for k in s.labels})
    rows = [[_number(s.value), *(s.labels.get(k, "") for k in keys)] for s in family.samples]
    names = [s.name for s in family.samples]
    uniform = all(n == family.name for n in names)
    return FamilyData(family.name, family.type, family.documentation, tuple(keys), rows,
                      None if uniform else tuple(names))


def batch(exporter: str, ts: float, interval: float, families: Sequence[Metric]) -> Batch:
    return Batch(exporter, ts, interval, tuple(family_data(f) for f in families))


def encode_report(report: Report, compresslevel: int = 6) -> bytes:
    """The gzipped body of a push."""
    body = {"v": VERSION, "seq": report.seq, "sent": report.sent, "batches": [
        {"exporter": b.exporter, "ts": b.ts, "interval": b.interval, "families": [
            {"name": f.name, "type": f.type, "help": f.help, "labels": list(f.labels),
             "samples": f.rows, **({"names": list(f.names)} if f.names is not None else {})}
            for f in b.families]}
        for b in report.batches]}
    return gzip.compress(_dumps(body), compresslevel)


# --- collector side --------------------------------------------------------------------------

def decompress(body: bytes, limits: Limits) -> bytes:
    """Gunzip, refusing bombs: stop at ``max_bytes`` or ``max_ratio`` x the compressed size."""
    if len(body) > limits.max_compressed_bytes:
        raise ReportTooLarge(
            f"body of {len(body)} bytes exceeds {limits.max_compressed_bytes}")
    ceiling = min(limits.max_bytes, max(len(body), 1) * limits.max_ratio)
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(body, ceiling + 1)
    except zlib.error as exc:
        raise ReportError(f"body is not valid gzip: {exc}") from None
    if len(out) > ceiling:
        raise ReportTooLarge(
            f"body inflates past {ceiling} bytes (limit: {limits.max_bytes} bytes, "
            f"or {limits.max_ratio}x the {len(body)} compressed bytes)")
    if not inflater.eof:
        raise ReportError("gzip body is truncated")
    if inflater.unused_data:
        raise ReportError("bytes after the end of the gzip body")
    return out


def decode_report(body: bytes, limits: Limits | None = None, compressed: bool = True) -> Report:
    """Validate and decode a push body; raises ReportError naming what is wrong and where."""
    limits = limits or Limits()
    raw = decompress(body, limits) if compressed else body
    if len(raw) > limits.max_bytes:
        raise ReportTooLarge(f"body of {len(raw)} bytes exceeds {limits.max_bytes}")
    try:
        doc = _loads(raw)
    except ValueError as exc:
        raise ReportError(f"body is not JSON: {exc}") from None
    return _Decoder(limits).report(doc)


class _Decoder:
    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.samples = 0

    def report(self, doc: Any) -> Report:
        obj = _object(doc, "report", {"v", "seq", "sent", "batches"})
        if obj.get("v") != VERSION:
            raise ReportError(f"v: unsupported version {obj.get('v')!r} (this collector reads "
                              f"version {VERSION})")
        seq = obj.get("seq")
        if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
            raise ReportError(f"seq: must be a non-negative integer, not {seq!r}")
        sent = _float(obj.get("sent"), "sent")
        batches = _list(obj.get("batches"), "batches", self.limits.max_batches)
        return Report(seq, sent, tuple(self.batch(b, f"batches[{i}]")
                                       for i, b in enumerate(batches)))

    def batch(self, doc: Any, where: str) -> Batch:
        obj = _object(doc, where, {"exporter", "ts", "interval", "families"})
        exporter = _string(obj.get("exporter"), f"{where}.exporter", self.limits.max_name_length)
        if not exporter:
            raise ReportError(f"{where}.exporter: must not be empty")
        ts = _float(obj.get("ts"), f"{where}.ts")
        interval = _float(obj.get("interval"), f"{where}.interval")
        if interval <= 0:
            raise ReportError(f"{where}.interval: must be positive, not {interval}")
        families = _list(obj.get("families"), f"{where}.families", self.limits.max_families)
        seen: set[str] = set()
        out = []
        for i, fam in enumerate(families):
            data = self.family(fam, f"{where}.families[{i}]")
            if data.name in seen:
                raise ReportError(f"{where}.families[{i}].name: {data.name!r} appears twice "
                                  "in one batch")
            seen.add(data.name)
            out.append(data)
        return Batch(exporter, ts, interval, tuple(out))

    def family(self, doc: Any, where: str) -> FamilyData:
        lim = self.limits
        obj = _object(doc, where, {"name", "type", "help", "labels", "samples", "names"})
        name = _string(obj.get("name"), f"{where}.name", lim.max_name_length)
        if not METRIC_NAME.match(name):
            raise ReportError(f"{where}.name: {name!r} is not a valid metric name")
        typ = _string(obj.get("type"), f"{where}.type", 32)
        if typ not in TYPES:
            raise ReportError(f"{where}.type: {typ!r} is not one of {sorted(TYPES)}")
        help_text = _string(obj.get("help", ""), f"{where}.help", lim.max_help_length)
        labels = _list(obj.get("labels"), f"{where}.labels", lim.max_labels)
        for j, label in enumerate(labels):
            text = _string(label, f"{where}.labels[{j}]", lim.max_name_length)
            if not LABEL_NAME.match(text) or text.startswith("__"):
                raise ReportError(f"{where}.labels[{j}]: {text!r} is not a valid label name")
        if len(set(labels)) != len(labels):
            raise ReportError(f"{where}.labels: a label name appears twice")
        rows = _list(obj.get("samples"), f"{where}.samples", lim.max_samples)
        self.samples += len(rows)
        if self.samples > lim.max_samples:
            raise ReportTooLarge(f"{where}.samples: the report has more than "
                                 f"{lim.max_samples} samples")
        width = len(labels) + 1
        for k, row in enumerate(rows):
            if not isinstance(row, list) or len(row) != width:
                raise ReportError(f"{where}.samples[{k}]: must be a list of the value and "
                                  f"{len(labels)} label value(s)")
            value = row[0]
            if isinstance(value, str):
                if value not in _SPECIAL:
                    raise ReportError(f"{where}.samples[{k}][0]: {value!r} is not a number")
                row[0] = _SPECIAL[value]
            elif not isinstance(value, (int, float)) or isinstance(value, bool):
                raise ReportError(f"{where}.samples[{k}][0]: {value!r} is not a number")
            for m in range(1, width):
                lv = row[m]
                if not isinstance(lv, str):
                    raise ReportError(f"{where}.samples[{k}][{m}]: label value must be a "
                                      "string")
                if len(lv) > lim.max_label_value_length:
                    raise ReportError(f"{where}.samples[{k}][{m}]: label value longer than "
                                      f"{lim.max_label_value_length} characters")
        names = obj.get("names")
        sample_names: tuple[str, ...] | None = None
        if names is not None:
            if not isinstance(names, list):
                raise ReportError(f"{where}.names: must be a list")
            names_list = names
            if len(names_list) != len(rows):
                raise ReportError(f"{where}.names: {len(names_list)} names for {len(rows)} "
                                  "samples")
            for k, sample_name in enumerate(names_list):
                text = _string(sample_name, f"{where}.names[{k}]", lim.max_name_length)
                if not text.startswith(name) or not METRIC_NAME.match(text):
                    raise ReportError(f"{where}.names[{k}]: {text!r} is not a sample of "
                                      f"{name!r}")
            sample_names = tuple(names_list)
        return FamilyData(name, typ, help_text, tuple(labels), rows, sample_names)


def _object(doc: Any, where: str, allowed: set[str]) -> dict[str, Any]:
    if not isinstance(doc, dict):
        raise ReportError(f"{where}: must be an object")
    unknown = set(doc) - allowed
    if unknown:
        raise ReportError(f"{where}: unknown field(s) {sorted(unknown)} (allowed: "
                          f"{sorted(allowed)})")
    return doc


def _list(doc: Any, where: str, max_items: int) -> list[Any]:
    if not isinstance(doc, list):
        raise ReportError(f"{where}: must be a list")
    if len(doc) > max_items:
        raise ReportTooLarge(f"{where}: {len(doc)} items, more than the limit of {max_items}")
    return doc


def _string(doc: Any, where: str, max_length: int) -> str:
    if not isinstance(doc, str):
        raise ReportError(f"{where}: must be a string")
    if len(doc) > max_length:
        raise ReportError(f"{where}: longer than {max_length} characters")
    return doc


def _float(doc: Any, where: str) -> float:
    if not isinstance(doc, (int, float)) or isinstance(doc, bool) or not math.isfinite(doc):
        raise ReportError(f"{where}: must be a finite number, not {doc!r}")
    return float(doc)
