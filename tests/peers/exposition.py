"""Parse an exposition into comparable series, for conformance tests against the peers.

prometheus_client's parser renames counters (``ifHCInOctets`` becomes ``ifHCInOctets_total``),
which would hide exactly the differences these tests look for, so this is a small strict
parser of the text format (0.0.4) that keeps every name as written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

SeriesKey = tuple[str, frozenset[tuple[str, str]]]

_NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
_SAMPLE = re.compile(rf"^({_NAME})(?:\{{(.*)\}})?\s+(\S+)(?:\s+(-?\d+))?$")
_LABEL = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(,|$)')


@dataclass
class Exposition:
    values: dict[SeriesKey, float] = field(default_factory=dict)
    types: dict[str, str] = field(default_factory=dict)   # family name -> declared type
    helps: dict[str, str] = field(default_factory=dict)
    raw: str = ""  # the text it was parsed from, when kept

    def names(self) -> set[str]:
        return {name for name, _ in self.values}

    def series(self, name: str) -> dict[frozenset[tuple[str, str]], float]:
        return {labels: v for (n, labels), v in self.values.items() if n == name}

    def type_of(self, sample_name: str) -> str:
        for suffix in ("", "_bucket", "_sum", "_count"):
            base = sample_name[: len(sample_name) - len(suffix)] if suffix else sample_name
            if sample_name.endswith(suffix) and base in self.types:
                return self.types[base]
        return "untyped"


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: {"n": "\n"}.get(m.group(1), m.group(1)), text)


def _labels(body: str, line: str) -> frozenset[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    while pos < len(body):
        m = _LABEL.match(body, pos)
        if m is None:
            raise ValueError(f"bad label set in line: {line!r}")
        out.append((m.group(1), _unescape(m.group(2))))
        pos = m.end()
    names = [n for n, _ in out]
    if len(names) != len(set(names)):
        raise ValueError(f"repeated label name in line: {line!r}")
    return frozenset(out)


def parse(text: str | bytes) -> Exposition:
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    exp = Exposition(raw=text)
    for line in text.splitlines():
        if not line.strip():
            continue
        if line.startswith("# HELP "):
            name, _, help_text = line[7:].partition(" ")
            exp.helps[name] = _unescape(help_text)
            continue
        if line.startswith("# TYPE "):
            name, _, typ = line[7:].partition(" ")
            exp.types[name] = typ.strip()
            continue
        if line.startswith("#"):
            continue
        m = _SAMPLE.match(line)
        if m is None:
            raise ValueError(f"bad sample line: {line!r}")
        key = (m.group(1), _labels(m.group(2) or "", line))
        if key in exp.values:
            raise AssertionError(f"duplicate series in exposition: {key}")
        exp.values[key] = float(m.group(3))
    return exp
