"""Strict reading of YAML nodes, with file:line positions in every message.

snmp_exporter reads its module files with yaml.v2's ``UnmarshalStrict``; these helpers give
netmon the same strictness on the node tree (``yaml.compose``, with libyaml's C loader when
present), so a mistake is refused with the file, the line, the path of keys that leads to it
(:class:`Where`) and how to fix it:

* A mapping with a fixed set of keys (:func:`fields`) refuses unknown, duplicated and missing
  keys and lists the allowed ones; a mapping with free keys (:func:`entries`) refuses
  duplicates. Keys must be plain scalars; merge keys (``<<``) are refused.
* Strings are read the way yaml.v2 fills a Go string (:func:`string`): the scalar's text as
  written (``oid: 1.3`` is the string ``"1.3"``, a null is ``""``). Integers, booleans and
  floats must be YAML numbers/booleans (YAML 1.1 forms, as yaml.v2 reads them); custom tags
  (``!vault``, ``!!binary``) are refused.
* A null stands for an empty mapping or list, as in yaml.v2; :data:`NULL_NODE` stands for an
  absent one.
* Nesting deeper than :data:`MAX_DEPTH` (libyaml would overflow the C stack) and alias bombs
  (anchors and aliases expanding past :data:`MAX_EXPANDED_NODES`) are refused before the
  tree is built: found by fuzzing (``fuzz/``, SECURITY.md "Fuzzing").
* No message contains a scalar's value unless the caller puts it there: a YAML syntax error
  names its position and problem but never shows the snippet (it could hold a secret).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from exporters.errors import ConfigError
from exporters.snmp.go_syntax import parse_go_duration

T = TypeVar("T")

__all__ = ["FLOAT_TAG", "INT_TAG", "NULL_NODE", "Where", "boolean", "checked", "choice",
           "compose", "duration", "entries", "fields", "integer", "is_null", "items",
           "key_text", "node_kind", "number", "plain_scalar", "seconds_between", "string"]

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_TAG = "tag:yaml.org,2002:"
_STR, _BOOL, _NULL = (_TAG + t for t in ("str", "bool", "null"))
INT_TAG, FLOAT_TAG = _TAG + "int", _TAG + "float"
_PLAIN_TAGS = frozenset({_STR, INT_TAG, FLOAT_TAG, _BOOL, _NULL, _TAG + "timestamp"})
#: Stands for an absent optional list or mapping.
NULL_NODE = ScalarNode(_NULL, "")


# --- where we are, for messages --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Where:
    """A position in a file: the file and the path of keys (formatted only on error)."""

    source: str
    parts: tuple[str, ...] = ()

    def child(self, part: str) -> Where:
        return Where(self.source, (*self.parts, part))

    def error(self, node: Node | None, what: str, fix: str) -> ConfigError:
        # NULL_NODE (an absent section, or an empty file) has no position.
        mark = node.start_mark if node is not None else None
        line = f":{mark.line + 1}" if mark is not None else ""
        path = f" {', '.join(self.parts)}:" if self.parts else ""
        return ConfigError(f"{self.source}{line}:{path} {what}. {fix}")


# --- YAML nodes -------------------------------------------------------------------------------


#: The deepest nesting of mappings and lists read (netmon's and snmp_exporter's files nest
#: about 8 deep). libyaml's composer recurses in C: about 40,000 ``[`` kill the process with
#: a segmentation fault, which no ``except`` can catch.
MAX_DEPTH = 100
#: Anchors and aliases may expand a file to at most this many nodes, or ten times the nodes
#: written if that is more (yaml.v2, which snmp_exporter reads with, also refuses "excessive
#: aliasing"): a 20 kB file of aliases of aliases would otherwise make the loaders visit
#: 10^9 nodes.
MAX_EXPANDED_NODES = 1_000_000


def _check_shape(text: str, source: str) -> None:
    """Refuse nesting past :data:`MAX_DEPTH` and alias bombs, from libyaml's event stream
    (iterative: it cannot overflow the stack; about a seventh of the cost of composing)."""
    sizes: dict[str, int] = {}        # anchor -> nodes it expands to
    stack: list[tuple[str | None, int]] = []   # open lists and mappings: anchor, nodes
    written = expanded = 0
    for event in yaml.parse(text, Loader=_Loader):
        size = 0
        if isinstance(event, yaml.CollectionStartEvent):
            written += 1
            stack.append((event.anchor, 1))
            if len(stack) > MAX_DEPTH:
                raise ConfigError(f"{source}{_line(event)}: lists and mappings nest more than "
                                  f"{MAX_DEPTH} deep. Flatten the file.")
        elif isinstance(event, yaml.AliasEvent):
            written += 1
            size = sizes.get(event.anchor or "", 1)
        elif isinstance(event, yaml.ScalarEvent):
            written += 1
            size = 1
        elif isinstance(event, yaml.CollectionEndEvent):
            anchor, size = stack.pop()
            if anchor is not None:
                sizes[anchor] = size
        if size:
            if stack:
                stack[-1] = (stack[-1][0], stack[-1][1] + size)
            else:
                expanded += size
            bound = max(MAX_EXPANDED_NODES, 10 * written)
            if expanded > bound or (stack and stack[-1][1] > bound):
                raise ConfigError(f"{source}{_line(event)}: excessive aliasing: the anchors and "
                                  f"aliases expand to more than {bound} nodes. Write the "
                                  "repeated parts out instead of aliasing aliases.")


def _line(event: yaml.Event) -> str:
    mark = event.start_mark
    return f":{mark.line + 1}" if mark is not None else ""


def compose(text: str, source: str) -> Node | None:
    """The node tree of ``text`` (None when empty); ``source`` names it in messages. Nesting
    past :data:`MAX_DEPTH` and alias bombs are refused before the tree is built."""
    try:
        _check_shape(text, source)
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


def node_kind(node: Node) -> str:
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    return "a scalar"


def is_null(node: Node) -> bool:
    return isinstance(node, ScalarNode) and node.tag == _NULL


def key_text(node: Node, where: Where) -> str:
    if node.tag == _TAG + "merge":
        raise where.error(node, "YAML merge keys (<<) are not supported",
                          "Write the keys out in full.")
    if not isinstance(node, ScalarNode) or node.tag not in _PLAIN_TAGS:
        raise where.error(node, f"a key must be a plain string, not {node_kind(node)}",
                          "Write the key as plain text.")
    return "" if node.tag == _NULL else str(node.value)


def fields(node: Node, where: Where, allowed: frozenset[str],
           required: tuple[str, ...] = ()) -> dict[str, Node]:
    """A mapping with a fixed set of keys: refuse unknown, duplicate and missing keys."""
    if is_null(node):
        node = MappingNode(_TAG + "map", [], node.start_mark, node.end_mark)
    if not isinstance(node, MappingNode):
        raise where.error(node, f"expected a mapping of {_allowed(allowed)}, found "
                          f"{node_kind(node)}", "Indent the keys under it as a mapping.")
    out: dict[str, Node] = {}
    for key_node, value in node.value:
        key = key_text(key_node, where)
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


def entries(node: Node, where: Where, what: str) -> Iterator[tuple[str, Node, Node]]:
    """A mapping with free keys (module names, auth names, enum values...): no duplicates."""
    if is_null(node):
        return
    if not isinstance(node, MappingNode):
        raise where.error(node, f"{what} must be a mapping, found {node_kind(node)}",
                          "Indent its entries under it as `name: value`.")
    seen: dict[str, Node] = {}
    for key_node, value in node.value:
        key = key_text(key_node, where)
        if key in seen:
            raise where.error(key_node, f"{what} has {key!r} twice (first on line "
                              f"{seen[key].start_mark.line + 1})", "Keep only one of them.")
        seen[key] = key_node
        yield key, key_node, value


def items(node: Node, where: Where, key: str) -> list[Node]:
    if is_null(node):
        return []
    if not isinstance(node, SequenceNode):
        raise where.error(node, f"{key} must be a list, found {node_kind(node)}",
                          f"Write {key} as a YAML list (`- item` lines or `[a, b]`).")
    return list(node.value)


def plain_scalar(node: Node, where: Where, key: str) -> ScalarNode:
    """A single value with a plain tag (no ``!vault``, ``!!binary``...)."""
    if not isinstance(node, ScalarNode):
        raise where.error(node, f"{key} must be a single value, found {node_kind(node)}",
                          f"Give {key} one value.")
    if node.tag not in _PLAIN_TAGS:
        raise where.error(node, f"{key} has the tag {node.tag!r}, which netmon does not read",
                          "Write the plain value (decrypt vault values before deploying).")
    return node


def string(node: Node, where: Where, key: str) -> str:
    """The scalar's text as yaml.v2 fills a Go string (``1.3`` is ``"1.3"``, null is ``""``)."""
    scalar = plain_scalar(node, where, key)
    return "" if scalar.tag == _NULL else str(scalar.value)


def integer(node: Node, where: Where, key: str, low: int, high: int) -> int:
    scalar = plain_scalar(node, where, key)
    value = _yaml_int(scalar.value) if scalar.tag == INT_TAG else None
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


def boolean(node: Node, where: Where, key: str) -> bool:
    scalar = plain_scalar(node, where, key)
    if scalar.tag != _BOOL:
        raise where.error(node, f"{key} must be true or false", f"Write {key}: true or false.")
    return str(scalar.value).lower() in ("true", "yes", "on")


def number(node: Node, where: Where, key: str) -> float:
    scalar = plain_scalar(node, where, key)
    value: float | None = None
    if scalar.tag == INT_TAG:
        whole = _yaml_int(scalar.value)
        value = None if whole is None else float(whole)
    elif scalar.tag == FLOAT_TAG:
        try:
            value = float(str(scalar.value).replace("_", ""))
        except ValueError:
            value = None
    if value is None or not math.isfinite(value):
        raise where.error(node, f"{key} must be a finite number", f"Write {key} as a number.")
    return value


def seconds_between(node: Node, where: Where, key: str, low: float, high: float) -> float:
    """A number of seconds in ``[low, high]``."""
    value = number(node, where, key)
    if not low <= value <= high:
        raise where.error(node, f"{key} must be between {low:g} and {high:g} seconds, got "
                          f"{value:g}", f"Choose a {key} in that range.")
    return value


def choice(node: Node, where: Where, key: str, allowed: frozenset[str]) -> str:
    text = string(node, where, key)
    if text not in allowed:
        raise where.error(node, f"{key} {text!r} is not one of {_allowed(allowed)}",
                          "Use one of those (names are case-sensitive).")
    return text



def duration(node: Node, where: Where, key: str, *, zero: bool = False) -> float:
    """A positive duration (or zero, when ``zero``): a Go duration string (``15s``,
    ``1m30s``, ``500ms``) or a number of seconds."""
    scalar = plain_scalar(node, where, key)
    if scalar.tag in (INT_TAG, FLOAT_TAG):
        seconds = number(node, where, key)
    else:
        nanoseconds = parse_go_duration(string(node, where, key))
        if nanoseconds is None:
            raise where.error(node, f"{key} {scalar.value!r} is not a duration",
                              "Write a duration such as 15s, 1m or 500ms, or a number of "
                              "seconds.")
        seconds = nanoseconds / 1e9
    if seconds < 0 or (seconds == 0 and not zero):
        raise where.error(node, f"{key} must be longer than zero", f"Give {key} a positive "
                          "duration such as 15s.")
    return seconds


def checked(node: Node, where: Where, build: Callable[[], T]) -> T:
    """Build a config object; its own check's message gets the file and line of ``node``."""
    try:
        return build()
    except ConfigError as exc:
        line = f":{node.start_mark.line + 1}" if node.start_mark is not None else ""
        path = f" {', '.join(where.parts)}:" if where.parts else ""
        raise type(exc)(f"{where.source}{line}:{path} {exc}") from None
