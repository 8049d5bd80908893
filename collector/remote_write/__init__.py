"""Late samples to a long-term store, through Prometheus remote_write 1.0.

The push handler hands a report's late batches (or every batch, ``forward: all``) to
:meth:`forwarder.Forwarder.submit`, which encodes them (:mod:`.series`, :mod:`.protobuf`),
compresses them (snappy) and commits them to the spool (:mod:`.spool`, SQLite) before the
push is acknowledged; :meth:`forwarder.Forwarder.run`, a background loop started by
:func:`collector.loops.remote_write_ctx`, sends them oldest first (:mod:`.sender`) with
retries. Configuration: :mod:`.config` (``remote_write:`` in collector.yml, read by
:mod:`.config_load`); errors: :mod:`.errors`; the decisions: ``collector/README.md``, "Late
samples". Nothing is imported here, so loading the config never loads aiohttp.
"""
