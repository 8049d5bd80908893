"""Agent tokens on disk: one file per agent (``<agent id>.token``, mode 0600, in a 0700 dir).

A token is 32 random bytes, URL-safe base64 (43 characters). The inventory gets only its
SHA-256 (:func:`collector.inventory.hash_token`); the file is what ops deliver to the agent.
Generating an inventory again reuses the tokens already in the directory, so deployed agents
keep working; delete a file to issue a new token, or rotate it without a gap with
``netmon inventory rotate-token`` (:meth:`TokenDir.replace` writes the new one).

A token file that the group or others may read is refused, never silently fixed: like
OpenSSH with a private key, netmon does not guess whether the file has already leaked. The
message names the file, its mode and the fix (``chmod 600 FILE``).
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

from collector.errors import ConfigError
from collector.inventory import hash_token

__all__ = ["TokenDir", "new_token"]


def new_token() -> str:
    return secrets.token_urlsafe(32)


class TokenDir:
    """Token files of one inventory; counts what it created and what it reused."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.created = 0
        self.reused = 0
        try:
            path.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(f"{path}: cannot create the tokens directory ({exc}).") from None

    def file(self, agent_id: str) -> Path:
        return self.path / f"{agent_id}.token"

    def replace(self, agent_id: str) -> str:
        """A new token for ``agent_id``, written over its file (atomically, 0600); returns
        its hash. The old token stays valid as long as the inventory lists its hash."""
        path = self.file(agent_id)
        temporary = path.with_name(f".{path.name}.new")
        temporary.unlink(missing_ok=True)
        token = new_token()
        try:
            self._write(temporary, token)
            os.replace(temporary, path)
        except OSError as exc:
            raise ConfigError(f"{path}: cannot write the new token ({exc.strerror}).") \
                from None
        return hash_token(token)

    def hashes(self, agent_id: str) -> tuple[str, ...]:
        """The hash of the agent's token, creating the token file when there is none."""
        path = self.file(agent_id)
        try:
            token = self._read(path)
        except FileNotFoundError:
            token = new_token()
            self._write(path, token)
            self.created += 1
        else:
            self.reused += 1
        return (hash_token(token),)

    @staticmethod
    def _read(path: Path) -> str:
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            raise ConfigError(
                f"{path}: the token file is accessible by group or others (mode {mode:04o}); "
                f"anyone who reads it can report as this agent. Run: chmod 600 {path} (and "
                "rotate the token if others may have read it: netmon inventory rotate-token).")
        token = path.read_text(encoding="utf-8").strip()
        if not token or any(c.isspace() for c in token):
            raise ConfigError(f"{path}: not a token file (one line, one token). Delete it to "
                              "issue a new token.")
        return token

    @staticmethod
    def _write(path: Path, token: str) -> None:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.fchmod(fd, 0o600)
            os.write(fd, f"{token}\n".encode())
        finally:
            os.close(fd)
