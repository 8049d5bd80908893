"""Agent tokens on disk: one file per agent (``<agent id>.token``, mode 0600, in a 0700 dir).

A token is 32 random bytes, URL-safe base64 (43 characters). The inventory gets only its
SHA-256 (:func:`collector.inventory.hash_token`); the file is what ops deliver to the agent.
Generating an inventory again reuses the tokens already in the directory, so deployed agents
keep working; delete a file to issue a new token.
"""

from __future__ import annotations

import logging
import os
import secrets
import stat
from pathlib import Path

from collector.errors import ConfigError
from collector.inventory import hash_token

log = logging.getLogger(__name__)

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
            log.warning("token file readable by others, made 0600 file=%s mode=%o", path, mode)
            path.chmod(0o600)
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
