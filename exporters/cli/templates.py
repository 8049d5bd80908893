"""TextFSM templates: where they come from, and parsing a command's output with one.

A mapping names its template with a prefix that says where it lives:

* ``ntc:<file>``: a template of the ntc-templates package (the common platforms);
* ``netmon:<file>``: one of netmon's own, shipped in ``exporters/cli/templates/``, for what
  ntc-templates lacks (IP SLA statistics, interface byte counters);
* anything else: a path, relative to the mapping file's folder (a site's own templates).

A template is read and compiled when its mapping is loaded, so a template that does not
compile, or a mapping that names a field the template lacks, is a
:class:`~exporters.errors.ConfigError` at start-up, not a failure at the first poll. Parsing
compiles a fresh state machine each time (0.6 ms for ntc's ``show interfaces``, a tenth of
the parse itself): TextFSM objects carry state and are not shared between threads.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

import textfsm  # type: ignore[import-untyped]

from exporters.cli.errors import CliParseError
from exporters.errors import ConfigError

__all__ = ["NETMON_TEMPLATES", "Template", "load_template"]

NETMON_TEMPLATES = Path(__file__).resolve().parent / "templates"


def _ntc_dir() -> Path:
    try:
        return Path(str(files("ntc_templates") / "templates"))
    except ModuleNotFoundError:
        raise ConfigError("the mapping uses an ntc: template but the ntc-templates package "
                          "is not installed. Install it (pip install ntc-templates).") from None


def _resolve(ref: str, base: Path) -> Path:
    prefix, _, name = ref.partition(":")
    if prefix in ("ntc", "netmon") and name:
        if "/" in name or "\\" in name or name.startswith("."):
            raise ConfigError(f"template {ref!r}: give a file name after {prefix}:, not a path")
        return (_ntc_dir() if prefix == "ntc" else NETMON_TEMPLATES) / name
    return base / ref


@dataclass(frozen=True, slots=True)
class Template:
    """A compiled-once (checked) TextFSM template: its reference, text and value names."""

    ref: str
    text: str
    fields: tuple[str, ...]
    list_fields: frozenset[str]

    def parse(self, output: str) -> list[dict[str, str]]:
        """The rows TextFSM finds in ``output``. Raises :class:`CliParseError` (kind
        ``parse``) when the template's own rules reject the output (an ``-> Error`` rule)."""
        fsm = textfsm.TextFSM(io.StringIO(self.text))
        try:
            rows = fsm.ParseTextToDicts(output)
        except textfsm.TextFSMError as exc:
            # TextFSM's message quotes the offending line of output: keep it out.
            rule = str(exc).split(". Input Line", 1)[0]
            raise CliParseError("parse", f"template {self.ref} rejected the output "
                                f"({rule.strip()})") from None
        return [{k: v for k, v in row.items() if isinstance(v, str)} for row in rows]


def load_template(ref: str, base: Path) -> Template:
    """Read and compile a template (see the module docstring for ``ref``)."""
    path = _resolve(ref, base)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise ConfigError(f"template {ref!r}: cannot read {path} ({reason}). Check the name; "
                          "ntc: and netmon: take a file name of their template folder.") from None
    try:
        fsm = textfsm.TextFSM(io.StringIO(text))
    except textfsm.TextFSMTemplateError as exc:
        raise ConfigError(f"template {ref!r} ({path}) does not compile: {exc}") from None
    lists = frozenset(v.name for v in fsm.values
                      if any(o.name == "List" for o in v.options))
    return Template(ref, text, tuple(fsm.header), lists)
