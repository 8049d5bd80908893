"""Several collectors of one data centre share the polled devices.

* :mod:`.config` — the ``sharding:`` section: this collector's name, the members (a static
  list), how often and how patiently they are checked.
* :mod:`.rendezvous` — which member owns a device: rendezvous (highest random weight)
  hashing over the members that are alive, so a member that stops moves only its own devices,
  spread over the survivors, and they come back to it when it returns.
* :mod:`.membership` — the health checks (each member's ``/-/ready``) with HAProxy's
  ``fall``/``rise`` hysteresis, and the view :class:`~collector.polling.poller.Poller`,
  ``/sd`` and ``netmon_agent_up`` follow.
* :mod:`.metrics` — who is alive and who polls what, on ``/metrics``.

No consensus: each member decides from its own checks. Two members that cannot reach each
other but can reach the devices both poll the devices they disagree on (a device polled twice
is better than one polled by no one); in steady state, with every member seeing the same
members alive, each device is polled by exactly one.
"""
