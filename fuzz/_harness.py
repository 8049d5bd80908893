"""What every harness in ``fuzz/`` shares: the repository on ``sys.path``, the packages
atheris instruments, and the libFuzzer entry point.

A harness is run as a module from the repository's root (``python -m fuzz.wire CORPUS_DIR...
-runs=N``), normally by ``fuzz/run.py``. Only netmon's own packages are instrumented for
coverage: instrumenting pysnmp, PyYAML or TextFSM too would slow every execution down for
branches that are not ours.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

#: The packages whose code atheris instruments (their imports must happen inside
#: ``atheris.instrument_imports(include=PACKAGES)``).
PACKAGES = ["netmon", "collector", "exporters", "agent"]


def fuzz(test_one_input: Callable[[bytes], None]) -> None:
    """Hand ``test_one_input`` to libFuzzer with this process's command line."""
    import atheris  # type: ignore[import-untyped]

    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


def text(data: bytes) -> str | None:
    """The input as the loaders would read a file: strict UTF-8 (a file that is not is refused
    by ``load_*`` before any parser sees it), or None."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None
