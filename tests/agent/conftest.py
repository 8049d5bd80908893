"""Fixtures of the agent's tests: a stand-in collector on loopback and a token file."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from exporters.secrets import Secret
from tests.agent.receiver import Receiver

TOKEN = "nm-agent-hn-bd-phucxa-7f3a9c"


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    receiver = Receiver()
    await receiver.start()
    try:
        yield receiver
    finally:
        await receiver.stop()


@pytest.fixture
def token_file(tmp_path: Path) -> Path:
    path = tmp_path / "agent.token"
    path.write_text(TOKEN + "\n", encoding="ascii")
    path.chmod(0o600)
    return path


@pytest.fixture
def token() -> Secret:
    return Secret(TOKEN)
