"""Build Hanoi's inventory from the ward list (``collector/data/hanoi_wards.csv``).

Every real ward gets a site (its official code is the site id) and a ``ward-router`` agent.
Hanoi's WAN is sized at 579 sites and the file has 526 wards: the sites beyond the file are
*generated*, marked ``generated: true``, named ``Điểm mở rộng 527 (generated)`` and so on,
placed in the real districts in turn, at the district's centroid (the mean of its wards'
coordinates). A fleet smaller than the file takes wards from every district in turn, so a
small demo still spans districts. Both data centres get a site of kind ``dc`` and
``dc_hosts`` agents each (role ``dc-host``).

With :class:`PolledDevices`, some sites get a device that the collectors poll over SNMP
instead of an agent: ``wards`` ward routers (taken one district at a time, named as their agent
would be, so installing the agent later keeps the series) and ``dc_switches`` switches in each
data centre (``hn-dc-primary-sw1``, role ``dc-switch``). Their ``address`` comes from a template
(``{name}``, ``{site}``): the generator cannot know the WAN's addressing.

Agent ids are ASCII: ``hn-<district>-<ward>-r1`` from the slugs (``hn-badinh-phucxa-r1``);
``(district, ward slug)`` is unique in the file even though ward slugs alone are not.
Names keep their diacritics exactly as in the file (NFC).

:func:`parse_wards` is pure (tested on literal text); :func:`read_wards` does the I/O.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Final

from collector.errors import ConfigError
from collector.inventory import (
    DEFAULT_DEVICE_AUTH,
    DEFAULT_DEVICE_INTERVAL,
    Agent,
    DataCentre,
    Device,
    District,
    Inventory,
    Site,
)

__all__ = ["DEFAULT_SITES", "ROLE_MODULES", "PolledDevices", "WardRow", "build_hanoi",
           "default_wards_path", "parse_wards", "read_wards", "slug"]

DEFAULT_SITES: Final = 579
_COLUMNS: Final = ("district_code", "district", "district_type", "ward_code", "ward",
                   "ward_type", "ward_slug", "lat", "lon")
_DISTRICT_TYPES: Final = ("Thị xã ", "Quận ", "Huyện ", "Thành phố ")

#: The two data centres. The primary is 185 Giảng Võ (Đống Đa); where the backup stands is
#: not in the ward list: district 268 (Hà Đông) is a placeholder, correct it in the output.
DATA_CENTRES: Final = (
    ("primary", "dc-primary", "Trung tâm dữ liệu chính, 185 Giảng Võ", "006"),
    ("backup", "dc-backup", "Trung tâm dữ liệu dự phòng", "268"),
)


#: The SNMP modules (netmon's module file) a generated device is polled with, by role.
ROLE_MODULES: Final = {
    "ward-router": ("system", "if_mib", "hr_cpu", "hr_storage", "entity_sensor"),
    "dc-switch": ("system", "if_mib", "entity_sensor"),
}


@dataclass(frozen=True, slots=True)
class PolledDevices:
    """Which sites get a collector-polled device instead of an agent, and how to reach it."""

    wards: int = 0                               # ward routers without an agent
    dc_switches: int = 0                         # switches in each data centre
    address: str = "{name}.wan.hanoi.example"    # {name}: the device, {site}: its site id
    auth: str = DEFAULT_DEVICE_AUTH
    interval: float = DEFAULT_DEVICE_INTERVAL

    def device(self, name: str, site: str, role: str) -> Device:
        try:
            address = self.address.format(name=name, site=site)
        except (KeyError, IndexError, ValueError) as exc:
            raise ConfigError(f"--device-address {self.address!r}: {exc!r}; use the "
                              "placeholders {name} and {site}.") from None
        return Device(name, site, role, address, ROLE_MODULES[role], self.auth,
                      self.interval)


@dataclass(frozen=True, slots=True)
class WardRow:
    district_code: str
    district: str
    ward_code: str
    ward: str
    ward_slug: str
    lat: float
    lon: float


def default_wards_path() -> Path:
    return Path(str(resources.files("collector") / "data" / "hanoi_wards.csv"))


def read_wards(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the ward list ({exc}).") from None


def parse_wards(text: str, source: str = "hanoi_wards.csv") -> list[WardRow]:
    reader = csv.DictReader(io.StringIO(text))
    if tuple(reader.fieldnames or ()) != _COLUMNS:
        raise ConfigError(f"{source}:1: columns are {reader.fieldnames}, expected "
                          f"{list(_COLUMNS)}. Use the file shipped in collector/data.")
    rows = []
    for line, record in enumerate(reader, start=2):
        try:
            rows.append(WardRow(
                district_code=record["district_code"], district=record["district"],
                ward_code=record["ward_code"], ward=record["ward"],
                ward_slug=record["ward_slug"], lat=float(record["lat"]),
                lon=float(record["lon"])))
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"{source}:{line}: not a ward row ({exc}).") from None
    return rows


def slug(text: str) -> str:
    """ASCII identifier of a Vietnamese name: ``Quận Ba Đình`` -> ``badinh``."""
    for prefix in _DISTRICT_TYPES:
        if text.startswith(prefix):
            text = text[len(prefix):]
            break
    ascii_text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in ascii_text.lower() if c.isascii() and c.isalnum())


def _interleaved(wards: Sequence[WardRow], count: int) -> list[WardRow]:
    """``count`` wards taking one from each district in turn (file order within each)."""
    if count >= len(wards):
        return list(wards)
    queues: dict[str, list[WardRow]] = {}
    for ward in wards:
        queues.setdefault(ward.district_code, []).append(ward)
    chosen: list[WardRow] = []
    while len(chosen) < count:
        for queue in queues.values():
            if queue and len(chosen) < count:
                chosen.append(queue.pop(0))
    order = {w.ward_code: i for i, w in enumerate(wards)}
    return sorted(chosen, key=lambda w: order[w.ward_code])


def build_hanoi(wards: Sequence[WardRow], token_hashes: Callable[[str], tuple[str, ...]],
                sites: int = DEFAULT_SITES, dc_hosts: int = 2,
                polled: PolledDevices | None = None) -> Inventory:
    """The inventory; ``token_hashes(agent_id)`` gives each agent's token hashes."""
    polled = polled or PolledDevices()
    if sites < 1 or dc_hosts < 0 or polled.wards < 0 or polled.dc_switches < 0:
        raise ConfigError(f"--sites must be at least 1, --dc-hosts, --polled-wards and "
                          f"--dc-switches at least 0 (got {sites}, {dc_hosts}, {polled.wards} "
                          f"and {polled.dc_switches}).")
    districts: dict[str, District] = {}
    slugs: dict[str, str] = {}
    centroids: dict[str, list[tuple[float, float]]] = {}
    for ward in wards:
        districts.setdefault(ward.district_code, District(ward.district_code, ward.district))
        slugs[ward.district_code] = slug(ward.district)
        centroids.setdefault(ward.district_code, []).append((ward.lat, ward.lon))
    if len(set(slugs.values())) != len(slugs):
        raise ConfigError("two districts have the same ASCII slug; agent ids would clash.")

    site_list: list[Site] = []
    agents: list[Agent] = []
    devices: list[Device] = []

    def add_agent(agent_id: str, site: str, role: str) -> None:
        agents.append(Agent(agent_id, site, role, token_hashes(agent_id)))

    chosen = _interleaved(wards, sites)
    polled_codes = ({w.ward_code for w in _interleaved(chosen, polled.wards)}
                    if polled.wards else set())
    for ward in chosen:
        site_list.append(Site(ward.ward_code, ward.ward, ward.district_code, "ward",
                              ward.lat, ward.lon))
        name = f"hn-{slugs[ward.district_code]}-{ward.ward_slug}-r1"
        if ward.ward_code in polled_codes:
            devices.append(polled.device(name, ward.ward_code, "ward-router"))
        else:
            add_agent(name, ward.ward_code, "ward-router")
    codes = list(districts)
    for number in range(len(wards) + 1, sites + 1):
        district = codes[(number - len(wards) - 1) % len(codes)]
        points = centroids[district]
        site_list.append(Site(
            f"gen-{number}", f"Điểm mở rộng {number} (generated)", district, "ward",
            round(sum(p[0] for p in points) / len(points), 6),
            round(sum(p[1] for p in points) / len(points), 6), generated=True))
        add_agent(f"hn-{slugs[district]}-gen{number}-r1", f"gen-{number}", "ward-router")

    data_centres = []
    for dc, site_id, name, district in DATA_CENTRES:
        if district not in districts:
            raise ConfigError(f"the ward list has no district {district} for the {dc} DC.")
        site_list.append(Site(site_id, name, district, "dc"))
        data_centres.append(DataCentre(dc, site_id))
        for host in range(1, dc_hosts + 1):
            add_agent(f"hn-{site_id}-host{host}", site_id, "dc-host")
        for switch in range(1, polled.dc_switches + 1):
            devices.append(polled.device(f"hn-{site_id}-sw{switch}", site_id, "dc-switch"))
    return Inventory(tuple(districts.values()), tuple(site_list), tuple(data_centres),
                     tuple(agents), tuple(devices))
