"""SNMP traps and informs received by the collector (v1, v2c, v3). See README.md.

The configuration is importable from here (``collector.config`` imports it, so this package
must not import the app's modules at import time); the app-level parts from their modules:

==================================  ==============================================================
``TrapsConfig``, ``parse_traps``    ``traps:`` of collector.yml, frozen, and its strict loader
``context.TRAPS``, ``traps_ctx``    the ``web.AppKey`` and the aiohttp cleanup context
``service.Traps``                   the receiver: ``.metrics`` to register, ``start``/``stop``
``store_edit.set_if_oper_status``   the store edit a linkDown/linkUp makes
==================================  ==============================================================

One concept per module: ``receiver`` (socket, queue, worker), ``tlv`` and ``message``
(v1/v2c BER), ``notification`` (the value, RFC 3584), ``usm`` (v3 through pysnmp),
``handler`` (what a trap does), ``sources`` (sender -> agent), ``names``, ``links``,
``metrics``, ``alerts`` and ``alertmanager`` (forwarding), ``engine_id``, ``log_limit``,
``errors``.
"""

from __future__ import annotations

from collector.traps.config import TrapsConfig
from collector.traps.config_load import parse_traps

__all__ = ["TrapsConfig", "parse_traps"]
