"""Rendezvous hashing: the same owners in every process, an even spread, and a member's
going and coming back moves only its own devices."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter

from collector.inventory_hanoi import default_wards_path, parse_wards, read_wards
from collector.sharding.rendezvous import assign, owner

MEMBERS = ("dc1-collector-a", "dc1-collector-b", "dc1-collector-c")


def ward_routers() -> list[str]:
    return [f"hn-{w.ward_code}-r1" for w in parse_wards(read_wards(default_wards_path()))]


def test_owners_are_the_same_in_another_process_with_another_hash_seed() -> None:
    keys = ward_routers()[:50]
    script = ("import json, sys; from collector.sharding.rendezvous import assign; "
              "print(json.dumps(dict(assign(json.loads(sys.argv[1]), json.loads(sys.argv[2])))))")
    out = subprocess.run([sys.executable, "-c", script, json.dumps(keys), json.dumps(MEMBERS)],
                         capture_output=True, text=True, check=True, timeout=60,
                         env={**os.environ, "PYTHONHASHSEED": "12345"}).stdout
    assert json.loads(out) == dict(assign(keys, MEMBERS))


def test_the_city_spreads_evenly_over_three_members() -> None:
    keys = ward_routers()
    assert len(keys) > 500
    counts = Counter(assign(keys, MEMBERS).values())
    assert set(counts) == set(MEMBERS)
    # a third each on average, within four binomial standard deviations (about 11 routers)
    mean, sd = len(keys) / 3, (len(keys) * (1 / 3) * (2 / 3)) ** 0.5
    assert all(abs(n - mean) < 4 * sd for n in counts.values()), counts


def test_a_member_that_goes_moves_only_its_devices_and_gets_them_back() -> None:
    keys = ward_routers()
    before = assign(keys, MEMBERS)
    survivors = ("dc1-collector-a", "dc1-collector-c")
    after = assign(keys, survivors)
    moved = {k for k in keys if before[k] != after[k]}
    assert moved == {k for k in keys if before[k] == "dc1-collector-b"}
    assert {after[k] for k in moved} == set(survivors)   # spread over both, not dumped on one
    assert dict(assign(keys, MEMBERS)) == dict(before)


def test_no_members_own_nothing() -> None:
    assert owner("hn-00001-r1", ()) is None
    assert assign(["hn-00001-r1"], ()) == {}
