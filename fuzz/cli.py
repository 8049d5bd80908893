"""Fuzz target (f): a device's answer to a ``show`` command, through netmon's shipped Cisco
IOS mapping (:func:`exporters.cli.run.evaluate`: refusal patterns, the TextFSM template of
every table of that command, the value maps and patterns, the config-change digest).

The first input byte chooses the command (of the mapping's commands); the rest, decoded as
netmiko decodes a session (UTF-8, undecodable bytes replaced), is its output.

Contract: nothing escapes: a command's failure becomes a :class:`exporters.cli.errors.CliError`
recorded in its result, and it costs that command only.
"""

from __future__ import annotations

import atheris  # type: ignore[import-untyped]

from fuzz._harness import PACKAGES, fuzz

with atheris.instrument_imports(include=PACKAGES):
    from exporters.cli.config_check import ConfigChangeTracker
    from exporters.cli.mapping_load import default_mapping_path, load_mapping
    from exporters.cli.run import evaluate
    from exporters.cli.session import CommandOutput, SessionRun

_PATH = default_mapping_path("cisco_ios")
assert _PATH is not None
MAPPING = load_mapping(_PATH)
COMMANDS = MAPPING.commands
TRACKER = ConfigChangeTracker("hn-badinh-phucxa-r1", clock=lambda: 1_795_779_005.0)


def TestOneInput(data: bytes) -> None:  # noqa: N802 (atheris calls it so)
    if not data:
        return
    command = COMMANDS[data[0] % len(COMMANDS)]
    output = data[1:].decode("utf-8", "replace")
    session = SessionRun((CommandOutput(command, output, None, 0.1),), None, True)
    run = evaluate("hn-badinh-phucxa-r1", MAPPING, session, TRACKER)
    assert len(run.commands) == 1, run


if __name__ == "__main__":
    fuzz(TestOneInput)
