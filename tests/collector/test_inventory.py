"""The inventory: Hanoi's generator, the strict loader, token files, the shipped example."""

from __future__ import annotations

import re
import stat
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

from collector.errors import ConfigError
from collector.inventory import hash_token
from collector.inventory_hanoi import build_hanoi, default_wards_path, parse_wards, read_wards, slug
from collector.inventory_load import load_inventory, parse_inventory
from collector.inventory_write import dump_inventory

EXAMPLE = Path(__file__).resolve().parents[2] / "collector" / "examples" / "hanoi-inventory.yml"
WARDS = parse_wards(read_wards(default_wards_path()))


def generate(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "collector", "inventory", "hanoi",
                           "--out", str(tmp_path / "inventory.yml"),
                           "--tokens-dir", str(tmp_path / "tokens"), *args],
                          capture_output=True, text=True, timeout=60, check=False)


def test_hanoi_has_526_real_and_53_generated_ward_sites(tmp_path: Path) -> None:
    proc = generate(tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "583 new, 0 reused" in proc.stderr
    text = (tmp_path / "inventory.yml").read_text(encoding="utf-8")
    inventory = load_inventory(tmp_path / "inventory.yml")
    wards = [s for s in inventory.sites if s.kind == "ward"]
    assert len(wards) == 579
    assert len([s for s in wards if not s.generated]) == 526
    generated = [s for s in wards if s.generated]
    assert len(generated) == 53
    assert generated[0].name == "Điểm mở rộng 527 (generated)"
    assert {s.district for s in generated} <= {d.code for d in inventory.districts}
    assert len({s.id for s in inventory.sites}) == len(inventory.sites) == 581
    assert len({a.id for a in inventory.agents}) == len(inventory.agents) == 583
    assert len(inventory.districts) == 30
    assert {dc.name for dc in inventory.data_centres} == {"primary", "backup"}
    # names with diacritics intact, as in the ward list (NFC)
    by_id = {s.id: s for s in inventory.sites}
    assert by_id["00001"].name == "Phường Phúc Xá"
    assert inventory.identities["hn-badinh-phucxa-r1"].district == "Quận Ba Đình"
    assert all(unicodedata.is_normalized("NFC", s.name) for s in inventory.sites)
    assert {w.ward for w in WARDS} <= {s.name for s in wards}
    # token files: one per agent, 0600, in a 0700 directory; only hashes in the inventory
    tokens = tmp_path / "tokens"
    assert stat.S_IMODE(tokens.stat().st_mode) == 0o700
    files = sorted(tokens.iterdir())
    assert len(files) == 583
    for path in files[:20]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        secret = path.read_text().strip()
        assert len(secret) == 43
        assert secret not in text
        agent = path.name.removesuffix(".token")
        assert inventory.agent_for_token(secret) == agent
    assert re.findall(r"token_sha256: \[\"([0-9a-f]{64})\"\]", text).__len__() == 583


def test_generating_again_reuses_the_tokens(tmp_path: Path) -> None:
    assert generate(tmp_path, "--sites", "30").returncode == 0
    first = (tmp_path / "inventory.yml").read_text(encoding="utf-8")
    proc = generate(tmp_path, "--sites", "30")
    assert "0 new, 34 reused" in proc.stderr
    assert (tmp_path / "inventory.yml").read_text(encoding="utf-8") == first


def test_a_small_fleet_spans_districts() -> None:
    inventory = build_hanoi(WARDS, lambda a: (), sites=12, dc_hosts=0)
    wards = [s for s in inventory.sites if s.kind == "ward"]
    assert len(wards) == 12 and len({s.district for s in wards}) == 12
    assert not any(s.generated for s in wards)


def test_slugs() -> None:
    assert slug("Quận Ba Đình") == "badinh"
    assert slug("Thị xã Sơn Tây") == "sontay"
    assert slug("Huyện Ứng Hòa") == "unghoa"


def test_the_shipped_example_is_what_the_generator_writes() -> None:
    example = EXAMPLE.read_text(encoding="utf-8")
    fresh = dump_inventory(build_hanoi(WARDS, lambda a: (hash_token(a),)))

    def mask(text: str) -> list[str]:
        return [re.sub(r"[0-9a-f]{64}", "<hash>", line) for line in text.splitlines()
                if not line.startswith("#")]

    assert mask(example) == mask(fresh)
    inventory = parse_inventory(example, str(EXAMPLE))
    assert len(inventory.agents) == 583


@pytest.mark.parametrize(("edit", "message"), [
    (lambda t: t.replace('{code: "001"', "{code: 001", 1),
     "inv.yml:4: districts[0]: code must be a string"),
    (lambda t: t.replace("kind: ward", "kind: ward, zone: 1", 1), "unknown key 'zone'"),
    (lambda t: t.replace('district: "001"', 'district: "999"', 1), "district '999' is not in"),
    (lambda t: t.replace('site: "00001"', 'site: "00002"', 1), "site '00002' is not in sites"),
    (lambda t: t.replace('{name: backup, site: "dc-backup"}', '{name: backup, site: "00001"}'),
     "site '00001' is not a site of kind dc"),
    (lambda t: t.replace("token_sha256: [", 'token_sha256: ["s3cr3t", ', 1),
     "token_sha256[0] is not 64 lowercase hex digits"),
    (lambda t: t + t[t.index("  - {id: \"hn-badinh-phucxa-r1\""):].splitlines()[0] + "\n",
     "agent id 'hn-badinh-phucxa-r1' appears twice"),
    (lambda t: t.replace("lat: 21.046798", "lat: 121.0", 1), "lat 121.0 is out of range"),
])
def test_loader_refuses_mistakes_with_line_and_key(edit: object, message: str) -> None:
    text = dump_inventory(build_hanoi(WARDS, lambda a: (hash_token(a),), sites=3,
                                      dc_hosts=1), "header line 1\nheader line 2")
    assert callable(edit)
    with pytest.raises(ConfigError) as caught:
        parse_inventory(edit(text), "inv.yml")
    assert message in str(caught.value)
    assert "s3cr3t" not in str(caught.value)


def test_a_token_hash_is_unique_across_agents() -> None:
    text = dump_inventory(build_hanoi(WARDS, lambda a: (hash_token("same"),), sites=2,
                                      dc_hosts=0))
    with pytest.raises(ConfigError, match=r"token hash .* appears twice"):
        parse_inventory(text, "inv.yml")


def test_check_prints_a_summary() -> None:
    proc = subprocess.run([sys.executable, "-m", "collector", "inventory", "check",
                           str(EXAMPLE)], capture_output=True, text=True, timeout=60,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    assert "30 districts; sites: 2 dc, 53 generated, 526 ward; 583 agents" in proc.stdout
