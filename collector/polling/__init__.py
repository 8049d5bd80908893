"""The collector's own SNMP polling of the inventory's devices (those without an agent).

    config.py        the ``snmp:`` section of collector.yml (SnmpSettings, LookupCacheConfig)
    config_load.py   reading it, strictly
    resources.py     the one SNMP stack and the loaded module files (polling and /snmp)
    plan.py          which columns of a module are read every poll and which are kept (pure)
    cache.py         the kept columns of a device and when to read them again (pure)
    scrape.py        one module read with the cache: the Scrape given to the SNMP exporter
    columns.py       a module's walks split per column, for parallel walks (pure)
    schedule.py      phases spread over the interval, drift-free ticks
    target.py        one device: its exporter, its poll summaries and counters
    commit.py        a poll into the store, as a report would go
    poller.py        the tasks, the concurrency bound, following reloads
    metrics.py       netmon_target_* on /metrics

``/snmp`` itself is :mod:`collector.snmp_endpoint`. Import nothing here: ``collector.config``
imports ``collector.polling.config``.
"""
