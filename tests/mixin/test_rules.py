"""The rules in promtool: every file loads (``promtool check rules``), and the unit tests in
``tests/mixin/promtool/`` pass (``promtool test rules``), with a case for every alert where it
fires and one where it stays silent.

promtool compares annotations verbatim, so the unit tests run on the committed rules with
their annotations removed; what the annotations say is tested in ``test_build.py`` and their
rendering, with real labels, in ``test_system.py``.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from mixin.build import MIXIN_DIR, alerts
from mixin.generate.config import load_config
from tests.peers.promtool import promtool_path

pytestmark = pytest.mark.peers

CASES = Path(__file__).resolve().parent / "promtool"


def _promtool(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([promtool_path(), *args], capture_output=True, text=True,
                          timeout=120, check=False, cwd=cwd)


def test_promtool_checks_every_rule_file() -> None:
    files = sorted(str(p) for p in (MIXIN_DIR / "rules").glob("*.yml"))
    result = _promtool("check", "rules", *files)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("SUCCESS") == len(files)


def _without_annotations(source: Path, target: Path) -> None:
    doc = yaml.safe_load(source.read_text(encoding="utf-8"))
    for group in doc["groups"]:
        for rule in group["rules"]:
            rule.pop("annotations", None)
    target.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False),
                      encoding="utf-8")


def test_promtool_unit_tests_pass(tmp_path: Path) -> None:
    (tmp_path / "rules").mkdir()
    for rules in (MIXIN_DIR / "rules").glob("*.yml"):
        _without_annotations(rules, tmp_path / "rules" / rules.name)
    cases = sorted(CASES.glob("*.test.yml"))
    for case in cases:
        shutil.copy(case, tmp_path / case.name)
    result = _promtool("test", "rules", *(c.name for c in cases), cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("SUCCESS") == len(cases), result.stdout


def test_every_alert_has_a_firing_and_a_silent_case() -> None:
    fires: set[str] = set()
    silent: set[str] = set()
    for case in CASES.glob("*.test.yml"):
        doc = yaml.safe_load(case.read_text(encoding="utf-8"))
        for test in doc["tests"]:
            for check in test.get("alert_rule_test", []):
                (fires if check.get("exp_alerts") else silent).add(check["alertname"])
    names = {a.name for a in alerts(load_config())}
    assert names - fires == set(), "alerts without a case where they fire"
    assert names - silent == set(), "alerts without a case where they stay silent"
    # ... and every case whose alerts fire also has look-alike series that must not: the
    # firing cases above list exactly the expected alerts, so any extra one fails promtool.
