"""Where each ward is: ``netmon:ward:location{site, district, ward, latitude, longitude} 1``,
one recording rule per ward site, generated from the inventory.

netmon has no location series of its own yet (the inventory knows each site's coordinates,
the collector does not export them); until it does, these rules give the WAN map its
coordinates, joined on ``site``. Regenerate them when the inventory changes.
"""

from __future__ import annotations

from pathlib import Path

from collector.inventory import Inventory
from collector.inventory_hanoi import build_hanoi, default_wards_path, parse_wards, read_wards
from collector.inventory_load import load_inventory
from mixin.generate.config import Config
from mixin.generate.model import Group, Record

__all__ = ["location_group", "ward_inventory"]


def ward_inventory(config: Config) -> Inventory:
    """The configured inventory, or Hanoi's as ``netmon inventory hanoi`` generates it."""
    if config.dashboards.inventory:
        path = Path(config.dashboards.inventory)
        if not path.is_absolute():
            path = config.source.parent / path
        return load_inventory(path)
    rows = parse_wards(read_wards(default_wards_path()), "hanoi_wards.csv")
    return build_hanoi(rows, lambda agent: (), sites=config.dashboards.sites, dc_hosts=0)


def location_group(config: Config) -> Group:
    inventory = ward_inventory(config)
    districts = {d.code: d.name for d in inventory.districts}
    rules = [
        Record("netmon:ward:location", "vector(1)", {
            "site": site.id, "district": districts[site.district], "ward": site.name,
            "latitude": f"{site.lat:.6f}", "longitude": f"{site.lon:.6f}"})
        for site in inventory.sites
        if site.kind == "ward" and site.lat is not None and site.lon is not None]
    return Group("netmon-ward-locations", rules)
