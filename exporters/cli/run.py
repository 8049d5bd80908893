"""One run of one device: read every command's output (I/O), then parse and map it (pure,
apart from the config-check state). Blocking: the exporter runs :func:`run_device` in the
CLI pool, parsing included, since TextFSM on a large ``show interfaces`` takes milliseconds
the event loop should not spend.

A command's failure costs only that command: another command, and another table parsing the
same output, are unaffected. A refusal (``% Invalid input detected``) is recognised by the
mapping's ``error_patterns`` before any template sees the output.
"""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import Metric

from exporters.cli.config import CliDeviceConfig
from exporters.cli.config_check import ConfigChangeTracker, config_digest, config_families
from exporters.cli.errors import CliCommandError, CliError, CliParseError, CliSessionError
from exporters.cli.map_rows import map_rows
from exporters.cli.mapping import PlatformMapping
from exporters.cli.session import CommandOutput, Connector, SessionRun, read_outputs

__all__ = ["CommandResult", "DeviceRun", "evaluate", "run_device"]


@dataclass(frozen=True, slots=True)
class CommandResult:
    """What became of one command this run."""

    command: str
    success: bool
    duration: float | None               # None: the command was not run
    errors: tuple[CliError, ...] = ()    # its own failures (a login failure is not one)
    unparsable: int = 0


@dataclass(frozen=True, slots=True)
class DeviceRun:
    """A device's mapped families and what happened to each command."""

    families: list[Metric]
    commands: tuple[CommandResult, ...]
    session_error: CliSessionError | None = None
    connected: bool = False


def run_device(device: CliDeviceConfig, connect: Connector,
               tracker: ConfigChangeTracker | None) -> DeviceRun:
    """Run the device's selected checks (blocking)."""
    mapping = device.selected
    session = read_outputs(device, mapping.commands, connect)
    return evaluate(device.name, mapping, session, tracker)


def evaluate(device: str, mapping: PlatformMapping, session: SessionRun,
             tracker: ConfigChangeTracker | None) -> DeviceRun:
    """Parse and map a session's outputs."""
    families: list[Metric] = []
    results = []
    for out in session.outputs:
        result, mapped = _command(device, mapping, out, tracker)
        results.append(result)
        families += mapped
    return DeviceRun(families, tuple(results), session.session_error, session.connected)


def _command(device: str, mapping: PlatformMapping, out: CommandOutput,
             tracker: ConfigChangeTracker | None) -> tuple[CommandResult, list[Metric]]:
    if out.output is None:
        own = () if isinstance(out.error, CliSessionError) or out.error is None else (
            out.error,)
        return CommandResult(out.command, False, out.duration if own else None, own), []
    if mapping.refused(out.output):
        error = CliCommandError("invalid_command", f"device={device} command={out.command!r}: "
                                "the device refused the command")
        return CommandResult(out.command, False, out.duration, (error,)), []
    families: list[Metric] = []
    errors: list[CliError] = []
    unparsable = 0
    for table in mapping.tables:
        if table.command != out.command:
            continue
        try:
            rows = table.template.parse(out.output)
        except CliParseError as exc:
            errors.append(CliParseError("parse", f"device={device} command={out.command!r} "
                                        f"table={table.name}: {exc}"))
            continue
        if table.require_rows and not rows and out.output.strip():
            errors.append(CliParseError("parse", f"device={device} command={out.command!r} "
                                        f"table={table.name}: template {table.template.ref} "
                                        "found no row in the output"))
            continue
        mapped = map_rows(table, rows, device)
        families += mapped.families
        unparsable += mapped.unparsable
    check = mapping.config_check
    if check is not None and check.command == out.command and tracker is not None:
        state = tracker.observe(config_digest(out.output, check.ignore_lines))
        families += config_families(device, state)
    result = CommandResult(out.command, not errors, out.duration, tuple(errors), unparsable)
    return result, families
