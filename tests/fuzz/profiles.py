"""Hypothesis profiles of the property tests in this folder.

``ci`` (the default) bounds every property to 150 examples so the folder's properties run in
seconds; ``long`` is for a person hunting, 3,000 examples each, a few minutes in all:
``NETMON_FUZZ_PROFILE=long pytest tests/fuzz/test_properties.py --timeout 0``.
The profiles are applied per test (``@settings(parent=PROFILE)``), never loaded globally, so
they do not change the other property tests of the suite.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile("netmon-fuzz-ci", max_examples=150, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow,
                                                 HealthCheck.data_too_large])
settings.register_profile("netmon-fuzz-long", max_examples=3_000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow,
                                                 HealthCheck.data_too_large])
PROFILE = settings.get_profile(
    "netmon-fuzz-long" if os.environ.get("NETMON_FUZZ_PROFILE") == "long" else "netmon-fuzz-ci")
