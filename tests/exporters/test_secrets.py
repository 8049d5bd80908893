"""A Secret never prints itself."""

from __future__ import annotations

import pickle

import pytest

from exporters.secrets import Secret


def test_secret_is_redacted_everywhere_but_reveal() -> None:
    secret = Secret("hunter2")
    for text in (str(secret), repr(secret), f"{secret}", f"{secret!r}", "%s" % secret,  # noqa: UP031 - logging formats so
                 str([secret]), str({"k": secret})):
        assert "hunter2" not in text
    assert secret.reveal() == "hunter2"
    assert secret == Secret("hunter2")
    assert secret != Secret("other")


def test_secret_refuses_to_be_pickled() -> None:
    with pytest.raises(TypeError):
        pickle.dumps(Secret("hunter2"))
