"""Read an inventory file into an :class:`~collector.inventory.Inventory`, strictly.

    districts:
      - {code: "001", name: Quận Ba Đình}
    sites:
      - {id: "00001", name: Phường Phúc Xá, district: "001", kind: ward,
         lat: 21.046798, lon: 105.848112}
      - {id: gen-527, name: Điểm mở rộng 527 (generated), district: "001", kind: ward,
         generated: true}
      - {id: dc-primary, name: Trung tâm dữ liệu chính, district: "006", kind: dc}
    data_centres:
      - {name: primary, site: dc-primary}
    agents:
      - {id: hn-badinh-phucxa-r1, site: "00001", role: ward-router,
         token_sha256: [<64 hex digits>, ...]}
      - {id: hn-hoankiem-phuctan-r1, site: "00037", role: ward-router,
         token_sha256: [<new token's hash>],                # valid until removed
         tokens: [{sha256: <old token's hash>, expires: 2027-03-01T00:00:00Z}]}
    devices:                    # optional: polled over SNMP by the collectors (no agent)
      - {name: hn-dc-primary-sw1, site: dc-primary, role: dc-switch, address: "10.10.0.2",
         modules: [system, if_mib], auth: public_v2, interval: 60s, timeout: 20s,
         retries: 2, pollers: [primary, backup]}

An agent has any number of tokens (for rotation): ``token_sha256`` lists hashes that do not
expire; ``tokens`` lists ``{sha256, expires}`` entries, ``expires`` an ISO 8601 time with
its zone (``2027-03-01T00:00:00Z``, ``2027-03-01T07:00:00+07:00``), after which the token is
refused as expired (``expires`` may be left out: then the entry does not expire). Both lists
may be given; a hash appears once in the whole inventory. ``netmon inventory rotate-token``
writes them (:mod:`collector.inventory_cli`).

Every reference is checked (an agent's or a device's site, a site's district, a data centre's
site), ids and token hashes are unique, and a mistake is refused with file, line and key. Ward
codes are strings: quote them (``"00001"``), a bare 00001 is an octal number to YAML and is
refused.

A device's ``name`` shares the agents' namespace (it is the ``agent`` label of its series).
``address`` is snmp_exporter's target syntax (``host``, ``host:port``, ``[v6]:port``; port
161 by default); ``modules`` and ``auth`` (default ``public_v2``) name entries of the
collector's SNMP module files (``snmp.files`` in collector.yml, checked when the collector
starts and by ``--check-config``). ``interval`` (default 60 s) and ``timeout`` (the whole
poll; default 30 s, at most the interval) are durations (``60s``, ``1m``) or seconds;
``retries`` (0-10) overrides the modules' per-request retries; ``pollers`` are the data
centres whose collectors poll the device (default both, as an agent reports to both).
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Final

from yaml.nodes import Node

from collector.config import DC_NAMES
from collector.errors import ConfigError
from collector.inventory import (
    DEFAULT_DEVICE_AUTH,
    DEFAULT_DEVICE_INTERVAL,
    DEFAULT_POLLERS,
    SITE_KINDS,
    Agent,
    AgentToken,
    DataCentre,
    Device,
    District,
    Inventory,
    Site,
)
from exporters.errors import ConfigError as ExporterConfigError
from exporters.snmp.client import Target
from exporters.snmp.yaml_nodes import (
    NULL_NODE,
    Where,
    boolean,
    choice,
    compose,
    duration,
    fields,
    integer,
    items,
    number,
    plain_scalar,
    string,
)

__all__ = ["load_inventory", "parse_inventory"]

_TOP = frozenset({"districts", "sites", "data_centres", "agents", "devices"})
_DISTRICT = frozenset({"code", "name"})
_SITE = frozenset({"id", "name", "district", "kind", "lat", "lon", "generated"})
_DC = frozenset({"name", "site"})
_AGENT = frozenset({"id", "site", "role", "token_sha256", "tokens"})
_TOKEN = frozenset({"sha256", "expires"})
_DEVICE = frozenset({"name", "site", "role", "address", "modules", "auth", "interval",
                     "timeout", "retries", "pollers"})
_ID: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_ROLE: Final = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_SHA256: Final = re.compile(r"^[0-9a-f]{64}$")
_MAX_NAME: Final = 256
_STR_TAG: Final = "tag:yaml.org,2002:str"


def _text(node: Node, where: Where, key: str) -> str:
    """A string that must be written as one (``"00001"``, not 00001 or 1)."""
    scalar = plain_scalar(node, where, key)
    if scalar.tag != _STR_TAG:
        raise where.error(node, f"{key} must be a string", f'Quote it: {key}: "{scalar.value}".')
    text = str(scalar.value)
    if not text or len(text) > _MAX_NAME:
        raise where.error(node, f"{key} must be 1 to {_MAX_NAME} characters",
                          f"Give {key} a value.")
    return text


def _ident(node: Node, where: Where, key: str, pattern: re.Pattern[str]) -> str:
    text = _text(node, where, key)
    if not pattern.match(text):
        raise where.error(node, f"{key} {text!r} is not a valid identifier",
                          "Use ASCII letters, digits, '.', '_' and '-'.")
    return text


def _unique(seen: dict[str, Node], key: str, node: Node, where: Where, what: str) -> None:
    if key in seen:
        raise where.error(node, f"{what} {key!r} appears twice (first on line "
                          f"{seen[key].start_mark.line + 1})", "Keep only one of them.")
    seen[key] = node


def _coordinate(node: Node | None, where: Where, key: str, bound: float) -> float | None:
    if node is None:
        return None
    value = number(node, where, key)
    if not -bound <= value <= bound:
        raise where.error(node, f"{key} {value} is out of range", f"Use -{bound}..{bound}.")
    return value


def _digest(node: Node, at: Where, key: str, hashes: dict[str, Node]) -> str:
    digest = _text(node, at, key)
    if not _SHA256.match(digest):
        raise at.error(node, f"{key} is not 64 lowercase hex digits",
                       "Write the SHA-256 of the token in hex (netmon inventory writes it), "
                       "never the token itself.")
    _unique(hashes, digest, node, at, "token hash")
    return digest


def _expires(node: Node, at: Where, key: str) -> float:
    """An ISO 8601 time with its zone, as Unix seconds."""
    text = plain_scalar(node, at, key).value
    try:
        when = datetime.fromisoformat(str(text))
    except ValueError:
        when = None
    if when is None or when.tzinfo is None:
        raise at.error(node, f"{key} {str(text)!r} is not an ISO 8601 time with a zone",
                       "Write it like 2027-03-01T00:00:00Z (UTC) or "
                       "2027-03-01T07:00:00+07:00.")
    return when.timestamp()


def parse_inventory(text: str, source: str) -> Inventory:
    where = Where(source)
    root = compose(text, source) or NULL_NODE
    top = fields(root, where, _TOP, required=("districts", "sites", "agents"))

    districts: list[District] = []
    seen: dict[str, Node] = {}
    for i, node in enumerate(items(top["districts"], where, "districts")):
        at = where.child(f"districts[{i}]")
        f = fields(node, at, _DISTRICT, required=("code", "name"))
        code = _ident(f["code"], at, "code", _ID)
        _unique(seen, code, f["code"], at, "district code")
        districts.append(District(code, _text(f["name"], at, "name")))

    sites: list[Site] = []
    site_nodes: dict[str, Node] = {}
    for i, node in enumerate(items(top["sites"], where, "sites")):
        at = where.child(f"sites[{i}]")
        f = fields(node, at, _SITE, required=("id", "name", "district", "kind"))
        site_id = _ident(f["id"], at, "id", _ID)
        _unique(site_nodes, site_id, f["id"], at, "site id")
        district = _text(f["district"], at, "district")
        if district not in seen:
            raise at.error(f["district"], f"district {district!r} is not in districts",
                           "Add it to districts or correct the code.")
        sites.append(Site(
            id=site_id, name=_text(f["name"], at, "name"), district=district,
            kind=choice(f["kind"], at, "kind", SITE_KINDS),
            lat=_coordinate(f.get("lat"), at, "lat", 90.0),
            lon=_coordinate(f.get("lon"), at, "lon", 180.0),
            generated=boolean(f["generated"], at, "generated") if "generated" in f else False))
    kind_of = {s.id: s.kind for s in sites}

    data_centres: list[DataCentre] = []
    dc_seen: dict[str, Node] = {}
    for i, node in enumerate(items(top.get("data_centres", NULL_NODE), where, "data_centres")):
        at = where.child(f"data_centres[{i}]")
        f = fields(node, at, _DC, required=("name", "site"))
        name = choice(f["name"], at, "name", DC_NAMES)
        _unique(dc_seen, name, f["name"], at, "data centre")
        site = _text(f["site"], at, "site")
        if kind_of.get(site) != "dc":
            raise at.error(f["site"], f"site {site!r} is not a site of kind dc",
                           "Name a site with kind: dc.")
        data_centres.append(DataCentre(name, site))

    agents: list[Agent] = []
    agent_nodes: dict[str, Node] = {}
    hashes: dict[str, Node] = {}
    for i, node in enumerate(items(top["agents"], where, "agents")):
        at = where.child(f"agents[{i}]")
        f = fields(node, at, _AGENT, required=("id", "site", "role"))
        agent_id = _ident(f["id"], at, "id", _ID)
        _unique(agent_nodes, agent_id, f["id"], at, "agent id")
        site = _text(f["site"], at, "site")
        if site not in kind_of:
            raise at.error(f["site"], f"site {site!r} is not in sites",
                           "Add the site or correct the agent's site.")
        digests = []
        for j, item in enumerate(items(f.get("token_sha256", NULL_NODE), at, "token_sha256")):
            digests.append(_digest(item, at, f"token_sha256[{j}]", hashes))
        expiring = []
        for j, item in enumerate(items(f.get("tokens", NULL_NODE), at, "tokens")):
            entry = fields(item, at.child(f"tokens[{j}]"), _TOKEN, required=("sha256",))
            digest = _digest(entry["sha256"], at, f"tokens[{j}].sha256", hashes)
            if "expires" in entry:
                expiring.append(AgentToken(digest, _expires(entry["expires"], at,
                                                            f"tokens[{j}].expires")))
            else:
                digests.append(digest)
        agents.append(Agent(agent_id, site, _ident(f["role"], at, "role", _ROLE),
                            tuple(digests), tuple(expiring)))

    devices = [_device(node, where.child(f"devices[{i}]"), kind_of, agent_nodes)
               for i, node in enumerate(items(top.get("devices", NULL_NODE), where, "devices"))]
    return Inventory(tuple(districts), tuple(sites), tuple(data_centres), tuple(agents),
                     tuple(devices))


def _device(node: Node, at: Where, kind_of: dict[str, str], names: dict[str, Node]) -> Device:
    """One polled device; ``names`` holds the agent ids and device names seen so far."""
    f = fields(node, at, _DEVICE, required=("name", "site", "role", "address", "modules"))
    name = _ident(f["name"], at, "name", _ID)
    _unique(names, name, f["name"], at, "agent id or device name")
    site = _text(f["site"], at, "site")
    if site not in kind_of:
        raise at.error(f["site"], f"site {site!r} is not in sites",
                       "Add the site or correct the device's site.")
    address = _text(f["address"], at, "address")
    try:
        Target.parse(address)
    except ExporterConfigError as exc:
        raise at.error(f["address"], f"address: {exc}",
                       "Write host, host:port or [v6]:port (UDP; port 161 by default).") \
            from None
    modules: list[str] = []
    for j, item in enumerate(items(f["modules"], at, "modules")):
        module = _text(item, at, f"modules[{j}]")
        if module in modules:
            raise at.error(item, f"module {module!r} is listed twice", "List it once.")
        modules.append(module)
    if not modules:
        raise at.error(f["modules"], "modules is empty",
                       "List the SNMP modules to walk, e.g. [system, if_mib].")
    interval = (duration(f["interval"], at, "interval") if "interval" in f
                else DEFAULT_DEVICE_INTERVAL)
    timeout = duration(f["timeout"], at, "timeout") if "timeout" in f else None
    if timeout is not None and timeout > interval:
        raise at.error(f["timeout"], f"timeout {timeout:g}s is longer than the interval "
                       f"({interval:g}s)", "Polls of one device never overlap: shorten the "
                       "timeout or lengthen the interval.")
    pollers: list[str] = []
    for j, item in enumerate(items(f.get("pollers", NULL_NODE), at, "pollers")):
        dc = choice(item, at, f"pollers[{j}]", DC_NAMES)
        if dc in pollers:
            raise at.error(item, f"data centre {dc!r} is listed twice", "List it once.")
        pollers.append(dc)
    if "pollers" in f and not pollers:
        raise at.error(f["pollers"], "pollers is empty", "Name the data centres whose "
                       "collectors poll the device, or leave pollers out for both.")
    return Device(
        name=name, site=site, role=_ident(f["role"], at, "role", _ROLE), address=address,
        modules=tuple(modules),
        auth=string(f["auth"], at, "auth") if "auth" in f else DEFAULT_DEVICE_AUTH,
        interval=interval, timeout=timeout,
        retries=integer(f["retries"], at, "retries", 0, 10) if "retries" in f else None,
        pollers=tuple(pollers) if pollers else DEFAULT_POLLERS)


def load_inventory(path: Path) -> Inventory:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the inventory ({exc}). Check the path and "
                          "its permissions.") from None
    return parse_inventory(text, str(path))
