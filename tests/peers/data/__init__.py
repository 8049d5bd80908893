"""Where the peers' own files live, for the tests."""

from pathlib import Path

PEER_DATA = Path(__file__).resolve().parent
SNMP_YML_021 = PEER_DATA / "snmp_exporter-0.21.0.snmp.yml"
SNMP_YML_030 = PEER_DATA / "snmp_exporter-0.30.snmp.yml"
