"""netmon's monitoring mixin: alerting and recording rules, Alertmanager routing and Grafana
dashboards for Hanoi's city WAN, generated from one configuration (``mixin/config.yml``) by
``python -m mixin.build``. See ``mixin/README.md``.
"""
