"""Reading the agent's token file: who the agent is, to every collector.

The token is the agent's only credential, so its file is treated like an SSH private key. It
is refused when the group or others have any permission on it (OpenSSH's rule; checked on the
file a symbolic link leads to, as Kubernetes mounts secrets), when it is not a regular file,
when it is empty, or when it holds anything but one line of printable ASCII (it goes into an
HTTP header). The value is wrapped in a :class:`~exporters.secrets.Secret` at once; no message
ever contains it.
"""

from __future__ import annotations

import os
import stat

from agent.errors import TokenFileError
from exporters.secrets import Secret

__all__ = ["MAX_TOKEN_BYTES", "parse_token", "read_token"]

MAX_TOKEN_BYTES = 4096


def parse_token(raw: bytes, source: str) -> Secret:
    """The token in a file's bytes: one line of printable ASCII, surrounding blanks ignored."""
    text = raw.strip()
    if not text:
        raise TokenFileError(f"{source}: the token file is empty. Write the agent's token "
                             "into it (one line).")
    if any(b < 0x21 or b > 0x7E for b in text):
        raise TokenFileError(f"{source}: the token must be one line of printable ASCII without "
                             "spaces. Write only the token into the file.")
    return Secret(text.decode("ascii"))


def read_token(path: str | os.PathLike[str]) -> Secret:
    """Read and check a token file (permissions first, so a too-open file is never read)."""
    source = os.fspath(path)
    try:
        fd = os.open(source, os.O_RDONLY | os.O_CLOEXEC)
    except OSError as exc:
        raise TokenFileError(f"{source}: cannot open the token file ({exc.strerror}). Check "
                             "token_file and that the agent's user can read it.") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise TokenFileError(f"{source}: the token file is not a regular file.")
        mode = stat.S_IMODE(info.st_mode)
        if mode & 0o077:
            raise TokenFileError(
                f"{source}: the token file is accessible by group or others (mode "
                f"{mode:04o}); anyone who reads it can report as this agent. Run: chmod 600 "
                f"{source} (owned by the user the agent runs as).")
        raw = os.read(fd, MAX_TOKEN_BYTES + 1)
    finally:
        os.close(fd)
    if len(raw) > MAX_TOKEN_BYTES:
        raise TokenFileError(f"{source}: the token file is larger than {MAX_TOKEN_BYTES} bytes; "
                             "it should hold only the token.")
    return parse_token(raw, source)
