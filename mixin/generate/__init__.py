"""The generator behind ``python -m mixin.build``: one module per output (rules per group,
Alertmanager, each dashboard), all reading one :class:`~mixin.generate.config.Config`."""
