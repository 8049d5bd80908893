"""The netmon collector: authenticates agents, stores their reports, serves Prometheus.

Public surface (import from the modules; this package imports nothing, so ``netmon inventory``
and ``--check-config`` never load aiohttp):

* :func:`collector.app.create_app` ``(config, source=None, clock=None) -> web.Application``,
  run it with :data:`collector.server.RUNNER_OPTIONS` (or :func:`collector.server.serve`);
* :func:`collector.config_load.load_config` / :func:`~collector.config_load.parse_config`,
  :class:`collector.config_load.ConfigSource` (file + command-line overrides, for reloads),
  :class:`collector.config.CollectorConfig`;
* :func:`collector.inventory_load.load_inventory` / ``parse_inventory``,
  :class:`collector.inventory.Inventory`, :func:`collector.inventory.hash_token`,
  :func:`collector.inventory_hanoi.build_hanoi`, :func:`collector.inventory_write.dump_inventory`;
* the command lines: :mod:`collector.cli` (``netmon collector``) and
  :mod:`collector.inventory_cli` (``netmon inventory``), each ``add_arguments(parser)`` and
  ``run(args) -> int``.

Errors: :mod:`collector.errors`. HTTP behaviour: ``collector/README.md``.
"""
