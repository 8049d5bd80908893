"""Go syntax in snmp_exporter's module files, read with Go's meaning: RE2 regular expressions
and ``time.Duration`` strings. Pure functions on strings; no YAML here.

* **Regular expressions** are Go RE2. :func:`translate_go_regex` translates one to a Python
  ``re`` pattern with the same meaning and refuses what has no equivalent (``ValueError`` with
  Go's reason). ``regex_extracts`` are anchored as snmp_exporter does (``"^(?:" + s + ")$"``,
  translated, so the end anchor is ``\\Z``); ``filters`` values are not anchored
  (snmp_exporter uses ``MatchString``).

  Translated: ``\\z`` and non-multiline ``$`` become ``\\Z`` (Python's ``$`` also matches
  before a final newline); ``\\d \\s \\w \\b`` and POSIX classes become explicit ASCII sets
  (Python's are Unicode; :data:`WORD_BOUNDARY` and :data:`NOT_WORD_BOUNDARY` stand for Go's
  ``\\b`` and ``\\B``); ``(?flags)`` in the middle of a group becomes a scoped
  ``(?flags:...)`` closed where Go's scope ends (Python 3.11 refuses global flags after the
  start); ``(?<name>`` becomes ``(?P<name>``; octal and ``\\x{..}`` escapes become characters;
  ``\\Q..\\E`` becomes escaped literals; a ``{`` that is not a repeat is a literal.

  Refused, as Go refuses them: lookarounds, backreferences, nested repetition, counts over
  1000, unbalanced parentheses or brackets, invalid escapes and ranges. Refused because Python
  has no equivalent: ``\\p{..}`` Unicode classes, the ``U`` flag, ``\\C``.
* **Durations**: :func:`parse_go_duration` is Go's ``time.ParseDuration`` (``5s``, ``1m30s``,
  ``1.5s``, ``-2h``; units ns, us, µs, ms, s, m, h), in nanoseconds, or None when the text is not
  a duration (a bare number other than ``0``, a missing or unknown unit).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache

__all__ = ["NOT_WORD_BOUNDARY", "WORD_BOUNDARY", "parse_go_duration", "translate_go_regex"]


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

    What is translated and what is refused: see the module docstring.
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

