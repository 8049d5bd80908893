"""Property tests (hypothesis) of every decoder and loader that reads outside input.

The contract each one keeps: whatever the input, only its documented error escapes
(:class:`netmon.wire.ReportError`, :class:`exporters.errors.ConfigError`,
:class:`exporters.errors.SnmpProtocolError`, :class:`collector.traps.errors.TrapError`), and
the CLI evaluation lets nothing escape. Inputs are both raw (any bytes, any text) and
structure-aware (a valid report, module file or BER answer with one part replaced by
arbitrary JSON, YAML or bytes), which reaches far deeper than random bytes: the coverage
-guided harnesses of ``fuzz/`` complement them. The round trip of the wire format is checked
on arbitrary valid reports.
"""

from __future__ import annotations

import contextlib
import copy
import gzip
import json
import math
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from agent.config_load import parse_agent_config
from collector.config_load import parse_config
from collector.errors import MalformedReport, ReportTooLarge
from collector.inventory import Identity
from collector.inventory_load import parse_inventory
from collector.lines import IdentityLabels
from collector.prepare import prepare
from collector.traps.errors import TrapError
from collector.traps.message import decode_message, peek_version
from exporters.cli.config_check import ConfigChangeTracker
from exporters.cli.mapping_load import default_mapping_path, load_mapping
from exporters.cli.run import evaluate
from exporters.cli.session import CommandOutput, SessionRun
from exporters.errors import ConfigError, SnmpProtocolError
from exporters.snmp import ber
from exporters.snmp.config_load import parse_snmp_config
from netmon.wire import Batch, FamilyData, Limits, Report, ReportError, decode_report, encode_report
from tests.fuzz.profiles import PROFILE

pytestmark = pytest.mark.security

CORPUS = Path(__file__).resolve().parents[2] / "fuzz" / "corpus"
NOWHERE = Path("/nonexistent-netmon-fuzz")
IDENT = IdentityLabels.of(Identity("hn-badinh-phucxa-r1", "00001", "Quận Ba Đình",
                                   "Phường Phúc Xá", "ward-router", "primary", "ward"))


def seeds(target: str, suffix: str = "") -> list[bytes]:
    return [p.read_bytes() for p in sorted((CORPUS / target).iterdir())
            if p.name.endswith(suffix) and not p.name.startswith("regress-")]


# --- the wire format --------------------------------------------------------------------------

_FIRST = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
_REST = _FIRST + "0123456789_"
NAMES = st.builds(str.__add__, st.sampled_from(_FIRST + "_:"), st.text(_REST + ":", max_size=30))
LABELS = st.builds(str.__add__, st.sampled_from(_FIRST), st.text(_REST, max_size=20))
TEXT = st.text(st.characters(codec="utf-8"), max_size=40)   # no lone surrogates
FINITE = st.floats(allow_nan=False, allow_infinity=False)
VALUE = st.one_of(FINITE, st.integers(-(2**53), 2**53), st.sampled_from(["NaN", "+Inf", "-Inf"]))
TYPES = st.sampled_from(["counter", "gauge", "untyped", "summary", "histogram", "info"])


@st.composite
def families(draw: st.DrawFn) -> FamilyData:
    labels = tuple(draw(st.lists(LABELS, max_size=5, unique=True)))
    row = st.tuples(VALUE, st.lists(TEXT, min_size=len(labels), max_size=len(labels)))
    drawn = draw(st.lists(row, max_size=6))
    rows: list[list[Any]] = [[value, *texts] for value, texts in drawn]
    name = draw(NAMES)
    names = None
    with_names = draw(st.booleans())
    if rows and with_names:
        names = tuple(name + draw(st.sampled_from(["", "_sum", "_count", "_bucket"]))
                      for _ in rows)
    return FamilyData(name, draw(TYPES), draw(TEXT), labels, rows, names)


@st.composite
def reports(draw: st.DrawFn) -> Report:
    batches = []
    for _ in range(draw(st.integers(0, 3))):
        fams = draw(st.lists(families(), max_size=4, unique_by=lambda f: f.name))
        batches.append(Batch(draw(TEXT.filter(bool)), draw(FINITE),
                             draw(st.floats(1e-3, 1e6)), tuple(fams)))
    return Report(draw(st.integers(0, 2**63 - 1)), draw(FINITE), tuple(batches))


def _canonical(report: Report) -> Any:
    """The report with the special values as the strings the wire writes (NaN != NaN)."""
    def value(v: Any) -> Any:
        if isinstance(v, float) and math.isnan(v):
            return "NaN"
        if isinstance(v, float) and math.isinf(v):
            return "+Inf" if v > 0 else "-Inf"
        return v
    return (report.seq, report.sent, [
        (b.exporter, b.ts, b.interval, [
            (f.name, f.type, f.help, f.labels, f.names,
             [[value(r[0]), *r[1:]] for r in f.rows]) for f in b.families])
        for b in report.batches])


@settings(parent=PROFILE)
@given(reports())
def test_decode_of_encode_is_the_report(report: Report) -> None:
    expected = _canonical(report)
    body = encode_report(copy.deepcopy(report))
    assert _canonical(decode_report(body)) == expected
    assert _canonical(decode_report(gzip.decompress(body), compressed=False)) == expected


@settings(parent=PROFILE)
@given(st.binary(max_size=2048), st.booleans())
def test_any_bytes_decode_to_a_report_or_a_report_error(body: bytes, compressed: bool) -> None:
    with contextlib.suppress(ReportError):
        decode_report(body, compressed=compressed)


JSON = st.recursive(st.none() | st.booleans() | st.integers() | FINITE | TEXT,
                    lambda inner: st.lists(inner, max_size=4)
                    | st.dictionaries(TEXT, inner, max_size=4), max_leaves=12)


def _paths(doc: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [path]
    if isinstance(doc, dict):
        for key, value in doc.items():
            out += _paths(value, (*path, key))
    elif isinstance(doc, list):
        for i, value in enumerate(doc):
            out += _paths(value, (*path, i))
    return out


def _replace(doc: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    parent = doc
    for part in path[:-1]:
        parent = parent[part]
    parent[path[-1]] = new
    return doc


REPORT_DOCS = [json.loads(s) for s in seeds("wire", ".json")]


@settings(parent=PROFILE)
@given(st.sampled_from(REPORT_DOCS), st.data(), JSON)
def test_a_report_with_any_part_replaced_is_prepared_or_refused(
        doc: Any, data: st.DataObject, new: Any) -> None:
    doc = copy.deepcopy(doc)
    path = data.draw(st.sampled_from(_paths(doc)))
    body = json.dumps(_replace(doc, path, new)).encode()
    limits = Limits(max_samples=500, max_label_value_length=64)
    with contextlib.suppress(MalformedReport, ReportTooLarge):
        prepare(body, IDENT, limits, compressed=False)


# --- the YAML loaders -------------------------------------------------------------------------

def _load_all(text: str) -> None:
    for parse in (lambda: parse_agent_config(text, "agent.yml", NOWHERE, read_token_file=False),
                  lambda: parse_config(text, "collector.yml", NOWHERE),
                  lambda: parse_inventory(text, "inventory.yml"),
                  lambda: parse_snmp_config(text, "snmp.yml")):
        with contextlib.suppress(ConfigError):
            parse()


@settings(parent=PROFILE)
@given(st.text(max_size=400))
def test_any_text_is_a_config_or_a_config_error(text: str) -> None:
    _load_all(text)


YAML_DOCS = [yaml.safe_load(s) for target in ("config", "snmp_yml")
             for s in seeds(target, ".yml") if s.strip()]
YAML_VALUE = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | TEXT | st.binary(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=8)


@settings(parent=PROFILE)
@given(st.sampled_from(YAML_DOCS), st.data(), YAML_VALUE)
def test_a_real_config_with_any_part_replaced_is_loaded_or_refused(
        doc: Any, data: st.DataObject, new: Any) -> None:
    doc = copy.deepcopy(doc)
    path = data.draw(st.sampled_from(_paths(doc)))
    _load_all(yaml.safe_dump(_replace(doc, path, new), allow_unicode=True))


# --- BER: SNMP answers and notifications --------------------------------------------------------

@st.composite
def mangled(draw: st.DrawFn, target: str) -> bytes:
    """A real datagram, truncated, with bytes flipped, or with garbage spliced in."""
    data = bytearray(draw(st.sampled_from(seeds(target))))
    for _ in range(draw(st.integers(1, 4))):
        how = draw(st.sampled_from(["flip", "cut", "splice", "length"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if how == "flip" and data:
            data[at] = draw(st.integers(0, 255))
        elif how == "cut":
            del data[at:]
        elif how == "splice":
            data[at:at] = draw(st.binary(max_size=16))
        elif data:  # a long-form length where a short one was: 0x84 + 4 bytes
            data[at:at + 1] = b"\x84" + draw(st.binary(min_size=4, max_size=4))
    return bytes(data)


def _decode_answer(data: bytes) -> None:
    with contextlib.suppress(SnmpProtocolError):
        ber.decode_response(data, ber.decode_header(data))


def _decode_trap(data: bytes) -> None:
    try:
        peek_version(data)
        decode_message(data)
    except TrapError:
        pass


@settings(parent=PROFILE)
@given(st.binary(max_size=512) | mangled("snmp_response"))
def test_any_answer_decodes_or_is_a_protocol_error(data: bytes) -> None:
    _decode_answer(data)


@settings(parent=PROFILE)
@given(st.binary(max_size=512) | mangled("traps"))
def test_any_datagram_on_the_trap_port_decodes_or_is_refused(data: bytes) -> None:
    _decode_trap(data)


# --- CLI output ---------------------------------------------------------------------------------

_PATH = default_mapping_path("cisco_ios")
assert _PATH is not None
MAPPING = load_mapping(_PATH)
OUTPUTS = [s[1:].decode() for s in seeds("cli")]


@settings(parent=PROFILE, max_examples=min(PROFILE.max_examples, 60))
@given(st.sampled_from(MAPPING.commands), st.sampled_from(OUTPUTS), st.data())
def test_any_command_output_is_parsed_or_recorded_as_an_error(
        command: str, real: str, data: st.DataObject) -> None:
    lines = real.splitlines(keepends=True)
    at = data.draw(st.integers(0, len(lines)))
    lines[at:at + data.draw(st.integers(0, 3))] = data.draw(st.lists(TEXT, max_size=3))
    output = "".join(lines)
    session = SessionRun((CommandOutput(command, output, None, 0.1),), None, True)
    run = evaluate("hn-badinh-phucxa-r1", MAPPING, session,
                   ConfigChangeTracker("hn-badinh-phucxa-r1", clock=lambda: 0.0))
    assert [r.command for r in run.commands] == [command]
