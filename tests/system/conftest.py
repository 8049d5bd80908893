"""Fixtures the whole-system tests share with the collector's: an inventory with token files,
and a collector process on it."""

from tests.collector.process import collector_process, process_inventory  # noqa: F401
