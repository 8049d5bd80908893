"""collector.yml: defaults, strictness (file, line, key), scopes, limits, overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from collector.config import DEFAULT_SCOPES
from collector.config_load import ConfigSource, load_config, parse_config, parse_listen
from collector.errors import ConfigError
from netmon.wire import Limits


def test_empty_config_is_the_defaults() -> None:
    config = parse_config("", "collector.yml")
    assert (config.host, config.port, config.dc) == ("127.0.0.1", 9750, "primary")
    assert config.staleness_intervals == 3 and config.limits == Limits()
    assert [s.name for s in config.scopes] == ["wan", "dc-primary", "dc-backup"]
    assert config.scopes == DEFAULT_SCOPES


def test_every_key(tmp_path: Path) -> None:
    path = tmp_path / "collector.yml"
    path.write_text(
        "listen: '[::1]:9751'\nadvertise: collector-b.dc:9751\ninventory: inv/hanoi.yml\n"
        "dc: backup\nstaleness_intervals: 2.5\nlimits: {max_samples: 5000, max_ratio: 50}\n"
        "scopes:\n  - name: wan\n    matchers: {role: ward-router|ward-switch}\n"
        "  - name: dong-anh\n    matchers: {district: Huyện Đông Anh}\n", encoding="utf-8")
    config = load_config(path)
    assert (config.host, config.port, config.listen) == ("::1", 9751, "[::1]:9751")
    assert config.advertise == "collector-b.dc:9751"
    assert config.inventory == tmp_path / "inv" / "hanoi.yml"
    assert config.dc == "backup" and config.staleness_intervals == 2.5
    assert config.limits == Limits(max_samples=5000, max_ratio=50)
    assert [s.name for s in config.scopes] == ["wan", "dc-primary", "dc-backup", "dong-anh"]
    wan = config.scopes[0]
    assert wan.contains({"role": "ward-switch"}) and not wan.contains({"role": "ward-router2"})
    assert config.scopes[3].contains({"district": "Huyện Đông Anh"})


@pytest.mark.parametrize(("text", "message"), [
    ("listen: 1.2.3.4\n", "collector.yml:1: listen: '1.2.3.4' is not host:port"),
    ("staleness: 3\n",
     "collector.yml:1: unknown key 'staleness' (allowed: admission, advertise, dc,"),
    ("dc: tertiary\n", "collector.yml:1: dc 'tertiary' is not one of backup, primary"),
    ("limits:\n  max_sample: 3\n", "collector.yml:2: limits: unknown key 'max_sample'"),
    ("limits: {max_samples: 0}\n", "max_samples must be between 1 and"),
    ("staleness_intervals: 0.5\n", "staleness_intervals must be between 1 and 1000"),
    ("scopes:\n  - name: WAN\n", "collector.yml:2: scopes[0]: scope name 'WAN' is not"),
    ("scopes:\n  - name: x\n    matchers: {zone: a}\n",
     "collector.yml:3: scopes[0], x: a matcher on 'zone'"),
    ("scopes:\n  - name: x\n    matchers: {role: '('}\n", "is not a regular expression"),
    ("scopes:\n  - {name: x}\n  - {name: x}\n", "scope 'x' is defined twice"),
    ("listen: [1\n", "collector.yml:2:1: not valid YAML"),
])
def test_mistakes_name_file_line_and_key(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(text, "collector.yml")
    assert message in str(caught.value)


def test_listen_forms() -> None:
    assert parse_listen(":9750") == ("", 9750)
    assert parse_listen("0.0.0.0:80") == ("0.0.0.0", 80)
    for bad in ("9750", "host:99999", "[::1]9750", "a:b:9750"):
        with pytest.raises(ValueError, match="is not host:port"):
            parse_listen(bad)


def test_command_line_overrides_the_file(tmp_path: Path) -> None:
    path = tmp_path / "collector.yml"
    path.write_text("listen: 127.0.0.1:1\ninventory: a.yml\n", encoding="utf-8")
    config = ConfigSource(path, listen="127.0.0.2:2", inventory=Path("/b.yml")).load()
    assert (config.host, config.port, config.inventory) == ("127.0.0.2", 2, Path("/b.yml"))
    with pytest.raises(ConfigError, match="no inventory"):
        ConfigSource().load()
    with pytest.raises(ConfigError, match="cannot read the collector config"):
        ConfigSource(tmp_path / "missing.yml").load()
