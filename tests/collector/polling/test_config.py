"""The ``snmp:`` section of collector.yml: defaults, every key, strictness."""

from __future__ import annotations

from pathlib import Path

import pytest

from collector.config_load import load_config, parse_config
from collector.errors import ConfigError
from collector.polling.config import LookupCacheConfig, SnmpSettings


def test_without_the_section_netmon_s_own_modules_are_used() -> None:
    settings = parse_config("", "collector.yml").snmp
    assert settings == SnmpSettings()
    (path,) = settings.module_files()
    assert path.name == "netmon.yml" and path.is_file()


def test_every_key(tmp_path: Path) -> None:
    (tmp_path / "modules").mkdir()
    (tmp_path / "modules" / "auths.yml").write_text(
        "auths:\n  dc:\n    community: s3cret\n    version: 2\nmodules: {}\n", encoding="utf-8")
    (tmp_path / "modules" / "auths.yml").chmod(0o600)  # it holds a community
    path = tmp_path / "collector.yml"
    path.write_text(
        "snmp:\n  files: [modules/auths.yml]\n  concurrency: 8\n  jitter: 0.5\n"
        "  scrape_timeout: 10s\n  timeout_offset: 250ms\n"
        "  lookup_cache:\n    enabled: false\n    refresh: 1h\n    columns: [ifName]\n"
        "    uptime_oid: .1.3.6.1.2.1.1.3.0\n    watch_oids: []\n", encoding="utf-8")
    settings = load_config(path).snmp
    assert settings == SnmpSettings(
        files=(tmp_path / "modules" / "auths.yml",), concurrency=8, jitter=0.5,
        lookup_cache=LookupCacheConfig(False, 3600.0, ("ifName",), "1.3.6.1.2.1.1.3.0", ()),
        scrape_timeout=10.0, timeout_offset=0.25)


@pytest.mark.parametrize(("text", "message"), [
    ("snmp:\n  concurency: 8\n", "collector.yml:2: snmp: unknown key 'concurency'"),
    ("snmp:\n  concurrency: 0\n", "collector.yml:2: snmp: concurrency must be between 1"),
    ("snmp:\n  jitter: 2\n", "collector.yml:2: snmp: jitter must be between 0 and 1"),
    ("snmp:\n  files: [missing.yml]\n", "missing.yml: no such SNMP module file"),
    ("snmp:\n  files: []\n", "snmp: files is empty"),
    ("snmp:\n  lookup_cache: {refresh: soon}\n", "refresh 'soon' is not a duration"),
    ("snmp:\n  lookup_cache: {columns: [if-name]}\n", "columns[0] 'if-name' is not a metric"),
    ("snmp:\n  lookup_cache: {watch_oids: [ifTableLastChange]}\n",
     "watch_oids[0] 'ifTableLastChange' is not a numeric OID"),
])
def test_mistakes_are_refused_with_line_and_key(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as exc:
        parse_config(text, "collector.yml", Path("/nonexistent"))
    assert message in str(exc.value)


def test_a_broken_module_file_is_refused_with_its_own_line(tmp_path: Path) -> None:
    (tmp_path / "bad.yml").write_text("modules:\n  m:\n    walk: [1.3.6]\n    wakl: []\n",
                                      encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        parse_config("snmp:\n  files: [bad.yml]\n", "collector.yml", tmp_path)
    assert "collector.yml:2: snmp: files:" in str(exc.value)
    assert "bad.yml:4" in str(exc.value) and "wakl" in str(exc.value)
