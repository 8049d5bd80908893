"""Fixtures for the rollout tests: the wheelhouses (built once, cached by source hash)."""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ANSIBLE_DIR = REPO / "ansible"
_SOURCE_PARTS = ("pyproject.toml", "README.md", "agent", "collector", "exporters", "netmon",
                 "mixin")
CACHE = Path(tempfile.gettempdir()) / "netmon-rollout-wheelhouses"


@dataclass(frozen=True)
class Wheelhouses:
    """Two built versions of netmon: the source's, and the same code with a bumped version."""

    directory: Path
    old: str
    new: str


def _source_hash() -> str:
    digest = hashlib.sha256()
    for part in _SOURCE_PARTS:
        root = REPO / part
        files = sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else [root]
        for path in files:
            if "__pycache__" in path.parts or path.suffix == ".pyc":
                continue
            digest.update(str(path.relative_to(REPO)).encode())
            digest.update(path.read_bytes())
    digest.update((ANSIBLE_DIR / "bin" / "build_wheelhouse.py").read_bytes())
    return digest.hexdigest()[:16]


def _version() -> str:
    text = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    match = re.search(r'(?m)^version\s*=\s*"([^"]+)"', text)
    assert match, "pyproject.toml has no version"
    return match.group(1)


def _build(source: Path, out: Path, *extra: str) -> None:
    subprocess.run([sys.executable, str(ANSIBLE_DIR / "bin" / "build_wheelhouse.py"),
                    "--source", str(source), "--out", str(out), *extra],
                   check=True, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="session")
def wheelhouses() -> Iterator[Wheelhouses]:
    """netmon-<old>-wheelhouse.tar and netmon-<new>-wheelhouse.tar, built once per source
    (a cache in the temp folder keyed by the source's hash, locked for parallel runs)."""
    old = _version()
    new = f"{old}.post1"
    directory = CACHE / _source_hash()
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (directory / f"netmon-{old}-wheelhouse.tar").exists():
            _build(REPO, directory)
        if not (directory / f"netmon-{new}-wheelhouse.tar").exists():
            with tempfile.TemporaryDirectory(prefix="netmon-bumped-") as tmp:
                source = Path(tmp) / "src"
                source.mkdir()
                for part in _SOURCE_PARTS:
                    path = REPO / part
                    if path.is_dir():
                        shutil.copytree(path, source / part,
                                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
                    else:
                        shutil.copy2(path, source / part)
                pyproject = source / "pyproject.toml"
                pyproject.write_text(re.sub(r'(?m)^version\s*=\s*"[^"]+"', f'version = "{new}"',
                                            pyproject.read_text(encoding="utf-8")),
                                     encoding="utf-8")
                unpacked = Path(tmp) / "old"
                unpacked.mkdir()
                shutil.unpack_archive(directory / f"netmon-{old}-wheelhouse.tar", unpacked)
                (unpacked / f"netmon-{old}-py3-none-any.whl").unlink()
                _build(source, directory, "--find-links", str(unpacked))
        fcntl.flock(lock, fcntl.LOCK_UN)
    yield Wheelhouses(directory, old, new)


def needs_root_and_tools() -> str | None:
    """Why the rollout cannot run here, or None."""
    if os.geteuid() != 0:
        return "needs root (network namespaces)"
    for tool in ("ansible-playbook", "ansible-vault", "ansible-inventory", "ip", "unshare",
                 "nsenter", "ssh", "ssh-keygen"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed"
    if not Path("/usr/sbin/sshd").exists():
        return "openssh-server is not installed (/usr/sbin/sshd)"
    return None
