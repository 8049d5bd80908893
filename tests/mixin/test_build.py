"""The generator: the committed files are what it writes, its config is strict, and every alert
carries what an engineer on duty needs (for:, severity, layer, Vietnamese summary and
description naming the district and ward, what to check first)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from collector.inventory_hanoi import default_wards_path, parse_wards, read_wards
from mixin.build import MIXIN_DIR, alerts, check, main, render, rule_files
from mixin.generate.config import DEFAULT_PATH, load_config
from mixin.generate.errors import MixinConfigError
from mixin.generate.model import LAYERS

CONFIG = load_config()


def test_committed_files_are_the_generators_output() -> None:
    files = render(CONFIG)
    assert check(files, MIXIN_DIR) == [], "run: python -m mixin.build"
    on_disk = {str(p.relative_to(MIXIN_DIR)) for sub in ("rules", "alertmanager", "dashboards")
               for p in (MIXIN_DIR / sub).rglob("*") if p.is_file()}
    assert on_disk == set(files), "files in mixin/ that the generator does not write"


def test_check_reports_a_stale_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--out", str(tmp_path)]) == 0
    assert main(["--out", str(tmp_path), "--check"]) == 0
    rules = tmp_path / "rules" / "netmon-wan.rules.yml"
    rules.write_text(rules.read_text(encoding="utf-8") + "# edited by hand\n", encoding="utf-8")
    assert main(["--out", str(tmp_path), "--check"]) == 1
    assert "netmon-wan.rules.yml is out of date" in capsys.readouterr().err


def test_overrides_change_one_duration(tmp_path: Path) -> None:
    config = load_config(overrides={"for": {"WardUplinkDown": "5s"}})
    rules = yaml.safe_load(render(config)["rules/netmon-wan.rules.yml"])
    durations = {r["for"] for g in rules["groups"] for r in g["rules"]
                 if r.get("alert") == "WardUplinkDown"}
    assert durations == {"5s"}


@pytest.mark.parametrize(("overrides", "message"), [
    ({"thresholds": {"flap_changez": 4}}, "thresholds.flap_changez: unknown key"),
    ({"windows": {"rate": "5 minutes"}}, "windows.rate: expected a Prometheus duration"),
    ({"for": {"WardUplinkDown": "soon"}}, "for.WardUplinkDown: expected a Prometheus duration"),
    ({"thresholds": {"flap_changes": "four"}}, "thresholds.flap_changes: expected a number"),
    ({"selectors": {"ward_router": 1}}, "selectors.ward_router: expected a string"),
    ({"alertmanager": {"teams": [{"name": "a", "districts": ["Quận Ba Đình"]},
                                 {"name": "b", "districts": ["Quận Ba Đình"]}]}},
     "Quận Ba Đình belongs to both a and b"),
    ({"colour": "red"}, "colour: unknown key"),
])
def test_config_errors_name_the_key(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(MixinConfigError, match=message):
        load_config(overrides=overrides)


def test_a_missing_key_is_named(tmp_path: Path) -> None:
    data = yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))
    del data["thresholds"]["loss_ratio"]
    path = tmp_path / "config.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(MixinConfigError, match=r"thresholds\.loss_ratio: missing"):
        load_config(path)


def test_every_duration_names_an_alert_and_every_alert_has_one() -> None:
    assert {a.name for a in alerts(CONFIG)} == set(CONFIG.for_)
    with pytest.raises(SystemExit):  # argparse's own exit for a usage error
        main(["--bogus"])
    assert main(["--set-json", '{"for": {"NoSuchAlert": "1m"}}', "--check"]) == 2


def _all_alert_rules() -> list[dict[str, object]]:
    out = []
    for name in rule_files(CONFIG):
        doc = yaml.safe_load((MIXIN_DIR / "rules" / name).read_text(encoding="utf-8"))
        out += [r for g in doc["groups"] for r in g["rules"] if "alert" in r]
    return out


def test_every_alert_says_what_when_where_and_what_to_check_first() -> None:
    rules = _all_alert_rules()
    assert len({r["alert"] for r in rules}) == 37
    for rule in rules:
        name = rule["alert"]
        labels = rule["labels"]
        annotations = rule["annotations"]
        assert isinstance(labels, dict) and isinstance(annotations, dict)
        assert rule.get("for"), name
        assert labels["severity"] in ("critical", "warning"), name
        assert labels["layer"] in LAYERS, name
        summary, description = annotations["summary"], annotations["description"]
        assert "Kiểm tra trước: " in description and "(Check first: " in description, name
        assert annotations["runbook_url"].endswith(f"/{name}"), name
        text = f"{summary}\n{description}"
        if labels["layer"].startswith("ward-") or labels["layer"] == "agent":
            # A ward's alert names its ward and district, in the summary already.
            assert "{{ $labels.ward }}" in summary and "{{ $labels.district }}" in summary, name
        elif labels["layer"] == "district":
            assert "{{ $labels.district }}" in summary, name
        elif labels["layer"] == "dc-host":
            assert "{{ $labels.dc }}" in summary and "{{ $labels.district }}" in summary, name
        else:
            assert "{{ $labels.collector }}" in text, name


def test_every_district_belongs_to_exactly_one_team() -> None:
    rows = parse_wards(read_wards(default_wards_path()), "hanoi_wards.csv")
    districts = {row.district for row in rows}
    owned = [d for team in CONFIG.alertmanager.teams for d in team.districts]
    assert sorted(owned) == sorted(districts)


def test_dashboards_use_the_datasource_variable_everywhere() -> None:
    for path in sorted((MIXIN_DIR / "dashboards").glob("*.json")):
        board = json.loads(path.read_text(encoding="utf-8"))
        names = [v["name"] for v in board["templating"]["list"]]
        assert names[0] == "datasource", path.name
        ids = [p["id"] for p in board["panels"]]
        assert len(ids) == len(set(ids)), path.name
        for panel in board["panels"]:
            assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
            for target in panel["targets"]:
                assert target["datasource"]["uid"] == "${datasource}"
                assert target["expr"].strip(), (path.name, panel["title"])
        for variable in board["templating"]["list"][1:]:
            assert variable["datasource"]["uid"] == "${datasource}"
    uids = {json.loads(p.read_text(encoding="utf-8"))["uid"]
            for p in (MIXIN_DIR / "dashboards").glob("*.json")}
    assert len(uids) == 4
