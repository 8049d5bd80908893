"""Read a platform's mapping file (``exporters/cli/mappings/<platform>.yml``) strictly.

The file is read as snmp_exporter's module files are (:mod:`exporters.snmp.yaml_nodes`): an
unknown, duplicated or missing key is refused with the file, the line, the path of keys and
a fix. Beyond the YAML, each table's template is compiled and every field a metric names is
checked against the template's values; metric and label names are checked against
Prometheus's rules, counters must end in ``_total`` (the family name is printed as written,
see :mod:`exporters.contract`), and metrics sharing a name must agree on type, help and
labels. The file format is described in ``exporters/cli/mappings/cisco_ios.yml``.
"""

from __future__ import annotations

import re
from pathlib import Path

from yaml.nodes import MappingNode, Node

from exporters.cli.mapping import (
    CONFIG_CHECK,
    ConfigCheckSpec,
    MetricMapping,
    PlatformMapping,
    TableMapping,
    ValuePattern,
)
from exporters.cli.templates import Template, load_template
from exporters.errors import ConfigError
from exporters.snmp.yaml_nodes import (
    NULL_NODE,
    Where,
    boolean,
    choice,
    compose,
    entries,
    fields,
    is_null,
    items,
    number,
    string,
)

__all__ = ["MAPPINGS_DIR", "default_mapping_path", "load_mapping", "parse_mapping"]

MAPPINGS_DIR = Path(__file__).resolve().parent / "mappings"
#: netmiko device types whose mapping netmon ships, and the file that holds it.
_SHIPPED = {"cisco_ios": "cisco_ios.yml", "cisco_xe": "cisco_ios.yml"}

_TOP = frozenset({"platform", "error_patterns", "tables", "config_check"})
_TABLE = frozenset({"command", "template", "labels", "metrics", "require_rows"})
_METRIC = frozenset({"name", "help", "type", "value", "value_map", "value_patterns", "scale",
                     "labels", "const_labels"})
_PATTERN = frozenset({"match", "value"})
_CHECK = frozenset({"command", "ignore_lines"})
_METRIC_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
_TABLE_NAME = re.compile(r"[a-z][a-z0-9_]*")
#: Labels the exporter sets itself.
RESERVED_LABELS = frozenset({"device"})


def default_mapping_path(platform: str) -> Path | None:
    """netmon's mapping file for a netmiko device type, or None when it ships none."""
    name = _SHIPPED.get(platform)
    return MAPPINGS_DIR / name if name else None


def _regex(node: Node, where: Where, key: str) -> re.Pattern[str]:
    text = string(node, where, key)
    try:
        return re.compile(text)
    except re.error as exc:
        raise where.error(node, f"{key} {text!r} is not a valid regular expression ({exc})",
                          "Fix the pattern (Python re syntax).") from None


def _value(node: Node, where: Where, key: str) -> float | None:
    return None if is_null(node) else number(node, where, key)


def _label_name(name: str, node: Node, where: Where) -> str:
    if not _LABEL_NAME.fullmatch(name) or name.startswith("__"):
        raise where.error(node, f"{name!r} is not a valid label name", "Use letters, digits "
                          "and underscores, not starting with a digit or '__'.")
    if name in RESERVED_LABELS:
        raise where.error(node, f"the label {name!r} is set by the exporter",
                          "Choose another label name.")
    return name


def _labels(node: Node, where: Where, key: str, template: Template) -> list[tuple[str, str]]:
    """``{FIELD: label}``: labels whose values come from the template's fields."""
    out = []
    for field, key_node, label_node in entries(node, where, key):
        if field not in template.fields:
            raise where.error(key_node, f"{key}: the template {template.ref} has no value "
                              f"{field!r} (it has {', '.join(template.fields)})",
                              "Use one of the template's value names (case-sensitive).")
        if field in template.list_fields:
            raise where.error(key_node, f"{key}: {field!r} is a List value", "Use a value "
                              "that holds one text per row.")
        label = _label_name(string(label_node, where, f"{key}.{field}"), label_node, where)
        out.append((field, label))
    return out


def _const_labels(node: Node, where: Where) -> list[tuple[str, str]]:
    """``{label: text}``: labels with a fixed value."""
    return [(_label_name(label, key_node, where), string(value, where, f"const_labels.{label}"))
            for label, key_node, value in entries(node, where, "const_labels")]


class _Loader:
    def __init__(self, source: str, base: Path) -> None:
        self.source = source
        self.base = base
        self.families: dict[str, tuple[MetricMapping, Node]] = {}

    def platform(self, root: Node | None) -> PlatformMapping:
        where = Where(self.source)
        if root is None or is_null(root) or not isinstance(root, MappingNode):
            raise ConfigError(f"{self.source}: a mapping file is a mapping with platform:, "
                              "error_patterns:, tables: and config_check:.")
        top = fields(root, where, _TOP, required=("platform", "tables"))
        platform = string(top["platform"], where, "platform")
        patterns = tuple(_regex(n, where, f"error_patterns[{i}]") for i, n in
                         enumerate(items(top.get("error_patterns", NULL_NODE), where,
                                         "error_patterns")))
        tables = []
        for name, key_node, node in entries(top["tables"], where.child("tables"), "tables"):
            if not _TABLE_NAME.fullmatch(name) or name == CONFIG_CHECK:
                raise where.error(key_node, f"table name {name!r} is not allowed", "Use "
                                  f"lower-case letters, digits and _ (not {CONFIG_CHECK!r}).")
            tables.append(self.table(name, node, where.child(f"tables.{name}")))
        check = (self.config_check(top["config_check"], where.child("config_check"))
                 if "config_check" in top and not is_null(top["config_check"]) else None)
        return PlatformMapping(self.source, platform, patterns, tuple(tables), check)

    def table(self, name: str, node: Node, where: Where) -> TableMapping:
        f = fields(node, where, _TABLE, required=("command", "template", "metrics"))
        command = string(f["command"], where, "command").strip()
        if not command:
            raise where.error(f["command"], "command is empty", "Give the show command.")
        ref = string(f["template"], where, "template")
        try:
            template = load_template(ref, self.base)
        except ConfigError as exc:
            raise where.error(f["template"], str(exc).rstrip("."), "Fix the template.") from None
        labels = _labels(f["labels"], where, "labels", template) if "labels" in f else []
        metric_nodes = items(f["metrics"], where, "metrics")
        if not metric_nodes:
            raise where.error(f["metrics"], "metrics is empty", "List at least one metric.")
        metrics = tuple(self.metric(n, where.child(f"metrics[{i}]"), template, labels)
                        for i, n in enumerate(metric_nodes))
        require = "require_rows" in f and boolean(f["require_rows"], where, "require_rows")
        return TableMapping(name, command, template, metrics, require)

    def metric(self, node: Node, where: Where, template: Template,
               table_labels: list[tuple[str, str]]) -> MetricMapping:
        f = fields(node, where, _METRIC, required=("name", "help", "type", "value"))
        name = string(f["name"], where, "name")
        if not _METRIC_NAME.fullmatch(name):
            raise where.error(f["name"], f"{name!r} is not a valid metric name",
                              "Use letters, digits, underscores and colons.")
        kind = choice(f["type"], where, "type", frozenset({"gauge", "counter"}))
        if kind == "counter" and not name.endswith("_total"):
            raise where.error(f["name"], f"the counter {name!r} does not end in _total",
                              "Name counters ..._total, as node_exporter does.")
        value = string(f["value"], where, "value")
        if value not in template.fields or value in template.list_fields:
            raise where.error(f["value"], f"the template {template.ref} has no single value "
                              f"{value!r} (it has {', '.join(template.fields)})",
                              "Use one of the template's value names (case-sensitive).")
        value_map = {k: _value(v, where, f"value_map.{k}") for k, _, v in
                     entries(f.get("value_map", NULL_NODE), where, "value_map")}
        patterns = []
        for i, p in enumerate(items(f.get("value_patterns", NULL_NODE), where,
                                    "value_patterns")):
            pf = fields(p, where.child(f"value_patterns[{i}]"), _PATTERN,
                        required=("match", "value"))
            patterns.append(ValuePattern(_regex(pf["match"], where, "match"),
                                         _value(pf["value"], where, "value")))
        scale = number(f["scale"], where, "scale") if "scale" in f else 1.0
        labels = table_labels + (_labels(f["labels"], where, "labels", template)
                                 if "labels" in f else [])
        consts = _const_labels(f.get("const_labels", NULL_NODE), where)
        metric = MetricMapping(name, string(f["help"], where, "help"), kind, value, value_map,
                               tuple(patterns), scale, tuple(labels), tuple(consts))
        if len(metric.label_names) != len(labels) + len(consts):
            raise where.error(node, f"{name}: a label name is given twice",
                              "Give each label one source.")
        self._same_family(metric, node, where)
        return metric

    def _same_family(self, metric: MetricMapping, node: Node, where: Where) -> None:
        first = self.families.setdefault(metric.name, (metric, node))
        other, other_node = first
        if other is metric:
            return
        if (other.type, other.help, other.label_names) != (metric.type, metric.help,
                                                           metric.label_names):
            raise where.error(node, f"{metric.name} is also defined on line "
                              f"{other_node.start_mark.line + 1} with another type, help or "
                              "label names", "Metrics sharing a name must agree on all three.")

    def config_check(self, node: Node, where: Where) -> ConfigCheckSpec:
        f = fields(node, where, _CHECK, required=("command",))
        command = string(f["command"], where, "command").strip()
        if not command:
            raise where.error(f["command"], "command is empty", "Give the show command.")
        ignore = tuple(_regex(n, where, f"ignore_lines[{i}]") for i, n in
                       enumerate(items(f.get("ignore_lines", NULL_NODE), where,
                                       "ignore_lines")))
        return ConfigCheckSpec(command, ignore)


def parse_mapping(text: str, source: str, base: Path) -> PlatformMapping:
    """Parse a mapping file's text; ``base`` anchors relative template paths."""
    return _Loader(source, base).platform(compose(text, source))


def load_mapping(path: str | Path) -> PlatformMapping:
    """Read and check a mapping file and compile its templates."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise ConfigError(f"{path}: cannot read the CLI mapping file ({reason}).") from None
    return parse_mapping(text, str(path), path.parent)
