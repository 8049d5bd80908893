"""SNMP exporter: snmp_exporter's module format, names and values, on pysnmp and asyncio.

Layout, by responsibility as in snmp_exporter:

    config.py          the typed, frozen model of auths and modules
    config_load.py     reading snmp_exporter's generated snmp.yml (both layouts), strictly
    config_metrics.py  the metrics of a module: indexes, lookups, regex_extracts
    yaml_nodes.py      strict reading of YAML nodes, with file:line in every message
    go_syntax.py       Go RE2 regexes -> Python re, Go durations
    ber.py             a small BER codec for SNMPv1/v2c GET/GETBULK (the fast path)
    transport.py       one shared UDP socket for every target, request ids, retries
    client.py          get/walk for one target: the fast path for v1/v2c, pysnmp for v3
    values.py          the decoded SNMP value types
    mapping.py         PDUs -> metric families, with snmp_exporter's exact semantics
    exporter.py        the Exporter for one target and its modules
    modules/           netmon's own module file
"""
