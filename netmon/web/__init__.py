"""TLS, mutual TLS and basic auth for netmon's HTTP listeners and clients.

The server side reads exporter-toolkit's ``web-config.yml`` (the file node_exporter and
snmp_exporter read with ``--web.config.file``), so operators reuse what they have:

* :mod:`netmon.web.config`, :mod:`netmon.web.config_load`: the typed, frozen config and its
  strict loader (unknown keys refused with file:line, as exporter-toolkit refuses them);
* :mod:`netmon.web.ciphers`: Go's cipher-suite, curve and version names in OpenSSL's terms;
* :mod:`netmon.web.tls`: the listener's ``ssl.SSLContext``, re-built when the certificate, key
  or client CA files change (no restart);
* :mod:`netmon.web.basic_auth`: bcrypt users, checked off the event loop and cached;
* :mod:`netmon.web.identity`: a client certificate's SANs and the agent identity it carries;
* :mod:`netmon.web.middleware`: the aiohttp middleware (allowed SANs, basic auth, headers);
* :mod:`netmon.web.client`: the client side (the agent's ``collectors[].tls``), like
  Prometheus's ``tls_config``.
"""
