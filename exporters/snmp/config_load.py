"""Read snmp_exporter's generated module files into :mod:`exporters.snmp.config`, strictly.

Two layouts exist and both are read:

* **current** (snmp_exporter >= 0.23): top-level ``auths:`` (credentials, each with its
  ``version``) and ``modules:`` (what to walk, walk parameters inline).
* **legacy** (snmp_exporter <= 0.22, the one Debian's 0.21 reads): every top-level key is a
  module, which carries ``version:`` and ``auth:`` inline. Each legacy module gets
  ``Module.auth``: an :class:`~exporters.snmp.config.Auth` named after the module, built from
  the module's ``auth`` and ``version`` (snmp_exporter's defaults when absent). These auths are
  not added to ``SnmpConfig.auths``: they belong to their module and their names could clash
  with real auths of other files.

A file is current when its top level has ``auths`` or ``modules``; otherwise it is legacy.
The metric schema is the same in both layouts (netmon reads a superset of what 0.21 knew).

Decisions, and where netmon is stricter than snmp_exporter (always to turn a silent
misbehaviour at scrape time into a clear refusal at load time):

* Like snmp_exporter's ``yaml.UnmarshalStrict``, an unknown or duplicated key anywhere is
  refused. Parsing works on YAML nodes (``yaml.compose``, with libyaml's C loader when present)
  so every message names the file and line, the module/metric path and the key, lists the
  allowed keys, and says how to fix it.
* Strings are read the way yaml.v2 fills a Go string: the scalar's text as written
  (``oid: 1.3`` is the string ``"1.3"``, a null is ``""``). Integers, booleans and floats
  must be YAML numbers/booleans; custom tags (``!vault``, ``!!binary``) are refused.
* Refused although snmp_exporter accepts: a bare number as ``timeout`` (yaml.v2 reads it
  as nanoseconds), a non-positive timeout, a lookup without ``labels`` (snmp_exporter
  silently turns it into a label deletion), invalid OIDs (``.1.3...``; snmp_exporter never
  matches them), metric/label names Prometheus would reject, unknown types (snmp_exporter
  treats them as strings), ``ParseDateAndTime`` without ``datetime_pattern``, a security level
  or protocol outside snmp_exporter's lists even for v1/v2c (the typed model has no place for
  them), ``retries`` over 100 or ``max_repetitions`` over 2^31-1, a glob or path that matches
  no file.
* Regular expressions are Go RE2. :class:`_GoRegex` translates them to Python ``re`` with the
  same meaning and refuses what has no equivalent. ``regex_extracts`` are anchored as
  snmp_exporter does (``"^(?:" + s + ")$"``, translated, so the end anchor is ``\\Z``);
  ``filters`` values are not anchored (snmp_exporter uses ``MatchString``).
* Secrets (community, password, priv_password) become :class:`~exporters.secrets.Secret` as
  soon as they are read; no message ever contains a scalar's value from an ``auth``.
"""

from __future__ import annotations

import glob
import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache
from pathlib import Path

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from exporters.errors import ConfigError
from exporters.secrets import Secret
from exporters.snmp.config import (
    AUTH_PROTOCOLS,
    INDEX_TYPES,
    METRIC_TYPES,
    PRIV_PROTOCOLS,
    Auth,
    DynamicFilter,
    Index,
    Lookup,
    MetricSpec,
    Module,
    RegexExtract,
    SecurityLevel,
    SnmpConfig,
    WalkParams,
)

__all__ = ["NOT_WORD_BOUNDARY", "WORD_BOUNDARY", "load_snmp_config", "parse_go_duration",
           "parse_snmp_config", "translate_go_regex"]

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_AUTH_KEYS = frozenset({"community", "security_level", "username", "password",
                        "auth_protocol", "priv_protocol", "priv_password", "context_name"})
_CURRENT_AUTH_KEYS = _AUTH_KEYS | {"version"}
_WALK_PARAM_KEYS = frozenset({"max_repetitions", "retries", "timeout",
                              "allow_nonincreasing_oids", "use_unconnected_udp_socket"})
_MODULE_KEYS = frozenset({"walk", "get", "metrics", "filters"}) | _WALK_PARAM_KEYS
_LEGACY_MODULE_KEYS = _MODULE_KEYS | {"version", "auth"}
_TOP_KEYS = frozenset({"auths", "modules", "version"})
_METRIC_KEYS = frozenset({"name", "oid", "type", "help", "indexes", "lookups", "enum_values",
                          "regex_extracts", "datetime_pattern", "offset", "scale",
                          "display_hint"})
_INDEX_KEYS = frozenset({"labelname", "type", "fixed_size", "implied", "enum_values"})
_LOOKUP_KEYS = frozenset({"labels", "labelname", "oid", "type", "enum_values"})
_EXTRACT_KEYS = frozenset({"regex", "value"})
_FILTER_KEYS = frozenset({"oid", "targets", "values"})

_OID = re.compile(r"(?:0|[1-9][0-9]{0,9})(?:\.(?:0|[1-9][0-9]{0,9}))+")
_METRIC_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
_LONG_ARC = re.compile(r"[0-9]{10}")
_MAX_SUBID = 2**32 - 1
_MAX_REPETITIONS = 2**31 - 1

_TAG = "tag:yaml.org,2002:"
_STR, _INT, _FLOAT, _BOOL, _NULL = (_TAG + t for t in ("str", "int", "float", "bool", "null"))
_PLAIN_TAGS = frozenset({_STR, _INT, _FLOAT, _BOOL, _NULL, _TAG + "timestamp"})
#: Stands for an absent optional list or mapping.
_NULL_NODE = ScalarNode(_NULL, "")


# --- where we are, for messages --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Where:
    """A position in a file: the file and the path of keys (formatted only on error)."""

    source: str
    parts: tuple[str, ...] = ()

    def child(self, part: str) -> _Where:
        return _Where(self.source, (*self.parts, part))

    def error(self, node: Node | None, what: str, fix: str) -> ConfigError:
        line = f":{node.start_mark.line + 1}" if node is not None else ""
        path = f" {', '.join(self.parts)}:" if self.parts else ""
        return ConfigError(f"{self.source}{line}:{path} {what}. {fix}")


# --- YAML nodes -------------------------------------------------------------------------------


def _compose(text: str, source: str) -> Node | None:
    try:
        return yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        # Only the problem and its position: the snippet could show a community string.
        mark = exc.problem_mark or exc.context_mark
        line = f":{mark.line + 1}:{mark.column + 1}" if mark is not None else ""
        problem = " ".join(p for p in (exc.context, exc.problem) if p)
        raise ConfigError(f"{source}{line}: not valid YAML: {problem}. Fix the YAML syntax "
                          "there (indentation, quoting, a missing ':').") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{source}: not valid YAML ({type(exc).__name__}). Fix the YAML "
                          "syntax.") from None


def _kind(node: Node) -> str:
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    return "a scalar"


def _is_null(node: Node) -> bool:
    return isinstance(node, ScalarNode) and node.tag == _NULL


def _key_text(node: Node, where: _Where) -> str:
    if node.tag == _TAG + "merge":
        raise where.error(node, "YAML merge keys (<<) are not supported",
                          "Write the keys out in full.")
    if not isinstance(node, ScalarNode) or node.tag not in _PLAIN_TAGS:
        raise where.error(node, f"a key must be a plain string, not {_kind(node)}",
                          "Write the key as plain text.")
    return "" if node.tag == _NULL else str(node.value)


def _fields(node: Node, where: _Where, allowed: frozenset[str],
            required: tuple[str, ...] = ()) -> dict[str, Node]:
    """A mapping with a fixed set of keys: refuse unknown, duplicate and missing keys."""
    if _is_null(node):
        node = MappingNode(_TAG + "map", [], node.start_mark, node.end_mark)
    if not isinstance(node, MappingNode):
        raise where.error(node, f"expected a mapping of {_allowed(allowed)}, found "
                          f"{_kind(node)}", "Indent the keys under it as a mapping.")
    out: dict[str, Node] = {}
    for key_node, value in node.value:
        key = _key_text(key_node, where)
        if key not in allowed:
            raise where.error(key_node, f"unknown key {key!r} (allowed: {_allowed(allowed)})",
                              "Remove it or correct its spelling.")
        if key in out:
            raise where.error(key_node, f"key {key!r} is set twice (first on line "
                              f"{out[key].start_mark.line + 1})", "Keep only one of them.")
        out[key] = value
    for key in required:
        if key not in out:
            raise where.error(node, f"missing required key {key!r}", f"Add {key}: to it.")
    return out


def _allowed(keys: frozenset[str]) -> str:
    return ", ".join(sorted(keys))


def _entries(node: Node, where: _Where, what: str) -> Iterator[tuple[str, Node, Node]]:
    """A mapping with free keys (module names, auth names, enum values...): no duplicates."""
    if _is_null(node):
        return
    if not isinstance(node, MappingNode):
        raise where.error(node, f"{what} must be a mapping, found {_kind(node)}",
                          "Indent its entries under it as `name: value`.")
    seen: dict[str, Node] = {}
    for key_node, value in node.value:
        key = _key_text(key_node, where)
        if key in seen:
            raise where.error(key_node, f"{what} has {key!r} twice (first on line "
                              f"{seen[key].start_mark.line + 1})", "Keep only one of them.")
        seen[key] = key_node
        yield key, key_node, value


def _items(node: Node, where: _Where, key: str) -> list[Node]:
    if _is_null(node):
        return []
    if not isinstance(node, SequenceNode):
        raise where.error(node, f"{key} must be a list, found {_kind(node)}",
                          f"Write {key} as a YAML list (`- item` lines or `[a, b]`).")
    return list(node.value)


def _scalar(node: Node, where: _Where, key: str) -> ScalarNode:
    if not isinstance(node, ScalarNode):
        raise where.error(node, f"{key} must be a single value, found {_kind(node)}",
                          f"Give {key} one value.")
    if node.tag not in _PLAIN_TAGS:
        raise where.error(node, f"{key} has the tag {node.tag!r}, which netmon does not read",
                          "Write the plain value (decrypt vault values before deploying).")
    return node


def _text(node: Node, where: _Where, key: str) -> str:
    scalar = _scalar(node, where, key)
    return "" if scalar.tag == _NULL else str(scalar.value)


def _integer(node: Node, where: _Where, key: str, low: int, high: int) -> int:
    scalar = _scalar(node, where, key)
    value = _yaml_int(scalar.value) if scalar.tag == _INT else None
    if value is None:
        raise where.error(node, f"{key} must be an integer", f"Write {key} as a number.")
    if not low <= value <= high:
        raise where.error(node, f"{key} must be between {low} and {high}, got {value}",
                          f"Choose a {key} in that range.")
    return value


def _yaml_int(text: str) -> int | None:
    """A YAML 1.1 int as yaml.v2 reads it (decimal, 0x hex, 0b binary, leading-0 octal)."""
    digits = text.replace("_", "")
    sign = -1 if digits.startswith("-") else 1
    digits = digits.lstrip("+-")
    try:
        if digits[:2] in ("0x", "0X"):
            return sign * int(digits[2:], 16)
        if digits[:2] in ("0b", "0B"):
            return sign * int(digits[2:], 2)
        if len(digits) > 1 and digits.startswith("0"):
            return sign * int(digits[1:], 8)
        return sign * int(digits, 10)
    except ValueError:
        return None  # sexagesimal (1:30) and the like: a string for yaml.v2 too


def _boolean(node: Node, where: _Where, key: str) -> bool:
    scalar = _scalar(node, where, key)
    if scalar.tag != _BOOL:
        raise where.error(node, f"{key} must be true or false", f"Write {key}: true or false.")
    return str(scalar.value).lower() in ("true", "yes", "on")


def _number(node: Node, where: _Where, key: str) -> float:
    scalar = _scalar(node, where, key)
    value: float | None = None
    if scalar.tag == _INT:
        integer = _yaml_int(scalar.value)
        value = None if integer is None else float(integer)
    elif scalar.tag == _FLOAT:
        try:
            value = float(str(scalar.value).replace("_", ""))
        except ValueError:
            value = None
    if value is None or not math.isfinite(value):
        raise where.error(node, f"{key} must be a finite number", f"Write {key} as a number.")
    return value


def _oid(node: Node, where: _Where, key: str) -> str:
    text = _text(node, where, key)
    if not _OID.fullmatch(text) or (_LONG_ARC.search(text) and any(
            int(arc) > _MAX_SUBID for arc in text.split("."))):
        raise where.error(node, f"{key} {text!r} is not a numeric OID",
                          "Write it as dotted decimal sub-identifiers without a leading dot, "
                          "e.g. 1.3.6.1.2.1.2.2.1.10 (the generator resolves MIB names).")
    return text


def _oids(node: Node, where: _Where, key: str) -> tuple[str, ...]:
    return tuple(_oid(item, where, f"{key}[{i}]")
                 for i, item in enumerate(_items(node, where, key)))


def _name(node: Node, where: _Where, key: str, pattern: re.Pattern[str], what: str) -> str:
    text = _text(node, where, key)
    if not pattern.fullmatch(text):
        raise where.error(node, f"{key} {text!r} is not a valid Prometheus {what}",
                          "Use letters, digits and underscores (the generator sanitizes "
                          "names), starting with a letter or underscore.")
    return text


def _choice(node: Node, where: _Where, key: str, allowed: frozenset[str]) -> str:
    text = _text(node, where, key)
    if text not in allowed:
        raise where.error(node, f"{key} {text!r} is not one of {_allowed(allowed)}",
                          "Use one of those (names are case-sensitive).")
    return text


# --- Go durations -----------------------------------------------------------------------------

_DURATION_PART = re.compile(r"([0-9]*(?:\.[0-9]*)?)(ns|us|µs|μs|ms|s|m|h)")
_UNIT_NS = {"ns": 1, "us": 1_000, "µs": 1_000, "μs": 1_000, "ms": 1_000_000,
            "s": 1_000_000_000, "m": 60_000_000_000, "h": 3_600_000_000_000}


def parse_go_duration(text: str) -> int | None:
    """Go's ``time.ParseDuration`` in nanoseconds (``"5s"``, ``"1m30s"``, ``"1.5s"``), or None."""
    sign, rest = (-1, text[1:]) if text[:1] == "-" else (1, text.lstrip("+"))
    if rest == "0":
        return 0
    total, pos = Fraction(0), 0
    while pos < len(rest):
        part = _DURATION_PART.match(rest, pos)
        if part is None or part.group(1) in ("", "."):
            return None
        total += Fraction(part.group(1)) * _UNIT_NS[part.group(2)]
        pos = part.end()
    return sign * int(total) if rest else None


def _timeout(node: Node, where: _Where) -> float:
    scalar = _scalar(node, where, "timeout")
    if scalar.tag in (_INT, _FLOAT):
        raise where.error(node, f"timeout {scalar.value} has no unit (snmp_exporter would "
                          "read a bare number as nanoseconds)",
                          "Write a Go duration such as 5s, 500ms or 1m30s.")
    nanoseconds = parse_go_duration(_text(node, where, "timeout"))
    if nanoseconds is None or nanoseconds <= 0:
        raise where.error(node, f"timeout {scalar.value!r} is not a positive Go duration",
                          "Write a duration such as 5s, 500ms or 1m30s.")
    return nanoseconds / 1e9


# --- Go RE2 regular expressions ---------------------------------------------------------------

_WORD = "[0-9A-Za-z_]"
#: Go's ``\b`` and ``\B`` are ASCII word boundaries; Python's are Unicode ones.
WORD_BOUNDARY = f"(?:(?<={_WORD})(?!{_WORD})|(?<!{_WORD})(?={_WORD}))"
NOT_WORD_BOUNDARY = f"(?:(?<={_WORD})(?={_WORD})|(?<!{_WORD})(?!{_WORD}))"
_MAX_RUNE = 0x10FFFF
_Ranges = list[tuple[int, int]]
_PERL: dict[str, _Ranges] = {
    "d": [(0x30, 0x39)], "s": [(0x09, 0x0A), (0x0C, 0x0D), (0x20, 0x20)],
    "w": [(0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A)],
}
_POSIX: dict[str, _Ranges] = {
    "alnum": [(0x30, 0x39), (0x41, 0x5A), (0x61, 0x7A)], "alpha": [(0x41, 0x5A), (0x61, 0x7A)],
    "ascii": [(0x00, 0x7F)], "blank": [(0x09, 0x09), (0x20, 0x20)],
    "cntrl": [(0x00, 0x1F), (0x7F, 0x7F)], "digit": [(0x30, 0x39)], "graph": [(0x21, 0x7E)],
    "lower": [(0x61, 0x7A)], "print": [(0x20, 0x7E)],
    "punct": [(0x21, 0x2F), (0x3A, 0x40), (0x5B, 0x60), (0x7B, 0x7E)],
    "space": [(0x09, 0x0D), (0x20, 0x20)], "upper": [(0x41, 0x5A)],
    "word": [(0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A)],
    "xdigit": [(0x30, 0x39), (0x41, 0x46), (0x61, 0x66)],
}
_CONTROL_ESCAPES = {"a": 0x07, "f": 0x0C, "n": 0x0A, "r": 0x0D, "t": 0x09, "v": 0x0B}
_REPEAT = re.compile(r"\{([0-9]+)(?:(,)([0-9]*))?\}")
_GROUP_NAME = re.compile(r"\(\?P?<([A-Za-z0-9_]+)>")
_META_OUTSIDE = frozenset("\\.^$*+?()[]{}|")
_META_INSIDE = frozenset("\\]^-[&~|")


class _Refused(Exception):
    """A Go regular expression that is invalid or has no Python equivalent."""


def _complement(ranges: _Ranges) -> _Ranges:
    out, low = [], 0
    for start, end in sorted(ranges):
        if start > low:
            out.append((low, start - 1))
        low = max(low, end + 1)
    if low <= _MAX_RUNE:
        out.append((low, _MAX_RUNE))
    return out


def _char(code: int, meta: frozenset[str]) -> str:
    """One character for a Python pattern, written so that Go reads it the same way."""
    char = chr(code)
    if char in meta:
        return "\\" + char
    if char.isprintable():
        return char
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def _class(ranges: _Ranges, negated: bool = False) -> str:
    body = "".join(_char(lo, _META_INSIDE) if lo == hi
                   else f"{_char(lo, _META_INSIDE)}-{_char(hi, _META_INSIDE)}"
                   for lo, hi in ranges)
    return f"[{'^' if negated else ''}{body}]"


@dataclass(slots=True)
class _Frame:
    multiline: bool
    autoclose: int = 0


@dataclass(slots=True)
class _GoRegex:
    """Translate one Go RE2 expression to a Python ``re`` pattern with the same meaning.

    What differs and how it is translated: ``\\z`` and non-multiline ``$`` become ``\\Z``
    (Python's ``$`` also matches before a final newline); ``\\d \\s \\w \\b`` and POSIX
    classes become explicit ASCII sets (Python's are Unicode); ``(?flags)`` in the middle of a
    group becomes a scoped ``(?flags:...)`` closed where Go's scope ends (Python 3.11 refuses
    global flags after the start); ``(?<name>`` becomes ``(?P<name>``; octal and ``\\x{..}``
    escapes become characters; ``\\Q..\\E`` becomes escaped literals; a ``{`` that is not a
    repeat is a literal. Refused, as Go refuses them: lookarounds, backreferences, nested
    repetition, counts over 1000. Refused because Python has no equivalent: ``\\p{..}``
    Unicode classes, the ``U`` flag, ``\\C``.
    """

    src: str
    pos: int = 0
    out: list[str] = field(default_factory=list)
    frames: list[_Frame] = field(default_factory=lambda: [_Frame(multiline=False)])
    can_repeat: bool = False
    repeated: bool = False

    def translate(self) -> str:
        while self.pos < len(self.src):
            char = self.src[self.pos]
            if char == "\\":
                self._escape()
            elif char == "[":
                self._char_class()
            elif char == "(":
                self._open()
            elif char == ")":
                self._close()
            elif char in "*+?":
                self._repeat(char, 1)
            elif char == "{" and (count := _REPEAT.match(self.src, self.pos)):
                self._repeat(self._count(count), len(count.group(0)))
            else:
                self._plain(char)
        if len(self.frames) > 1:
            raise _Refused("missing closing )")
        self.out.append(")" * self.frames[0].autoclose)
        return "".join(self.out)

    def _plain(self, char: str) -> None:
        self.pos += 1
        if char == "|":
            self._emit("|", atom=False)
        elif char == "^":
            self._emit("^", atom=False)
        elif char == "$":
            self._emit("$" if self.frames[-1].multiline else "\\Z", atom=False)
        elif char == ".":
            self._emit(".", atom=True)
        else:
            self._emit(_char(ord(char), _META_OUTSIDE), atom=True)

    def _emit(self, text: str, atom: bool) -> None:
        self.out.append(text)
        self.can_repeat, self.repeated = atom, False

    def _count(self, match: re.Match[str]) -> str:
        low = int(match.group(1))
        high = low if not match.group(2) else (int(match.group(3)) if match.group(3) else None)
        if low > 1000 or (high is not None and (high > 1000 or high < low)):
            raise _Refused(f"invalid repeat count {match.group(0)}")
        if high == low:
            return f"{{{low}}}"
        return f"{{{low},}}" if high is None else f"{{{low},{high}}}"

    def _repeat(self, op: str, width: int) -> None:
        if self.repeated:
            raise _Refused(f"invalid nested repetition operator {op!r}")
        if not self.can_repeat:
            raise _Refused(f"missing argument to repetition operator {op!r}")
        self.pos += width
        lazy = self.src.startswith("?", self.pos)
        self.pos += lazy
        self.out.append(op + "?" * lazy)
        self.repeated = True

    def _open(self) -> None:
        rest = self.src[self.pos:]
        if rest.startswith("(?:"):
            self.pos += 3
            self._push("(?:", self.frames[-1].multiline)
        elif named := _GROUP_NAME.match(rest):
            self.pos += len(named.group(0))
            self._push(f"(?P<{named.group(1)}>", self.frames[-1].multiline)
        elif rest.startswith("(?"):
            self._flags(rest)
        else:
            self.pos += 1
            self._push("(", self.frames[-1].multiline)

    def _push(self, text: str, multiline: bool) -> None:
        self.frames.append(_Frame(multiline))
        self._emit(text, atom=False)

    def _flags(self, rest: str) -> None:
        end = next((i for i, c in enumerate(rest) if c in ":)"), -1)
        spec = rest[2:end] if end > 0 else rest[2:]
        if end < 0 or not re.fullmatch(r"[imsU]*(?:-[imsU]+)?", spec) or spec in ("", "-"):
            raise _Refused(f"invalid or unsupported Perl syntax {rest[:end + 1 or 3]!r} "
                           "(RE2 has no lookarounds, backreferences or atomic groups)")
        if "U" in spec:
            raise _Refused("the U (ungreedy) flag has no Python equivalent; "
                           "write lazy repeats (*?, +?) instead")
        on, _, off = spec.partition("-")
        multiline = ("m" in on) or (self.frames[-1].multiline and "m" not in off)
        self.pos += end + 1
        if rest[end] == ":":
            self._push(f"(?{spec}:", multiline)
        else:  # (?i) lasts to the end of the enclosing group: a scoped group closed there
            self.frames[-1].autoclose += 1
            self.frames[-1].multiline = multiline
            self._emit(f"(?{spec}:", atom=False)

    def _close(self) -> None:
        if len(self.frames) == 1:
            raise _Refused("unexpected )")
        frame = self.frames.pop()
        self.pos += 1
        self._emit(")" * frame.autoclose + ")", atom=True)

    def _escape(self) -> None:
        if self.pos + 1 >= len(self.src):
            raise _Refused("trailing backslash at end of expression")
        char = self.src[self.pos + 1]
        simple = {"A": "\\A", "z": "\\Z", "b": WORD_BOUNDARY, "B": NOT_WORD_BOUNDARY}
        if char in simple:
            self.pos += 2
            self._emit(simple[char], atom=False)
        elif char in "dswDSW":
            self.pos += 2
            self._emit(_class(_PERL[char.lower()], negated=char.isupper()), atom=True)
        elif char == "Q":
            end = self.src.find("\\E", self.pos + 2)
            literal = self.src[self.pos + 2:] if end < 0 else self.src[self.pos + 2:end]
            self.pos = len(self.src) if end < 0 else end + 2
            for c in literal:
                self._emit(_char(ord(c), _META_OUTSIDE), atom=True)
        else:
            self._emit(_char(self._escaped_char(), _META_OUTSIDE), atom=True)

    def _escaped_char(self) -> int:
        """A ``\\`` escape that stands for one character; advances past it."""
        char = self.src[self.pos + 1]
        self.pos += 2
        if char in "01234567":
            digits = char
            while len(digits) < 3 and self.src[self.pos:self.pos + 1] in tuple("01234567"):
                digits += self.src[self.pos]
                self.pos += 1
            if len(digits) == 1 and char != "0":
                raise _Refused(f"invalid escape \\{char} (RE2 has no backreferences)")
            return int(digits, 8)
        if char == "x":
            return self._hex()
        if char in _CONTROL_ESCAPES:
            return _CONTROL_ESCAPES[char]
        if char in "pP":
            raise _Refused(f"Unicode classes (\\{char}...) have no Python re equivalent")
        if char.isascii() and not char.isalnum():
            return ord(char)
        raise _Refused(f"invalid escape sequence \\{char}")

    def _hex(self) -> int:
        braced = re.compile(r"\{([0-9A-Fa-f]+)\}|([0-9A-Fa-f]{2})").match(self.src, self.pos)
        if braced is None or int(braced.group(1) or braced.group(2), 16) > _MAX_RUNE:
            raise _Refused("invalid escape \\x (write \\xHH or \\x{HHHH})")
        self.pos = braced.end()
        return int(braced.group(1) or braced.group(2), 16)

    def _char_class(self) -> None:
        self.pos += 1
        negated = self.src.startswith("^", self.pos)
        self.pos += negated
        ranges: _Ranges = []
        first = True
        while first or not self.src.startswith("]", self.pos):
            if self.pos >= len(self.src):
                raise _Refused("missing closing ]")
            first = False
            ranges.extend(self._class_item())
        self.pos += 1
        self._emit(_class(ranges, negated), atom=True)

    def _class_item(self) -> _Ranges:
        src, pos = self.src, self.pos
        if src.startswith("[:", pos) and (end := src.find(":]", pos + 2)) >= 0:
            name = src[pos + 2:end]
            ranges = _POSIX.get(name.lstrip("^"))
            if ranges is None:
                raise _Refused(f"invalid character class range [:{name}:]")
            self.pos = end + 2
            return _complement(ranges) if name.startswith("^") else ranges
        if src.startswith("\\", pos) and src[pos + 1:pos + 2] in tuple("dswDSW"):
            char = src[pos + 1]
            self.pos += 2
            ranges = _PERL[char.lower()]
            return _complement(ranges) if char.isupper() else ranges
        low = self._class_char()
        high = low
        if src.startswith("-", self.pos) and not src.startswith("-]", self.pos) \
                and self.pos + 1 < len(src):
            self.pos += 1
            high = self._class_char()
            if high < low:
                raise _Refused(f"invalid character class range {src[pos:self.pos]}")
        return [(low, high)]

    def _class_char(self) -> int:
        if self.pos >= len(self.src):
            raise _Refused("missing closing ]")
        if self.src[self.pos] == "\\":
            if self.pos + 1 >= len(self.src):
                raise _Refused("trailing backslash at end of expression")
            return self._escaped_char()
        self.pos += 1
        return ord(self.src[self.pos - 1])


@lru_cache(maxsize=1024)
def translate_go_regex(source: str, anchored: bool) -> str:
    """The Python pattern for Go RE2 ``source``; anchored as snmp_exporter anchors
    ``regex_extracts`` (``"^(?:" + source + ")$"``). Raises ``ValueError`` with Go's reason."""
    text = f"^(?:{source})$" if anchored else source
    try:
        return _GoRegex(text).translate()
    except _Refused as exc:
        raise ValueError(str(exc)) from None


def _regex(node: Node, where: _Where, key: str, anchored: bool) -> re.Pattern[str]:
    source = _text(node, where, key)
    try:
        return re.compile(translate_go_regex(source, anchored))
    except (ValueError, re.error) as exc:
        reason = f"{exc.msg} (in its Python translation)" if isinstance(exc, re.error) \
            else str(exc)
        raise where.error(node, f"{key} {source!r} is not a usable Go regular expression: "
                          f"{reason}", "Write an RE2 expression (github.com/google/re2/wiki/"
                          "Syntax) without lookarounds, backreferences or \\p{...} classes."
                          ) from None


# --- the model --------------------------------------------------------------------------------


def _enum_values(node: Node, where: _Where) -> dict[int, str]:
    return {_integer(k, where, f"enum_values key {key!r}", -(2**63), 2**63 - 1):
            _text(value, where, f"enum_values[{key}]")
            for key, k, value in _entries(node, where, "enum_values")}


def _index(node: Node, where: _Where) -> Index:
    f = _fields(node, where, _INDEX_KEYS, required=("labelname", "type"))
    return Index(
        labelname=_name(f["labelname"], where, "labelname", _LABEL_NAME, "label name"),
        type=_choice(f["type"], where, "type", INDEX_TYPES),
        fixed_size=_integer(f["fixed_size"], where, "fixed_size", 0, 2**31 - 1)
        if "fixed_size" in f else 0,
        implied=_boolean(f["implied"], where, "implied") if "implied" in f else False,
        enum_values=_enum_values(f["enum_values"], where) if "enum_values" in f else {},
    )


def _lookup(node: Node, where: _Where, known: set[str]) -> Lookup:
    f = _fields(node, where, _LOOKUP_KEYS, required=("labels", "labelname"))
    labelname = _name(f["labelname"], where, "labelname", _LABEL_NAME, "label name")
    labels = tuple(_text(item, where, "labels") for item in _items(f["labels"], where, "labels"))
    for label in labels or (labelname,):
        if label not in known:
            raise where.error(f["labels"] if labels else f["labelname"],
                              f"label {label!r} is neither an index label nor set by an "
                              f"earlier lookup (known: {', '.join(sorted(known)) or 'none'})",
                              "Name one of those labels, or move this lookup after the one "
                              "that sets it.")
    if labels and not ("oid" in f and "type" in f):
        raise where.error(node, f"lookup of {labelname!r} has labels but no oid/type",
                          "Add the oid and type to look up, or write labels: [] to delete "
                          "the label.")
    known.add(labelname)
    return Lookup(
        labels=labels, labelname=labelname,
        oid=_oid(f["oid"], where, "oid") if "oid" in f else "",
        type=_choice(f["type"], where, "type", METRIC_TYPES) if "type" in f else "",
        enum_values=_enum_values(f["enum_values"], where) if "enum_values" in f else {},
    )


def _regex_extracts(node: Node, where: _Where, name: str) -> dict[str, tuple[RegexExtract, ...]]:
    out: dict[str, tuple[RegexExtract, ...]] = {}
    for suffix, key_node, rules in _entries(node, where, "regex_extracts"):
        if not _METRIC_NAME.fullmatch(name + suffix):
            raise where.error(key_node, f"regex_extracts suffix {suffix!r} makes the invalid "
                              f"metric name {name + suffix!r}",
                              "Use letters, digits and underscores in the suffix.")
        rule_where = where.child(f"regex_extracts[{suffix!r}]")
        out[suffix] = tuple(_regex_extract(rule, rule_where.child(f"[{i}]"))
                            for i, rule in enumerate(_items(rules, rule_where, "rules")))
    return out


def _regex_extract(node: Node, where: _Where) -> RegexExtract:
    f = _fields(node, where, _EXTRACT_KEYS, required=("regex",))
    value = _text(f["value"], where, "value") if "value" in f else "$1"
    return RegexExtract(regex=_regex(f["regex"], where, "regex", anchored=True), value=value)


def _metric(node: Node, where: _Where) -> MetricSpec:
    f = _fields(node, where, _METRIC_KEYS, required=("name", "oid", "type"))
    name = _name(f["name"], where, "name", _METRIC_NAME, "metric name")
    where = where.child(f"metric {name!r}")
    type_ = _choice(f["type"], where, "type", METRIC_TYPES)
    indexes = tuple(_index(item, where.child(f"indexes[{i}]"))
                    for i, item in enumerate(_items(f.get("indexes", _NULL_NODE), where,
                                                    "indexes")))
    known = {index.labelname for index in indexes}
    lookups = tuple(_lookup(item, where.child(f"lookups[{i}]"), known)
                    for i, item in enumerate(_items(f.get("lookups", _NULL_NODE), where,
                                                    "lookups")))
    pattern = _text(f["datetime_pattern"], where, "datetime_pattern") \
        if "datetime_pattern" in f else ""
    if type_ == "ParseDateAndTime" and not pattern:
        raise where.error(node, "type ParseDateAndTime needs a datetime_pattern",
                          "Add datetime_pattern: (strptime-style, e.g. '%Y-%m-%d %H:%M:%S').")
    return MetricSpec(
        name=name, oid=_oid(f["oid"], where, "oid"), type=type_,
        help=_text(f["help"], where, "help") if "help" in f else "",
        indexes=indexes, lookups=lookups,
        enum_values=_enum_values(f["enum_values"], where) if "enum_values" in f else {},
        regex_extracts=_regex_extracts(f["regex_extracts"], where, name)
        if "regex_extracts" in f else {},
        datetime_pattern=pattern,
        offset=_number(f["offset"], where, "offset") if "offset" in f else 0.0,
        scale=_number(f["scale"], where, "scale") if "scale" in f else 0.0,
        display_hint=_text(f["display_hint"], where, "display_hint")
        if "display_hint" in f else "",
    )


def _walk_params(f: dict[str, Node], where: _Where) -> WalkParams:
    default = WalkParams()
    return WalkParams(
        max_repetitions=_integer(f["max_repetitions"], where, "max_repetitions", 0,
                                 _MAX_REPETITIONS)
        if "max_repetitions" in f else default.max_repetitions,
        retries=_integer(f["retries"], where, "retries", 0, 100)
        if "retries" in f else default.retries,
        timeout=_timeout(f["timeout"], where) if "timeout" in f else default.timeout,
        allow_nonincreasing_oids=_boolean(f["allow_nonincreasing_oids"], where,
                                          "allow_nonincreasing_oids")
        if "allow_nonincreasing_oids" in f else default.allow_nonincreasing_oids,
        use_unconnected_udp_socket=_boolean(f["use_unconnected_udp_socket"], where,
                                            "use_unconnected_udp_socket")
        if "use_unconnected_udp_socket" in f else default.use_unconnected_udp_socket,
    )


def _filter(node: Node, where: _Where) -> DynamicFilter:
    f = _fields(node, where, _FILTER_KEYS, required=("oid",))
    values = _items(f.get("values", _NULL_NODE), where, "values")
    return DynamicFilter(
        oid=_oid(f["oid"], where, "oid"),
        targets=_oids(f.get("targets", _NULL_NODE), where, "targets"),
        values=tuple(_regex(v, where, f"values[{i}]", anchored=False)
                     for i, v in enumerate(values)),
    )


def _module(name: str, node: Node, where: _Where, legacy: bool) -> Module:
    f = _fields(node, where, _LEGACY_MODULE_KEYS if legacy else _MODULE_KEYS)
    auth = None
    if legacy:
        auth_where = where.child("auth")
        auth = _auth(name, _fields(f.get("auth", _NULL_NODE), auth_where, _AUTH_KEYS),
                     f.get("version"), f.get("auth", node), auth_where)
    return Module(
        name=name,
        walk=_oids(f.get("walk", _NULL_NODE), where, "walk"),
        get=_oids(f.get("get", _NULL_NODE), where, "get"),
        metrics=tuple(_metric(item, where.child(f"metrics[{i}]"))
                      for i, item in enumerate(_items(f.get("metrics", _NULL_NODE), where,
                                                      "metrics"))),
        walk_params=_walk_params(f, where),
        filters=tuple(_filter(item, where.child(f"filters[{i}]"))
                      for i, item in enumerate(_items(f.get("filters", _NULL_NODE), where,
                                                      "filters"))),
        auth=auth,
    )


def _auth(name: str, f: dict[str, Node], version_node: Node | None, node: Node,
          where: _Where) -> Auth:
    """One auth, validated as snmp_exporter's ``Auth.UnmarshalYAML`` (values never echoed)."""
    default = Auth(name=name)
    version = _integer(version_node, where, "version", 1, 3) if version_node is not None else 2
    levels = frozenset(level.value for level in SecurityLevel)
    auth = Auth(
        name=name, version=version,
        community=Secret(_text(f["community"], where, "community"))
        if "community" in f else default.community,
        security_level=SecurityLevel(_choice(f["security_level"], where, "security_level",
                                             levels))
        if "security_level" in f else default.security_level,
        username=_text(f["username"], where, "username") if "username" in f else "",
        password=Secret(_text(f["password"], where, "password"))
        if "password" in f else default.password,
        auth_protocol=_choice(f["auth_protocol"], where, "auth_protocol", AUTH_PROTOCOLS)
        if "auth_protocol" in f else default.auth_protocol,
        priv_protocol=_choice(f["priv_protocol"], where, "priv_protocol", PRIV_PROTOCOLS)
        if "priv_protocol" in f else default.priv_protocol,
        priv_password=Secret(_text(f["priv_password"], where, "priv_password"))
        if "priv_password" in f else default.priv_password,
        context_name=_text(f["context_name"], where, "context_name")
        if "context_name" in f else "",
    )
    _check_v3(auth, node, where)
    return auth


def _check_v3(auth: Auth, node: Node, where: _Where) -> None:
    if auth.version != 3:
        return
    level = auth.security_level
    if not auth.username:
        raise where.error(node, "SNMPv3 needs a username", "Add username: to the auth.")
    if level is not SecurityLevel.NO_AUTH_NO_PRIV and not auth.password:
        raise where.error(node, f"security_level {level.value} needs a password (the "
                          "authentication passphrase)", "Add password: to the auth.")
    if level is SecurityLevel.AUTH_PRIV and not auth.priv_password:
        raise where.error(node, "security_level authPriv needs a priv_password (the privacy "
                          "passphrase)", "Add priv_password:, or use security_level: "
                          "authNoPriv.")


# --- layouts, files, merging ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Parsed:
    config: SnmpConfig
    #: ("module" | "auth", name) -> line, to name both places when files define one twice.
    lines: dict[tuple[str, str], int]


def _parse(text: str, source: str) -> _Parsed:
    root = _compose(text, source)
    where = _Where(source)
    if root is None or _is_null(root):
        return _Parsed(SnmpConfig(auths={}, modules={}, sources=(source,)), {})
    if not isinstance(root, MappingNode):
        raise where.error(root, f"the top level must be a mapping, found {_kind(root)}",
                          "Start the file with auths: and modules: (or module names).")
    keys = {_key_text(k, where) for k, _ in root.value}
    if keys & {"auths", "modules"}:
        return _parse_current(root, where)
    return _parse_legacy(root, where)


def _parse_current(root: MappingNode, where: _Where) -> _Parsed:
    top = _fields(root, where, _TOP_KEYS)
    if "version" in top:  # snmp_exporter's Config.Version: accepted, checked, unused
        _integer(top["version"], where, "version", 0, 2**31 - 1)
    lines: dict[tuple[str, str], int] = {}
    auths: dict[str, Auth] = {}
    for name, key_node, node in _entries(top.get("auths", _NULL_NODE), where, "auths"):
        auth_where = where.child(f"auth {name!r}")
        f = _fields(node, auth_where, _CURRENT_AUTH_KEYS)
        auths[name] = _auth(name, f, f.get("version"), node, auth_where)
        lines["auth", name] = key_node.start_mark.line + 1
    modules: dict[str, Module] = {}
    for name, key_node, node in _entries(top.get("modules", _NULL_NODE), where, "modules"):
        modules[name] = _module(name, node, where.child(f"module {name!r}"), legacy=False)
        lines["module", name] = key_node.start_mark.line + 1
    return _Parsed(SnmpConfig(auths=auths, modules=modules, sources=(where.source,)), lines)


def _parse_legacy(root: MappingNode, where: _Where) -> _Parsed:
    lines: dict[tuple[str, str], int] = {}
    modules: dict[str, Module] = {}
    for name, key_node, node in _entries(root, where, "the file (legacy layout: modules)"):
        modules[name] = _module(name, node, where.child(f"module {name!r}"), legacy=True)
        lines["module", name] = key_node.start_mark.line + 1
    return _Parsed(SnmpConfig(auths={}, modules=modules, sources=(where.source,)), lines)


def parse_snmp_config(text: str, source: str) -> SnmpConfig:
    """Parse one module file (either layout). ``source`` names it in error messages."""
    return _parse(text, source).config


def _expand(paths: Sequence[Path]) -> list[Path]:
    """Each path may be a glob, expanded in sorted order like snmp_exporter's
    ``--config.file``; unlike snmp_exporter, a path or glob that matches nothing is refused."""
    files: list[Path] = []
    for path in paths:
        matches = sorted(glob.glob(str(path))) if glob.has_magic(str(path)) else [str(path)]
        if not matches or not Path(matches[0]).exists():
            raise ConfigError(f"{path}: no such SNMP module file. Check the path (globs such "
                              "as modules/*.yml are expanded).")
        for match in matches:
            if not match.endswith(("yml", "yaml")):
                raise ConfigError(f"{match}: an SNMP module file must end in .yml or .yaml "
                                  "(as snmp_exporter requires). Rename it.")
            files.append(Path(match))
    return files


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the SNMP module file ({exc.__class__.__name__}"
                          f": {getattr(exc, 'strerror', None) or exc}). Check that it exists, "
                          "is readable and is UTF-8.") from None


def load_snmp_config(paths: Sequence[Path]) -> SnmpConfig:
    """Read and merge module files. A module or auth defined in two files is refused."""
    auths: dict[str, Auth] = {}
    modules: dict[str, Module] = {}
    seen: dict[tuple[str, str], str] = {}
    files = _expand(paths)
    for path in files:
        parsed = _parse(_read(path), str(path))
        for (kind, name), line in parsed.lines.items():
            here = f"{path}:{line}"
            if (kind, name) in seen:
                raise ConfigError(f"{kind} {name!r} is defined twice: in {seen[kind, name]} "
                                  f"and in {here}. Keep one, or rename the other.")
            seen[kind, name] = here
        auths.update(parsed.config.auths)
        modules.update(parsed.config.modules)
    return SnmpConfig(auths=auths, modules=modules, sources=tuple(str(f) for f in files))
