"""``sharding:`` in collector.yml: read strictly, refused with file, line and a fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from collector.config_load import load_config
from collector.errors import ConfigError
from collector.sharding.config import Member

MEMBERS = """\
  members:
    - {name: a, url: http://127.0.0.1:9750}
    - {name: b, url: "http://127.0.0.1:9751/"}
"""


def load(tmp_path: Path, text: str):  # type: ignore[no-untyped-def]
    path = tmp_path / "collector.yml"
    path.write_text(text, encoding="utf-8")
    return load_config(path)


def test_a_sharding_section(tmp_path: Path) -> None:
    config = load(tmp_path, f"sharding:\n  self: b\n{MEMBERS}  interval: 500ms\n"
                            "  timeout: 0.25\n  fall: 2\n  rise: 1\n").sharding
    assert config.enabled and config.self_name == "b"
    assert config.members == (Member("a", "http://127.0.0.1:9750"),
                              Member("b", "http://127.0.0.1:9751"))
    assert config.others == (Member("a", "http://127.0.0.1:9750"),)
    assert (config.interval, config.timeout, config.fall, config.rise) == (0.5, 0.25, 2, 1)


def test_without_the_section_nothing_is_shared(tmp_path: Path) -> None:
    assert not load(tmp_path, "dc: primary\n").sharding.enabled


@pytest.mark.parametrize(("text", "message"), [
    (f"sharding:\n  self: c\n{MEMBERS}", ":2: sharding: self 'c' is not one of the members "
     "(a, b). Name this collector in self"),
    (f"sharding:\n{MEMBERS}", "self '' is not one of the members"),
    ("sharding:\n  self: a\n  members:\n    - {name: a, url: http://h:1}\n"
     "    - {name: a, url: http://h:2}\n", ":5: sharding: members[1] repeats 'a'"),
    ("sharding:\n  self: a\n  members:\n    - {name: a, url: http://h:1}\n"
     "    - {name: b, url: http://h:1}\n", "members[1] repeats 'a' (http://h:1)"),
    ("sharding:\n  self: a\n  members:\n    - {name: a, url: http://h:1}\n",
     "members lists one collector (a)"),
    ("sharding:\n  self: a\n  members:\n    - {name: a, url: h:1}\n"
     "    - {name: b, url: http://h:2}\n", "url 'h:1' is not the member's base URL"),
    ("sharding:\n  self: a\n  members:\n    - {name: a}\n", "a member needs url"),
    (f"sharding:\n  self: a\n{MEMBERS}  timeout: 3s\n", "timeout 3s is longer than interval 2s"),
    (f"sharding:\n  self: a\n{MEMBERS}  fall: 0\n", "fall must be between 1 and 100"),
    (f"sharding:\n  self: a\n{MEMBERS}  quorum: 2\n", "quorum"),
])
def test_mistakes_are_refused(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, text)
    assert message in str(caught.value)
    assert str(tmp_path / "collector.yml") in str(caught.value)


def test_tls_for_https_members_is_loaded_and_checked(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, f"sharding:\n  self: a\n{MEMBERS}  tls: {{ca_file: missing-ca.crt}}\n")
    assert f"{tmp_path / 'missing-ca.crt'}: no such file" in str(caught.value)
