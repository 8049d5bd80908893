"""Credentials from files and environment variables, never from the command line.

A credential file is treated like an SSH private key (the rule the agent applies to its token
file): it is refused when the group or others have any permission on it (checked on the file
a symbolic link leads to, as Kubernetes mounts secrets), when it is not a regular file, when
it is empty or larger than :data:`MAX_SECRET_BYTES`. The first line is the value (a trailing
newline, as ``echo`` writes, is not part of it). The value goes into a
:class:`~exporters.secrets.Secret` at once; no message ever contains it, only the file's path
or the variable's name.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping

from exporters.errors import ConfigError
from exporters.secrets import Secret

__all__ = ["MAX_SECRET_BYTES", "check_private_file", "read_secret_file", "secret_from_env"]

MAX_SECRET_BYTES = 4096


def _check_mode(fd: int, path: str, what: str) -> None:
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        raise ConfigError(f"{path}: the {what} file is not a regular file.")
    mode = stat.S_IMODE(info.st_mode)
    if mode & 0o077:
        raise ConfigError(
            f"{path}: the {what} file is accessible by group or others (mode {mode:04o}); "
            f"anyone who reads it can log in to the device. Run: chmod 600 {path} (owned by "
            "the user netmon runs as).")


def _open(path: str, what: str) -> int:
    try:
        return os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot open the {what} file ({exc.strerror}). Check the "
                          "path and that netmon's user can read it.") from None


def check_private_file(path: str, what: str) -> None:
    """Check a file someone else reads (an SSH private key for paramiko): regular, 0600-ish."""
    fd = _open(path, what)
    try:
        _check_mode(fd, path, what)
    finally:
        os.close(fd)


def read_secret_file(path: str, what: str) -> Secret:
    """The first line of a private file (permissions checked first, so a too-open file is
    never read)."""
    fd = _open(path, what)
    try:
        _check_mode(fd, path, what)
        raw = os.read(fd, MAX_SECRET_BYTES + 1)
    finally:
        os.close(fd)
    if len(raw) > MAX_SECRET_BYTES:
        raise ConfigError(f"{path}: the {what} file is larger than {MAX_SECRET_BYTES} bytes; "
                          f"it should hold only the {what}.")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: the {what} file is not UTF-8 text.") from None
    value = text.split("\n", 1)[0].rstrip("\r")
    if not value:
        raise ConfigError(f"{path}: the {what} file is empty (or starts with an empty line). "
                          f"Write the {what} on its first line.")
    return Secret(value)


def secret_from_env(name: str, what: str, environ: Mapping[str, str]) -> Secret:
    """The value of environment variable ``name``; it must be set and non-empty."""
    value = environ.get(name, "")
    if not value:
        raise ConfigError(f"the environment variable {name} (the {what}) is not set or is "
                          "empty. Set it in the service's environment (e.g. a systemd "
                          "EnvironmentFile= with mode 0600), or use a file instead.")
    return Secret(value)
