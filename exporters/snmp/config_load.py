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
The metric schema is the same in both layouts (netmon reads a superset of what 0.21 knew);
metrics, with their indexes, lookups and ``regex_extracts``, are built by
:mod:`exporters.snmp.config_metrics`.

Decisions, and where netmon is stricter than snmp_exporter (always to turn a silent
misbehaviour at scrape time into a clear refusal at load time):

* Like snmp_exporter's ``yaml.UnmarshalStrict``, an unknown or duplicated key anywhere is
  refused. Parsing works on YAML nodes (:mod:`exporters.snmp.yaml_nodes`) so every message
  names the file and line, the module/metric path and the key, lists the allowed keys, and
  says how to fix it.
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
* Regular expressions (``regex_extracts``, ``filters`` values) are Go RE2 and ``timeout`` is
  a Go duration: :mod:`exporters.snmp.go_syntax` says how they are translated and what is
  refused.
* Secrets (community, password, priv_password) become :class:`~exporters.secrets.Secret` as
  soon as they are read; no message ever contains a scalar's value from an ``auth``.
* Secrets may come from the environment: ``community: ${WARD_COMMUNITY}`` (also
  ``password``, ``priv_password`` and ``username``), always expanded, as snmp_exporter does
  with ``--config.expand-environment-variables``; an unset variable is refused with file:line
  and its name. A file that holds a secret inline and that others can read (mode & 0o004) is
  refused with its mode and ``chmod 640 FILE``; snmp_exporter's well-known ``public``
  communities and netmon's ``REPLACE-ME`` placeholders do not count. The rules and why:
  :mod:`exporters.snmp.secret_fields`.
"""

from __future__ import annotations

import glob
import hashlib
import os
import stat
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from yaml.nodes import MappingNode, Node

from exporters.errors import ConfigError
from exporters.snmp.config import (
    AUTH_PROTOCOLS,
    PRIV_PROTOCOLS,
    Auth,
    DynamicFilter,
    Module,
    SecurityLevel,
    SnmpConfig,
    WalkParams,
)
from exporters.snmp.config_metrics import go_regex, metric_spec, numeric_oid, numeric_oids
from exporters.snmp.go_syntax import parse_go_duration
from exporters.snmp.secret_fields import SecretReader, check_file_mode
from exporters.snmp.yaml_nodes import (
    FLOAT_TAG,
    INT_TAG,
    NULL_NODE,
    Where,
    boolean,
    choice,
    compose,
    entries,
    fields,
    integer,
    is_null,
    items,
    key_text,
    node_kind,
    plain_scalar,
    string,
)

__all__ = ["load_snmp_config", "parse_snmp_config"]

_AUTH_KEYS = frozenset({"community", "security_level", "username", "password",
                        "auth_protocol", "priv_protocol", "priv_password", "context_name"})
_CURRENT_AUTH_KEYS = _AUTH_KEYS | {"version"}
_WALK_PARAM_KEYS = frozenset({"max_repetitions", "retries", "timeout",
                              "allow_nonincreasing_oids", "use_unconnected_udp_socket"})
_MODULE_KEYS = frozenset({"walk", "get", "metrics", "filters"}) | _WALK_PARAM_KEYS
_LEGACY_MODULE_KEYS = _MODULE_KEYS | {"version", "auth"}
_TOP_KEYS = frozenset({"auths", "modules", "version"})
_FILTER_KEYS = frozenset({"oid", "targets", "values"})

_MAX_REPETITIONS = 2**31 - 1


# --- modules and auths ------------------------------------------------------------------------


def _timeout(node: Node, where: Where) -> float:
    scalar = plain_scalar(node, where, "timeout")
    if scalar.tag in (INT_TAG, FLOAT_TAG):
        raise where.error(node, f"timeout {scalar.value} has no unit (snmp_exporter would "
                          "read a bare number as nanoseconds)",
                          "Write a Go duration such as 5s, 500ms or 1m30s.")
    nanoseconds = parse_go_duration(string(node, where, "timeout"))
    if nanoseconds is None or nanoseconds <= 0:
        raise where.error(node, f"timeout {scalar.value!r} is not a positive Go duration",
                          "Write a duration such as 5s, 500ms or 1m30s.")
    return nanoseconds / 1e9


def _walk_params(f: dict[str, Node], where: Where) -> WalkParams:
    default = WalkParams()
    return WalkParams(
        max_repetitions=integer(f["max_repetitions"], where, "max_repetitions", 0,
                                _MAX_REPETITIONS)
        if "max_repetitions" in f else default.max_repetitions,
        retries=integer(f["retries"], where, "retries", 0, 100)
        if "retries" in f else default.retries,
        timeout=_timeout(f["timeout"], where) if "timeout" in f else default.timeout,
        allow_nonincreasing_oids=boolean(f["allow_nonincreasing_oids"], where,
                                         "allow_nonincreasing_oids")
        if "allow_nonincreasing_oids" in f else default.allow_nonincreasing_oids,
        use_unconnected_udp_socket=boolean(f["use_unconnected_udp_socket"], where,
                                           "use_unconnected_udp_socket")
        if "use_unconnected_udp_socket" in f else default.use_unconnected_udp_socket,
    )


def _filter(node: Node, where: Where) -> DynamicFilter:
    f = fields(node, where, _FILTER_KEYS, required=("oid",))
    values = items(f.get("values", NULL_NODE), where, "values")
    return DynamicFilter(
        oid=numeric_oid(f["oid"], where, "oid"),
        targets=numeric_oids(f.get("targets", NULL_NODE), where, "targets"),
        values=tuple(go_regex(v, where, f"values[{i}]", anchored=False)
                     for i, v in enumerate(values)),
    )


def _module(name: str, node: Node, where: Where, secrets: SecretReader | None) -> Module:
    """One module; ``secrets`` is given for the legacy layout, whose modules carry an auth."""
    legacy = secrets is not None
    f = fields(node, where, _LEGACY_MODULE_KEYS if legacy else _MODULE_KEYS)
    auth = None
    if secrets is not None:
        auth_where = where.child("auth")
        auth = _auth(name, fields(f.get("auth", NULL_NODE), auth_where, _AUTH_KEYS),
                     f.get("version"), f.get("auth", node), auth_where,
                     secrets, f"module {name!r} auth")
    return Module(
        name=name,
        walk=numeric_oids(f.get("walk", NULL_NODE), where, "walk"),
        get=numeric_oids(f.get("get", NULL_NODE), where, "get"),
        metrics=tuple(metric_spec(item, where.child(f"metrics[{i}]"))
                      for i, item in enumerate(items(f.get("metrics", NULL_NODE), where,
                                                     "metrics"))),
        walk_params=_walk_params(f, where),
        filters=tuple(_filter(item, where.child(f"filters[{i}]"))
                      for i, item in enumerate(items(f.get("filters", NULL_NODE), where,
                                                     "filters"))),
        auth=auth,
    )


def _auth(name: str, f: dict[str, Node], version_node: Node | None, node: Node,
          where: Where, secrets: SecretReader, holder: str) -> Auth:
    """One auth, validated as snmp_exporter's ``Auth.UnmarshalYAML`` (values never echoed).
    ``holder`` names it in a permission refusal (``auth 'ward'``)."""
    default = Auth(name=name)
    version = integer(version_node, where, "version", 1, 3) if version_node is not None else 2
    levels = frozenset(level.value for level in SecurityLevel)
    auth = Auth(
        name=name, version=version,
        community=secrets.secret(f["community"], where, "community", f"{holder} community",
                                 community=True)
        if "community" in f else default.community,
        security_level=SecurityLevel(choice(f["security_level"], where, "security_level",
                                            levels))
        if "security_level" in f else default.security_level,
        username=secrets.plain(f["username"], where, "username") if "username" in f else "",
        password=secrets.secret(f["password"], where, "password", f"{holder} password")
        if "password" in f else default.password,
        auth_protocol=choice(f["auth_protocol"], where, "auth_protocol", AUTH_PROTOCOLS)
        if "auth_protocol" in f else default.auth_protocol,
        priv_protocol=choice(f["priv_protocol"], where, "priv_protocol", PRIV_PROTOCOLS)
        if "priv_protocol" in f else default.priv_protocol,
        priv_password=secrets.secret(f["priv_password"], where, "priv_password",
                                     f"{holder} priv_password")
        if "priv_password" in f else default.priv_password,
        context_name=string(f["context_name"], where, "context_name")
        if "context_name" in f else "",
    )
    _check_v3(auth, node, where)
    return auth


def _check_v3(auth: Auth, node: Node, where: Where) -> None:
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
    #: Which secrets are inline and which ``${VAR}`` were read.
    secrets: SecretReader


# Parsed files by (path, content digest): a process that loads the same module file for many
# targets (the demo's hundreds of agents, a collector's pollers) parses it once. The parsed
# model is frozen and shared read-only.
_PARSED: dict[tuple[str, bytes], _Parsed] = {}
_PARSED_MAX = 64


def _parse_cached(text: str, source: str) -> _Parsed:
    key = (source, hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest())
    parsed = _PARSED.get(key)
    if parsed is None or not parsed.secrets.unchanged():  # a ${VAR} changed: read it again
        parsed = _parse(text, source, SecretReader())
        if len(_PARSED) >= _PARSED_MAX:
            _PARSED.clear()
        _PARSED[key] = parsed
    return parsed


def _parse(text: str, source: str, secrets: SecretReader) -> _Parsed:
    root = compose(text, source)
    where = Where(source)
    if root is None or is_null(root):
        return _Parsed(SnmpConfig(auths={}, modules={}, sources=(source,)), {}, secrets)
    if not isinstance(root, MappingNode):
        raise where.error(root, f"the top level must be a mapping, found {node_kind(root)}",
                          "Start the file with auths: and modules: (or module names).")
    keys = {key_text(k, where) for k, _ in root.value}
    if keys & {"auths", "modules"}:
        return _parse_current(root, where, secrets)
    return _parse_legacy(root, where, secrets)


def _parse_current(root: MappingNode, where: Where, secrets: SecretReader) -> _Parsed:
    top = fields(root, where, _TOP_KEYS)
    if "version" in top:  # snmp_exporter's Config.Version: accepted, checked, unused
        integer(top["version"], where, "version", 0, 2**31 - 1)
    lines: dict[tuple[str, str], int] = {}
    auths: dict[str, Auth] = {}
    for name, key_node, node in entries(top.get("auths", NULL_NODE), where, "auths"):
        auth_where = where.child(f"auth {name!r}")
        f = fields(node, auth_where, _CURRENT_AUTH_KEYS)
        auths[name] = _auth(name, f, f.get("version"), node, auth_where, secrets,
                            f"auth {name!r}")
        lines["auth", name] = key_node.start_mark.line + 1
    modules: dict[str, Module] = {}
    for name, key_node, node in entries(top.get("modules", NULL_NODE), where, "modules"):
        modules[name] = _module(name, node, where.child(f"module {name!r}"), None)
        lines["module", name] = key_node.start_mark.line + 1
    return _Parsed(SnmpConfig(auths=auths, modules=modules, sources=(where.source,)), lines,
                   secrets)


def _parse_legacy(root: MappingNode, where: Where, secrets: SecretReader) -> _Parsed:
    lines: dict[tuple[str, str], int] = {}
    modules: dict[str, Module] = {}
    for name, key_node, node in entries(root, where, "the file (legacy layout: modules)"):
        modules[name] = _module(name, node, where.child(f"module {name!r}"), secrets)
        lines["module", name] = key_node.start_mark.line + 1
    return _Parsed(SnmpConfig(auths={}, modules=modules, sources=(where.source,)), lines,
                   secrets)


def parse_snmp_config(text: str, source: str,
                      environ: Mapping[str, str] | None = None) -> SnmpConfig:
    """Parse one module file (either layout). ``source`` names it in error messages;
    ``${VAR}`` in secret fields is read from ``environ`` (default: the process's). No file,
    so no permission check: that is :func:`load_snmp_config`'s."""
    reader = SecretReader() if environ is None else SecretReader(environ)
    return _parse(text, source, reader).config


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


def _read(path: Path) -> tuple[str, int]:
    """The file's text and permission bits, from the same open file."""
    try:
        with path.open("rb") as file:
            mode = stat.S_IMODE(os.fstat(file.fileno()).st_mode)
            return file.read().decode("utf-8"), mode
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the SNMP module file ({exc.__class__.__name__}"
                          f": {getattr(exc, 'strerror', None) or exc}). Check that it exists, "
                          "is readable and is UTF-8.") from None


def load_snmp_config(paths: Sequence[Path]) -> SnmpConfig:
    """Read and merge module files. A module or auth defined in two files is refused, and so
    is a file that others can read holding a secret inline."""
    auths: dict[str, Auth] = {}
    modules: dict[str, Module] = {}
    seen: dict[tuple[str, str], str] = {}
    files = _expand(paths)
    for path in files:
        text, mode = _read(path)
        parsed = _parse_cached(text, str(path))
        check_file_mode(str(path), mode, parsed.secrets.inline, "SNMP module file")
        for (kind, name), line in parsed.lines.items():
            here = f"{path}:{line}"
            if (kind, name) in seen:
                raise ConfigError(f"{kind} {name!r} is defined twice: in {seen[kind, name]} "
                                  f"and in {here}. Keep one, or rename the other.")
            seen[kind, name] = here
        auths.update(parsed.config.auths)
        modules.update(parsed.config.modules)
    return SnmpConfig(auths=auths, modules=modules, sources=tuple(str(f) for f in files))
