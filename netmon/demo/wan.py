"""The demo's simulated WAN: one snmpsim data file per ward router.

Every ward router is the live ward router of ``data/ward-router-live.snmprec`` (the real vyatta
walk with growing counters) with its own ``sysName`` and ``sysLocation`` (the ward's
Vietnamese name) and its own traffic: each ward's counter rates are scaled by a factor drawn
from its code, so no two wards draw the same graph. One snmpsim process serves them all; the
SNMP community of a ward router is its file name, ``ward-<code>``.
"""

from __future__ import annotations

import re
import unicodedata
import zlib
from dataclasses import dataclass
from pathlib import Path

from netmon.demo.simulator import DATA_DIR

TEMPLATE = DATA_DIR / "ward-router-live.snmprec"
SYS_NAME = "1.3.6.1.2.1.1.5.0"
SYS_LOCATION = "1.3.6.1.2.1.1.6.0"
_RATE = re.compile(r"rate=(\d+)")


@dataclass(frozen=True)
class WardRouter:
    code: str            # the site id: the ward's official code ("00001"), or "gen-527"
    ward: str            # Vietnamese name, e.g. "Phường Phúc Xá"
    district: str        # Vietnamese name, e.g. "Quận Ba Đình"

    @property
    def community(self) -> str:
        return f"ward-{self.code}"

    @property
    def sys_name(self) -> str:
        return f"hn-{slug(self.district)}-{slug(self.ward)}-r1"


def slug(text: str) -> str:
    """``Phường Phúc Xá`` -> ``phuong-phuc-xa``: ASCII identifiers, never names."""
    ascii_text = unicodedata.normalize("NFD", text.replace("Đ", "D").replace("đ", "d"))
    ascii_text = ascii_text.encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def _hex(text: str) -> str:
    return text.encode("utf-8").hex()


def _ward_line(line: str, router: WardRouter, factor: float) -> str:
    oid = line.split("|", 1)[0]
    if oid == SYS_NAME:
        return f"{SYS_NAME}|4|{router.sys_name}"
    if oid == SYS_LOCATION:
        return f"{SYS_LOCATION}|4x|{_hex(f'{router.ward}, {router.district}, Hà Nội')}"
    if "numeric" in line and not oid.startswith("1.3.6.1.2.1.1.3"):
        def scaled(match: re.Match[str]) -> str:
            return f"rate={max(1, int(int(match[1]) * factor))}"
        return _RATE.sub(scaled, line)
    return line


def write_routers(routers: list[WardRouter], data_dir: Path) -> None:
    """One ``ward-<code>.snmprec`` per router in ``data_dir``."""
    template = TEMPLATE.read_text(encoding="utf-8").splitlines()
    data_dir.mkdir(parents=True, exist_ok=True)
    for router in routers:
        digest = zlib.crc32(router.code.encode())
        factor = 0.4 + (digest % 1000) / 625  # 0.4 .. 2.0, stable per ward
        lines = [_ward_line(line, router, factor) for line in template]
        (data_dir / f"{router.community}.snmprec").write_text("\n".join(lines) + "\n",
                                                                encoding="utf-8")
