"""Exceptions of the CLI exporter.

    ExporterError (exporters.errors)
    +-- ConfigError (exporters.errors)  a cli: section, mapping file or template is wrong
    +-- CliError                        anything that went wrong talking to one device
        +-- CliSessionError             no usable session: kinds unreachable, ssh, auth,
        |                               prompt, enable (counted once, with command="")
        +-- CliCommandError             one command failed: kinds timeout, invalid_command,
        |                               session (the SSH session broke), skipped
        +-- CliParseError               a template could not parse one command's output: parse

Every :class:`CliError` carries ``kind``, the ``kind`` label of
``netmon_cli_errors_total{device,command,kind}``. Messages are written by netmon, never copied
from the device or from netmiko: they hold neither credentials nor device output (a running
config holds secrets of its own).
"""

from __future__ import annotations

from prometheus_client import Metric

from exporters.errors import ExporterError

__all__ = ["KINDS", "CliCommandError", "CliError", "CliParseError", "CliSessionError"]

#: Every ``kind`` the exporter reports, and what it means.
KINDS = {
    "unreachable": "no TCP connection (refused, no route, or conn_timeout passed)",
    "ssh": "TCP connected but the SSH handshake failed (banner, key exchange, host key)",
    "auth": "the device refused the username and password or key",
    "prompt": "logged in, but no prompt netmiko recognises appeared within conn_timeout",
    "enable": "the device did not enter privileged mode (wrong or missing enable secret)",
    "session": "the SSH session broke while commands ran",
    "timeout": "a command's output did not end with the prompt within read_timeout",
    "invalid_command": "the device refused the command (IOS: % Invalid input detected ...)",
    "parse": "the template could not parse the output (TextFSM error or no rows)",
    "skipped": "not run: the session was given up after repeated failures this run",
}


class CliError(ExporterError):
    """Something went wrong talking to one device. ``kind`` is one of :data:`KINDS`."""

    def __init__(self, kind: str, message: str, families: list[Metric] | None = None) -> None:
        if kind not in KINDS:
            raise ValueError(f"unknown CLI error kind {kind!r}")
        super().__init__(message, families)
        self.kind = kind


class CliSessionError(CliError):
    """No usable session to the device (connect, login, prompt or enable failed)."""


class CliCommandError(CliError):
    """One command failed; the session may still serve the others."""


class CliParseError(CliError):
    """A command's output could not be parsed by its template."""
