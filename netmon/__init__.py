"""The ``netmon`` command: the front door to the agent, the collector and the exporters.

This package only parses command lines, sets up logging and hands over; the work lives in
``agent``, ``collector`` and ``exporters``, which this package imports lazily, per command,
so that the agent never loads the collector and the other way round.
"""
