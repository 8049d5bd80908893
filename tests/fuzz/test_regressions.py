"""Inputs the fuzzers found, fixed, and kept: each test is one crash that was, with the error
that is raised now. The inputs are also in the corpus (``fuzz/corpus/*/regress-*``), so every
fuzzing pass starts from them.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from agent.config_load import parse_agent_config
from collector.config_load import parse_config
from collector.inventory_load import parse_inventory
from collector.traps.errors import MalformedMessage
from collector.traps.message import decode_message
from exporters.errors import ConfigError, SnmpProtocolError
from exporters.snmp import ber
from exporters.snmp.config_load import parse_snmp_config
from exporters.snmp.yaml_nodes import NULL_NODE, Where

pytestmark = pytest.mark.security

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO / "fuzz" / "corpus"


def test_an_empty_inventory_is_a_config_error_not_an_attribute_error() -> None:
    # Found by fuzz/config.py on its first (empty) input: Where.error read the position of
    # NULL_NODE, which has none.
    with pytest.raises(ConfigError, match=r"^inv\.yml: missing required key 'districts'\."):
        parse_inventory((CORPUS / "config" / "regress-empty-file.yml").read_text(), "inv.yml")
    assert str(Where("f.yml", ("a",)).error(NULL_NODE, "x", "y")) == "f.yml: a: x. y"


def test_a_v1_trap_with_a_specific_trap_of_2000_octets_is_malformed() -> None:
    # Was ValueError: the trap OID enterprise.0.<specific> could not be printed (4,800 digits).
    data = (CORPUS / "traps" / "regress-v1-huge-specific-trap.ber").read_bytes()
    with pytest.raises(MalformedMessage, match="the specific-trap of 2077 octets"):
        decode_message(data)


def test_a_trap_with_an_integer_value_of_2000_octets_is_malformed() -> None:
    # Was ValueError from the Alertmanager alert's description (str() of the value).
    data = (CORPUS / "traps" / "regress-v2c-huge-integer-value.ber").read_bytes()
    with pytest.raises(MalformedMessage, match="an INTEGER value of 2077 octets"):
        decode_message(data)


def test_the_widest_snmp_integers_still_decode() -> None:
    # net-snmp's own trap with Counter64 18446744073709551615 and Unsigned32 4294967295.
    data = (CORPUS / "traps" / "netsnmp-v2c-enterprise.ber").read_bytes()
    values = dict(decode_message(data).notification.values())
    assert values[(1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 6, 1)] == 2**64 - 1
    assert values[(1, 3, 6, 1, 4, 1, 2021, 11, 9, 0)] == 2**32 - 1


def test_an_answer_with_an_oid_arc_past_64_bits_is_a_protocol_error() -> None:
    # Was decoded into a 4,800-digit arc that no message could print (format_oid raised
    # ValueError while a walk reported it); a hostile device sent it for ever.
    data = (CORPUS / "snmp_response" / "regress-huge-oid-arc.ber").read_bytes()
    with pytest.raises(SnmpProtocolError, match="sub-identifier past 64 bits"):
        ber.decode_response(data)
    assert ber.decode_oid(b"\x2b\x81" + b"\xff" * 8 + b"\x7f") == (1, 3, 2**64 - 1)


def test_an_alias_bomb_is_refused_before_the_loader_walks_it() -> None:
    # 19 kB of aliases of aliases: 1,000 modules x 1,000 metrics x 1,000 lookups. Was a hang
    # and gigabytes of memory (0.5 s already at 40 x 40 x 40, from 959 bytes).
    text = (CORPUS / "snmp_yml" / "regress-alias-bomb.yml").read_text()
    start = time.monotonic()
    with pytest.raises(ConfigError, match=r"^bomb\.yml:\d+: excessive aliasing: .* more than "
                                          r"1000000 nodes\. Write the repeated parts out"):
        parse_snmp_config(text, "bomb.yml")
    assert time.monotonic() - start < 1.0
    # Aliases that do not multiply are still read, as yaml.v2 reads them.
    config = parse_snmp_config("modules:\n  a: &m {walk: [1.3.6.1.2.1.1]}\n  b: *m\n", "ok.yml")
    assert config.modules["b"].walk == ("1.3.6.1.2.1.1",)


def test_nesting_50000_deep_is_a_config_error_not_a_segmentation_fault() -> None:
    # libyaml's composer recursed in C until the process died (SIGSEGV at about 40,000 [).
    # In a subprocess: if this regresses, it kills that process, not the test run.
    path = CORPUS / "config" / "regress-deep-nesting.yml"
    code = ("import sys\nfrom collector.inventory_load import parse_inventory\n"
            "from exporters.errors import ConfigError\n"
            "try:\n    parse_inventory(open(sys.argv[1]).read(), 'deep.yml')\n"
            "except ConfigError as exc:\n    print(exc)\n")
    done = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True,
                          text=True, timeout=60, check=False, cwd=REPO)
    assert done.returncode == 0, done
    assert done.stdout == ("deep.yml:1: lists and mappings nest more than 100 deep. "
                           "Flatten the file.\n")


@pytest.mark.parametrize(("loader", "text", "message"), [
    ("agent", "agent_id: a\ntoken_file: t\ncollectors:\n  - url: 'https://10.20.0[.10:9750'\n",
     "a.yml:4: collectors[0]: collector url 'https://10.20.0[.10:9750' must be http:// or "
     "https://"),
    ("collector", "traps:\n  alertmanager:\n    url: http://[x/\n    traps: {}\n",
     "c.yml:3: traps, alertmanager: url: 'http://[x' is not an http(s) URL."),
    ("collector", "remote_write:\n  url: http://[x/\n",
     "c.yml:2: remote_write: url: 'http://[x/' is not an http(s) URL."),
    ("collector", "sharding:\n  self: a\n  members:\n    - {name: a, url: 'http://[x/'}\n",
     "c.yml:4: sharding, members[0]: url 'http://[x/' is not the member's base URL."),
])
def test_a_url_with_an_unclosed_bracket_is_a_config_error(loader: str, text: str,
                                                          message: str) -> None:
    # Was ValueError("Invalid IPv6 URL") from urlsplit, in four loaders: found by
    # fuzz/config.py in the example agent.yml with one "[" inserted.
    with pytest.raises(ConfigError) as caught:
        if loader == "agent":
            parse_agent_config(text, "a.yml", read_token_file=False)
        else:
            parse_config(text, "c.yml")
    assert str(caught.value).startswith(message)


def test_the_fuzzed_agent_yml_that_found_it_is_refused() -> None:
    text = (CORPUS / "config" / "regress-agent-collector-url-invalid-ipv6.yml").read_text()
    expected = re.escape("collector url 'https://10.20.0[.10:9750' must be")
    with pytest.raises(ConfigError, match=expected):
        parse_agent_config(text, "agent.yml", Path("/nonexistent"), read_token_file=False)
