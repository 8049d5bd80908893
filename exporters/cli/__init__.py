"""The CLI exporter: show commands over SSH (netmiko), parsed with TextFSM templates and mapped
to metrics by data, for what SNMP cannot see (IP SLA, BGP peers, optics, config changes).

The public surface, for the agent (or any process) to wire a ``cli:`` section in one call::

    config = load_cli_config(section, source="agent.yml", base=config_dir)
    pool = CliPool(config.workers)                 # one per process; pool.close() at exit
    exporters = build_cli_exporters(config, pool)  # one CliExporter per device

Where things live: :mod:`~exporters.cli.config` (typed config) and
:mod:`~exporters.cli.config_load` (reading it), :mod:`~exporters.cli.secret_files`
(credentials), :mod:`~exporters.cli.mapping` and :mod:`~exporters.cli.mapping_load` (what the
mapping files in ``mappings/`` say), :mod:`~exporters.cli.templates` (ntc-templates and
netmon's own in ``templates/``), :mod:`~exporters.cli.session` (netmiko, the only I/O),
:mod:`~exporters.cli.pool` (the bounded thread pool), :mod:`~exporters.cli.run` (one run of
one device), :mod:`~exporters.cli.map_rows` (rows to families, pure),
:mod:`~exporters.cli.config_check` (the running-config hash),
:mod:`~exporters.cli.self_metrics` (``netmon_cli_*`` health series),
:mod:`~exporters.cli.exporter` (the :class:`~exporters.contract.Exporter`), and
:mod:`~exporters.cli.errors` (the exception tree and error kinds).
"""

from exporters.cli.config import CliConfig, CliCredentials, CliDeviceConfig
from exporters.cli.config_load import load_cli_config
from exporters.cli.exporter import CliExporter
from exporters.cli.pool import CliPool

__all__ = ["CliConfig", "CliCredentials", "CliDeviceConfig", "CliExporter", "CliPool",
           "build_cli_exporters", "load_cli_config"]


def build_cli_exporters(config: CliConfig, pool: CliPool) -> list[CliExporter]:
    """One exporter per configured device, all sharing ``pool`` and ``config.state_dir``."""
    return [CliExporter(device, pool, state_dir=config.state_dir) for device in config.devices]
