"""The SSH edge: log in to a device with netmiko and run show commands. Blocking: runs in
a :class:`~exporters.cli.pool.CliPool` thread, never on the event loop.

Decision on session reuse: one session per run. A run connects, logs in, enters ``enable``,
runs each of its commands once, and disconnects. Keeping sessions open across runs would save
about half a second per device and interval, but would hold one of a ward router's few vty
lines (five by default) all the time, against the engineers who need one during an incident,
and would need liveness checks against exec-timeouts and reloads. Within a run the session is
trusted until a command times out: its output may still arrive and would be taken for the
next command's, so the session is closed and the remaining commands run on a fresh one (one
reconnect per run; after a second failure the rest are *skipped*).

Timeouts: ``conn_timeout`` bounds the TCP connect, the SSH banner and authentication, and,
through netmiko's ``read_timeout_override``, each read of the login (first prompt, terminal
settings, ``enable``); it is lifted before the commands, which each get ``read_timeout``.

netmiko's exceptions become :class:`~exporters.cli.errors.CliError` with a precise ``kind``
(see :data:`~exporters.cli.errors.KINDS`) and a message of netmon's own: no credential and no
device output. netmiko itself filters the password and secret out of its debug log.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from exporters.cli.config import CliDeviceConfig
from exporters.cli.errors import CliCommandError, CliError, CliSessionError

__all__ = ["CommandOutput", "Connection", "Connector", "NetmikoConnection", "SessionRun",
           "netmiko_connect", "read_outputs"]

log = logging.getLogger(__name__)


class Connection(Protocol):
    """A logged-in session (netmiko's, or a test's)."""

    def send_command(self, command: str, read_timeout: float) -> str:
        """The command's output; raises :class:`CliCommandError`."""
        ...

    def close(self) -> None:
        ...


#: Opens a session to a device; raises :class:`CliSessionError`.
Connector = Callable[[CliDeviceConfig], Connection]


@dataclass(frozen=True, slots=True)
class CommandOutput:
    """One command's output, or why there is none."""

    command: str
    output: str | None
    error: CliError | None = None
    duration: float = 0.0


@dataclass(frozen=True, slots=True)
class SessionRun:
    """Every command's outcome, and the login failure that stopped the run, if any."""

    outputs: tuple[CommandOutput, ...]
    session_error: CliSessionError | None = None
    connected: bool = False


def read_outputs(device: CliDeviceConfig, commands: Sequence[str],
                 connect: Connector) -> SessionRun:
    """Run ``commands`` on ``device`` (see the module docstring for sessions and retries)."""
    outputs: list[CommandOutput] = []
    session: Connection | None = None
    connected = False
    reconnects = 1
    try:
        for index, command in enumerate(commands):
            if session is None:
                try:
                    session = connect(device)
                except CliSessionError as exc:
                    outputs += [CommandOutput(c, None, exc) for c in commands[index:]]
                    return SessionRun(tuple(outputs), exc, connected)
                connected = True
            start = time.monotonic()
            try:
                text = session.send_command(command, device.read_timeout)
            except CliCommandError as exc:
                outputs.append(CommandOutput(command, None, exc, time.monotonic() - start))
                _close(session, device)
                session = None
                if reconnects == 0:
                    outputs += [CommandOutput(c, None, CliCommandError(
                        "skipped", f"device={device.name} command={c!r}: not run, the session "
                        "failed twice in this run")) for c in commands[index + 1:]]
                    break
                reconnects -= 1
                continue
            outputs.append(CommandOutput(command, text, None, time.monotonic() - start))
    finally:
        if session is not None:
            _close(session, device)
    return SessionRun(tuple(outputs), None, connected)


def _close(session: Connection, device: CliDeviceConfig) -> None:
    try:
        session.close()
    except CliError as exc:
        log.debug("closing the session failed device=%s kind=%s", device.name, exc.kind)


class NetmikoConnection:
    """A netmiko session behind the :class:`Connection` protocol."""

    def __init__(self, conn: Any, device: str, close_timeout: float) -> None:
        self._conn = conn
        self._device = device
        self._close_timeout = close_timeout

    def send_command(self, command: str, read_timeout: float) -> str:
        from netmiko.exceptions import NetmikoBaseException, ReadTimeout
        from paramiko.ssh_exception import SSHException

        try:
            output = self._conn.send_command(command, read_timeout=read_timeout,
                                             strip_prompt=True, strip_command=True)
        except ReadTimeout:
            raise CliCommandError("timeout", f"device={self._device} command={command!r}: the "
                                  f"prompt did not come back within {read_timeout:g}s (slow "
                                  "device, or an unexpected prompt such as --More--)") from None
        except (NetmikoBaseException, SSHException, OSError, EOFError) as exc:
            raise CliCommandError("session", f"device={self._device} command={command!r}: the "
                                  f"session broke ({type(exc).__name__})") from None
        return str(output)

    def close(self) -> None:
        from paramiko.ssh_exception import SSHException

        # netmiko's goodbye waits for a prompt (10 s by default); after a timed-out command
        # there may be none, so it gets conn_timeout, like the login.
        self._conn.read_timeout_override = self._close_timeout
        try:
            self._conn.disconnect()
        except (SSHException, OSError, EOFError) as exc:
            raise CliCommandError("session", f"device={self._device}: disconnect failed "
                                  f"({type(exc).__name__})") from None


def _connect_params(device: CliDeviceConfig) -> dict[str, Any]:
    creds = device.credentials
    strict = bool(device.known_hosts)
    return {
        "device_type": device.platform, "host": device.host, "port": device.port,
        "username": creds.username,
        "password": creds.password.reveal() if creds.password else "",
        "secret": creds.enable_secret.reveal() if creds.enable_secret else "",
        "key_file": creds.key_file or None, "use_keys": bool(creds.key_file),
        "allow_agent": False,
        "conn_timeout": device.conn_timeout, "auth_timeout": device.conn_timeout,
        "banner_timeout": device.conn_timeout, "blocking_timeout": device.read_timeout,
        "read_timeout_override": device.conn_timeout,
        "ssh_strict": strict, "system_host_keys": False, "alt_host_keys": strict,
        "alt_key_file": device.known_hosts, "session_log": None, "fast_cli": True,
    }


def netmiko_connect(device: CliDeviceConfig) -> NetmikoConnection:
    """Log in with netmiko (and ``enable``); raises :class:`CliSessionError`."""
    from netmiko import ConnectHandler
    from netmiko.exceptions import (
        NetmikoAuthenticationException,
        NetmikoBaseException,
        NetmikoTimeoutException,
        ReadTimeout,
    )
    from paramiko.ssh_exception import SSHException

    where = f"device={device.name} host={device.host}:{device.port}"
    try:
        conn = ConnectHandler(**_connect_params(device))
    except NetmikoAuthenticationException:
        raise CliSessionError("auth", f"{where}: authentication failed for user "
                              f"{device.credentials.username!r}") from None
    except NetmikoTimeoutException as exc:
        # netmiko wraps both a failed TCP connect and any SSH failure (banner, key exchange,
        # host key) in NetmikoTimeoutException; the exception it wraps tells them apart.
        cause = exc.__context__
        if isinstance(cause, SSHException):
            reason = str(cause).splitlines()[0][:200] if str(cause) else ""
            raise CliSessionError("ssh", f"{where}: SSH handshake failed "
                                  f"({type(cause).__name__}: {reason})") from None
        raise CliSessionError("unreachable", f"{where}: no TCP connection within "
                              f"{device.conn_timeout:g}s") from None
    except ReadTimeout:
        raise CliSessionError("prompt", f"{where}: logged in, but no prompt netmiko knows for "
                              f"{device.platform} came (each read waited conn_timeout "
                              f"{device.conn_timeout:g}s)") from None
    except (ValueError, NetmikoBaseException) as exc:  # "Router prompt not found", ...
        raise CliSessionError("prompt", f"{where}: logged in, but the prompt is not one of "
                              f"{device.platform} ({type(exc).__name__})") from None
    except (SSHException, EOFError) as exc:
        raise CliSessionError("ssh", f"{where}: SSH handshake failed "
                              f"({type(exc).__name__})") from None
    except OSError as exc:
        raise CliSessionError("unreachable", f"{where}: {exc.strerror or type(exc).__name__}"
                              ) from None
    session = NetmikoConnection(conn, device.name, device.conn_timeout)
    try:
        if device.enable:
            conn.enable()
    except (ValueError, NetmikoBaseException):
        with contextlib.suppress(CliError):
            session.close()
        raise CliSessionError("enable", f"{where}: the device did not enter privileged mode "
                              "(check the enable secret, or set enable: false)") from None
    except (SSHException, OSError, EOFError) as exc:
        with contextlib.suppress(CliError):
            session.close()
        raise CliSessionError("ssh", f"{where}: the session broke during enable "
                              f"({type(exc).__name__})") from None
    conn.read_timeout_override = None  # the commands' own read_timeout from here on
    return session
