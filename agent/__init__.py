"""The netmon agent: runs exporters on a schedule and pushes their reports to every collector.

Layout, one concept per module:

    config.py        the typed, frozen AgentConfig (collectors, host, SNMP targets, shipping)
    config_load.py   agent.yml -> AgentConfig, strictly (file:line on every refusal)
    token.py         the token file: permissions checked, value kept in a Secret
    schedule.py      fixed phases and drift-free ticks; skipped ticks
    jobs.py          each configured exporter with its interval and run timeout
    report.py        a run -> netmon.wire report (the exporter's batch + the agent's batch)
    metrics.py       netmon_agent_* metrics
    outbox.py        per-collector queues of encoded reports (issue 4's spool slots in here)
    shipper.py       POST to one collector: acks, retries, backoff with jitter, drops
    runtime.py       Agent (run / once), run_agents (many agents, one session and stack)
    cli.py           `netmon agent` (add_arguments, run); __main__.py: `python -m agent`
    errors.py        the exception tree

Public surface: :class:`agent.config.AgentConfig` and its parts,
:func:`agent.config_load.load_agent_config`, :class:`agent.runtime.Agent`,
:func:`agent.runtime.run_agents`, :func:`agent.runtime.new_session`, and :mod:`agent.cli`.
Importing this package imports nothing else: the command line stays light until it runs.
``agent.example.yml`` is a commented example of ``agent.yml``.
"""
