"""Read ``agent.yml`` into an :class:`~agent.config.AgentConfig`, strictly.

    agent_id: hn-bd-phucxa                     # names the agent in logs (identity: the token)
    token_file: /etc/netmon/agent.token        # mode 0600; required when collectors are set
    collectors:
      - {name: dc-primary, url: "https://10.10.0.10:9750", timeout: 10s}
      - name: dc-backup
        url: "https://10.20.0.10:9750"
        tls: {ca_file: ca.crt, cert_file: agent.crt, key_file: agent.key}  # netmon.web.client
    jitter: 1.0                                # phases spread over this fraction of intervals
    exporters:
      host: {enabled: true, interval: 15s}      # + timeout, procfs, rootfs, node_exporter filters
      snmp:
        - target: 10.1.2.3
          modules: [system, if_mib]
          auth: ward_v3                        # from one of files:
          files: [/etc/netmon/snmp.yml]        # default: netmon's own module file
          interval: 60s
          name: snmp:hn-bd-phucxa-r1           # default: snmp:<target>
    shipping:
      retries: null                            # null: until delivered or dropped at a bound
      backoff_base: 1s
      backoff_max: 30s
      catchup_rate: 1                          # backlog reports per second, per collector
      grace: 5s
      spool: {path: /var/lib/netmon/agent/spool.db, max_bytes: 128MiB, max_age: 48h}

Like the SNMP module loader (:mod:`exporters.snmp.config_load`, whose node helpers this
reuses), an unknown, duplicated or missing key is refused with the file, the line, the path
of keys and how to fix it. Durations are Go-style strings (``15s``, ``1m30s``, ``500ms``) or
plain numbers of seconds; sizes are a number of bytes or a number with a unit (``kB``, ``MB``,
``GB`` are powers of 1000; ``KiB``, ``MiB``, ``GiB`` powers of 1024). Relative paths
(``token_file``, ``files``, ``procfs``, ``rootfs``, ``shipping.spool.path``, the
``collectors[].tls`` files) are relative to
the directory of ``agent.yml``. Every SNMP target is checked against its module files here
(modules and auth exist, the target parses), so ``--check-config`` finds what the first poll
would otherwise find.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node

from agent.config import (
    AGENT_BATCH,
    AGENT_ID,
    AgentConfig,
    CollectorConfig,
    HostJobConfig,
    ShippingConfig,
    SnmpJobConfig,
    SpoolConfig,
)
from agent.token import read_token
from exporters.errors import ConfigError
from exporters.host import HostConfig
from exporters.probe.config_load import parse_probe_config
from exporters.snmp.client import Limits, SnmpStack
from exporters.snmp.config import SnmpConfig
from exporters.snmp.config_load import load_snmp_config
from exporters.snmp.exporter import SnmpExporter
from exporters.snmp.yaml_nodes import (
    NULL_NODE,
    Where,
    boolean,
    checked,
    compose,
    duration,
    fields,
    integer,
    is_null,
    items,
    node_kind,
    number,
    plain_scalar,
    string,
)
from netmon.web.client_load import config_path as _path
from netmon.web.client_load import parse_tls_client

if TYPE_CHECKING:
    from exporters.cli import CliConfig

__all__ = ["byte_size", "default_module_files", "load_agent_config", "parse_agent_config"]

_TOP = frozenset({"agent_id", "token_file", "collectors", "jitter", "exporters", "shipping"})
_COLLECTOR = frozenset({"url", "name", "timeout", "tls"})
_EXPORTERS = frozenset({"host", "snmp", "cli", "probes"})
_HOST_OPTIONS = frozenset({"mount_points_exclude", "fs_types_exclude",
                           "diskstats_device_exclude", "diskstats_device_include",
                           "netdev_device_exclude", "netdev_device_include"})
_HOST = frozenset({"enabled", "interval", "timeout", "procfs", "rootfs",
                   "mount_timeout"}) | _HOST_OPTIONS
_SNMP = frozenset({"target", "modules", "auth", "name", "interval", "timeout", "files",
                   "max_varbinds"})
_SHIPPING = frozenset({"retries", "backoff_base", "backoff_max", "catchup_rate", "grace",
                       "spool"})
_SPOOL = frozenset({"path", "max_bytes", "max_age"})
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*$")
_SIZE_UNITS = {"": 1, "b": 1, "kb": 1000, "mb": 1000**2, "gb": 1000**3, "tb": 1000**4,
               "kib": 1024, "mib": 1024**2, "gib": 1024**3, "tib": 1024**4}

T = TypeVar("T")


def default_module_files() -> tuple[Path, ...]:
    from netmon.commands import netmon_modules_path
    return (netmon_modules_path(),)



def byte_size(node: Node, where: Where, key: str) -> int:
    """A size in bytes: an integer, or a number with a unit (``512MiB``, ``1.5GB``)."""
    scalar = plain_scalar(node, where, key)
    match = _SIZE.match(str(scalar.value))
    factor = _SIZE_UNITS.get(match.group(2).lower()) if match else None
    if match is None or factor is None:
        raise where.error(node, f"{key} {scalar.value!r} is not a size",
                          "Write a number of bytes or a number with a unit: B, kB, MB, GB "
                          "(powers of 1000) or KiB, MiB, GiB (powers of 1024), e.g. 128MiB.")
    return int(float(match.group(1)) * factor)



def _run_timeout(f: dict[str, Node], where: Where, interval: float) -> float | None:
    """The optional ``timeout`` of a run, at most its interval."""
    if "timeout" not in f:
        return None
    timeout = duration(f["timeout"], where, "timeout")
    if timeout > interval:
        raise where.error(f["timeout"], f"timeout {timeout:g}s is longer than the interval "
                          f"({interval:g}s)", "Runs of one exporter never overlap: shorten "
                          "the timeout (or leave it out: it defaults to the interval).")
    return timeout


def _unique(names: list[str], nodes: list[Node], where: Where, what: str, fix: str) -> None:
    first: dict[str, Node] = {}
    for name, node in zip(names, nodes, strict=True):
        if not name:
            continue
        if name in first:
            mark = first[name].start_mark
            earlier = f" (first on line {mark.line + 1})" if mark is not None else ""
            raise where.error(node, f"{what} {name!r} is used twice{earlier}", fix)
        first[name] = node


class _Loader:
    def __init__(self, source: str, base: Path, read_token_file: bool) -> None:
        self.source = source
        self.base = base
        self.read_token_file = read_token_file
        self.module_files: dict[tuple[str, ...], SnmpConfig] = {}
        self.check_stack = SnmpStack()  # opens no socket: exporters are only constructed

    def agent(self, root: Node | None) -> AgentConfig:
        where = Where(self.source)
        if root is None or is_null(root):
            raise ConfigError(f"{self.source}: the file is empty. Start it with agent_id: "
                              "and collectors:.")
        if not isinstance(root, MappingNode):
            raise where.error(root, f"the top level must be a mapping, found {node_kind(root)}",
                              "Start the file with agent_id: and collectors:.")
        top = fields(root, where, _TOP, required=("agent_id",))
        agent_id = string(top["agent_id"], where, "agent_id")
        if not AGENT_ID.match(agent_id):
            raise where.error(top["agent_id"], f"agent_id {agent_id!r} is not a valid id",
                              "Use 1-128 ASCII letters, digits, '.', '_', ':' or '-', starting "
                              "with a letter or digit (the ward's slug, e.g. hn-bd-phucxa).")
        collector_nodes = items(top.get("collectors", NULL_NODE), where, "collectors")
        collectors = tuple(self.collector(item, where.child(f"collectors[{i}]"))
                           for i, item in enumerate(collector_nodes))
        _unique([c.name for c in collectors], collector_nodes, where, "collector name",
                "Give each collector its own name:.")
        token_file = ""
        token = None
        if "token_file" in top:
            token_file = _path(top["token_file"], where, "token_file", self.base)
            if self.read_token_file:
                token = checked(top["token_file"], where.child("token_file"),
                                 lambda: read_token(token_file))
        elif collectors:
            raise where.error(root, "collectors are set but token_file is not",
                              "Add token_file: with the path of the agent's token.")
        exporters_where = where.child("exporters")
        exporters = fields(top.get("exporters", NULL_NODE), exporters_where, _EXPORTERS)
        host_node = exporters.get("host", NULL_NODE)
        host = self.host(host_node, exporters_where.child("host"))
        snmp_nodes = items(exporters.get("snmp", NULL_NODE), exporters_where, "snmp")
        snmp = tuple(self.snmp(item, exporters_where.child(f"snmp[{i}]"))
                     for i, item in enumerate(snmp_nodes))
        cli = (self.cli(exporters["cli"], exporters_where.child("cli"))
               if "cli" in exporters and not is_null(exporters["cli"]) else None)
        probes_node = exporters.get("probes", NULL_NODE)
        probes = parse_probe_config(probes_node, exporters_where.child("probes"))
        names = [host.name if host.enabled else "", *(s.exporter_name for s in snmp),
                 probes.name if probes.targets else ""]
        _unique(names, [host_node, *snmp_nodes, probes_node], where, "exporter name",
                "Give each SNMP target its own name: (and the probes another).")
        for name, node in zip(names, [host_node, *snmp_nodes, probes_node], strict=True):
            if name == AGENT_BATCH:
                raise where.error(node, f"exporter name {AGENT_BATCH!r} is reserved for the "
                                  "agent's own metrics", "Choose another name:.")
        shipping = self.shipping(top.get("shipping", NULL_NODE), where.child("shipping"))
        jitter = number(top["jitter"], where, "jitter") if "jitter" in top else 1.0
        if not 0 <= jitter <= 1:
            raise where.error(top["jitter"], f"jitter must be between 0 and 1, got {jitter:g}",
                              "Give the fraction of each interval over which phases are "
                              "spread (1: the whole interval).")
        return checked(root, where, lambda: AgentConfig(
            agent_id=agent_id, collectors=collectors, token=token, token_file=token_file,
            host=host, snmp=snmp, cli=cli, probes=probes, jitter=jitter, shipping=shipping,
            source=self.source))

    def cli(self, node: Node, where: Where) -> CliConfig:
        """``exporters.cli``: read by :func:`exporters.cli.load_cli_config` (imported only
        when the section is there: netmiko and TextFSM cost an agent without CLI devices
        nothing); its messages name the key path, prefixed here with the file and line."""
        from exporters.cli import load_cli_config

        data = SafeConstructor().construct_document(node)
        if not isinstance(data, dict):
            raise where.error(node, f"must be a mapping, found {node_kind(node)}",
                              "Give credentials: and devices:.")
        line = node.start_mark.line + 1
        return load_cli_config(data, source=f"{self.source}:{line}: exporters", base=self.base)

    def collector(self, node: Node, where: Where) -> CollectorConfig:
        f = fields(node, where, _COLLECTOR, required=("url",))
        url = string(f["url"], where, "url")
        name = string(f["name"], where, "name") if "name" in f else ""
        timeout = duration(f["timeout"], where, "timeout") if "timeout" in f else None
        tls = (parse_tls_client(f["tls"], where.child("tls"), self.base) if "tls" in f
               else None)
        return checked(node, where, lambda: CollectorConfig(
            url, name, **({"timeout": timeout} if timeout is not None else {}), tls=tls))

    def host(self, node: Node, where: Where) -> HostJobConfig:
        f = fields(node, where, _HOST)
        options: dict[str, object] = {
            key: string(f[key], where, key) for key in _HOST_OPTIONS if key in f}
        for key in ("procfs", "rootfs"):
            if key in f:
                options[key] = _path(f[key], where, key, self.base)
        if "mount_timeout" in f:
            options["mount_timeout"] = duration(f["mount_timeout"], where, "mount_timeout")
        host = checked(node, where, lambda: HostConfig(**options))  # type: ignore[arg-type]
        enabled = boolean(f["enabled"], where, "enabled") if "enabled" in f else True
        interval = (duration(f["interval"], where, "interval") if "interval" in f
                    else HostJobConfig().interval)
        timeout = _run_timeout(f, where, interval)
        return checked(node, where, lambda: HostJobConfig(enabled, interval, timeout, host))

    def snmp(self, node: Node, where: Where) -> SnmpJobConfig:
        f = fields(node, where, _SNMP, required=("target", "modules"))
        target = string(f["target"], where, "target")
        where = where.child(f"target {target!r}")
        modules = tuple(string(m, where, f"modules[{i}]")
                        for i, m in enumerate(items(f["modules"], where, "modules")))
        if not modules:
            raise where.error(f["modules"], "modules is empty",
                              "List the modules to walk, e.g. [system, if_mib].")
        files = (tuple(_path(p, where, f"files[{i}]", self.base)
                       for i, p in enumerate(items(f["files"], where, "files")))
                 if "files" in f else tuple(str(p) for p in default_module_files()))
        if not files:
            raise where.error(f["files"], "files is empty", "List at least one module file, "
                              "or leave files out for netmon's own modules.")
        snmp = self.modules(files, f.get("files", node), where)
        defaults = SnmpJobConfig(target, modules, snmp)
        limits = (Limits(max_varbinds=integer(f["max_varbinds"], where, "max_varbinds", 1,
                                              10_000_000))
                  if "max_varbinds" in f else defaults.limits)
        auth = string(f["auth"], where, "auth") if "auth" in f else ""
        name = string(f["name"], where, "name") if "name" in f else ""
        interval = (duration(f["interval"], where, "interval") if "interval" in f
                    else defaults.interval)
        timeout = _run_timeout(f, where, interval)
        job = checked(node, where, lambda: SnmpJobConfig(
            target=target, modules=modules, snmp=snmp, auth=auth, name=name,
            interval=interval, timeout=timeout, limits=limits))
        # The exporter's own checks (target syntax, modules and auth in the files), now.
        checked(node, where, lambda: SnmpExporter(job.target_config(), snmp, self.check_stack))
        return job

    def modules(self, files: tuple[str, ...], node: Node, where: Where) -> SnmpConfig:
        loaded = self.module_files.get(files)
        if loaded is None:
            loaded = self.module_files[files] = checked(
                node, where, lambda: load_snmp_config([Path(p) for p in files]))
        return loaded

    def shipping(self, node: Node, where: Where) -> ShippingConfig:
        f = fields(node, where, _SHIPPING)
        defaults = ShippingConfig()
        retries = None  # null or absent: until delivered or dropped from the spool
        if "retries" in f and not is_null(f["retries"]):
            retries = integer(f["retries"], where, "retries", 0, 1_000_000)
        base = (duration(f["backoff_base"], where, "backoff_base") if "backoff_base" in f
                else defaults.backoff_base)
        cap = (duration(f["backoff_max"], where, "backoff_max") if "backoff_max" in f
               else defaults.backoff_max)
        rate = (number(f["catchup_rate"], where, "catchup_rate") if "catchup_rate" in f
                else defaults.catchup_rate)
        if rate <= 0:
            raise where.error(f["catchup_rate"], f"catchup_rate must be above zero, got {rate:g}",
                              "Give the backlog's pace in reports per second, e.g. 1.")
        grace = (duration(f["grace"], where, "grace", zero=True) if "grace" in f
                 else defaults.grace)
        if cap < base:
            raise where.error(f.get("backoff_max", f.get("backoff_base")),
                              f"backoff_max ({cap:g}s) is shorter than backoff_base ({base:g}s)",
                              "Make backoff_max at least backoff_base.")
        spool = self.spool(f.get("spool", NULL_NODE), where.child("spool"))
        return checked(node, where, lambda: ShippingConfig(
            retries=retries, backoff_base=base, backoff_max=cap, catchup_rate=rate,
            grace=grace, spool=spool))

    def spool(self, node: Node, where: Where) -> SpoolConfig:
        f = fields(node, where, _SPOOL)
        defaults = SpoolConfig()
        path = _path(f["path"], where, "path", self.base) if "path" in f else defaults.path
        max_bytes = (byte_size(f["max_bytes"], where, "max_bytes") if "max_bytes" in f
                     else defaults.max_bytes)
        if max_bytes < 2**20:
            raise where.error(f["max_bytes"], f"max_bytes must be at least 1MiB, got {max_bytes}",
                              "Size the spool for a day or more of reports, e.g. 128MiB.")
        max_age = (duration(f["max_age"], where, "max_age") if "max_age" in f
                   else defaults.max_age)
        return checked(node, where, lambda: SpoolConfig(path, max_bytes, max_age))


def parse_agent_config(text: str, source: str, base: Path | None = None, *,
                       read_token_file: bool = True) -> AgentConfig:
    """Parse ``agent.yml``'s text; ``source`` names it in messages, ``base`` anchors relative
    paths (default: the current directory)."""
    loader = _Loader(source, base if base is not None else Path(), read_token_file)
    try:
        return loader.agent(compose(text, source))
    finally:
        loader.check_stack.close()


def load_agent_config(path: str | Path, *, read_token_file: bool = True) -> AgentConfig:
    """Read and check ``agent.yml`` (and the token file, unless ``read_token_file`` is false:
    ``--once`` sends nothing and needs no token)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise ConfigError(f"{path}: cannot read the agent config ({reason}). Check the path "
                          "given to --config and that it is UTF-8.") from None
    return parse_agent_config(text, str(path), path.parent, read_token_file=read_token_file)
