"""The token file: read once, refused when others can read it, never printed."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.errors import TokenFileError
from agent.token import read_token
from tests.agent.conftest import TOKEN


def token_at(tmp_path: Path, content: bytes, mode: int = 0o600) -> Path:
    path = tmp_path / "agent.token"
    path.write_bytes(content)
    path.chmod(mode)
    return path


@pytest.mark.parametrize("mode", [0o600, 0o400])
def test_private_token_is_read_without_its_newline(tmp_path: Path, mode: int) -> None:
    secret = read_token(token_at(tmp_path, f"  {TOKEN}\n".encode(), mode))
    assert secret.reveal() == TOKEN
    assert TOKEN not in repr(secret) and TOKEN not in f"{secret}"


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o644, 0o660, 0o610])
def test_token_open_to_group_or_others_is_refused(tmp_path: Path, mode: int) -> None:
    path = token_at(tmp_path, TOKEN.encode(), mode)
    with pytest.raises(TokenFileError) as info:
        read_token(path)
    message = str(info.value)
    assert f"mode {mode:04o}" in message
    assert f"chmod 600 {path}" in message
    assert TOKEN not in message


def test_symlink_is_judged_by_the_file_it_leads_to(tmp_path: Path) -> None:
    target = token_at(tmp_path, TOKEN.encode(), 0o600)
    link = tmp_path / "link.token"
    link.symlink_to(target)
    assert read_token(link).reveal() == TOKEN
    target.chmod(0o644)
    with pytest.raises(TokenFileError, match="mode 0644"):
        read_token(link)


@pytest.mark.parametrize(("content", "message"), [
    (b"", "empty"), (b"\n  \n", "empty"), (b"two words", "one line of printable ASCII"),
    (b"line1\nline2\n", "one line of printable ASCII"), ("tôken".encode(), "printable ASCII"),
    (b"x" * 5000, "larger than 4096 bytes"),
])
def test_malformed_tokens_are_refused(tmp_path: Path, content: bytes, message: str) -> None:
    with pytest.raises(TokenFileError, match=message):
        read_token(token_at(tmp_path, content))


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(TokenFileError, match="cannot open the token file"):
        read_token(tmp_path / "absent")
    directory = tmp_path / "dir"
    directory.mkdir(mode=0o700)
    with pytest.raises(TokenFileError):
        read_token(directory)

    # (An unreadable file takes the same OSError path; it cannot be made here, where the
    # tests run as root and root reads any file.)
