#!/usr/bin/env python3
"""Build the offline wheelhouse that the roles install netmon from, once, on the controller.

    python3 ansible/bin/build_wheelhouse.py [--source .] [--out ansible/wheelhouse]
                                            [--find-links DIR] [--python-version 3.11]

Writes ``OUT/netmon-<version>-wheelhouse.tar``: netmon's wheel and a wheel of every dependency
(``pip wheel``), with a ``SHA256SUMS`` file, and prints the archive's path. The hosts install
from it with no package index (``PIP_NO_INDEX``); the version in the file name is the one
``netmon_version`` names. The source is copied to a temporary directory first, so the build
writes nothing into the working tree.

The wheels fit hosts with the controller's Python minor version and architecture (both Debian
12: CPython 3.11, x86_64). For hosts of another kind pass ``--python-version`` and
``--platform``: the dependencies are then downloaded as binary wheels for that target
(``pip download --only-binary``) instead of being built here.

Exit status: 0, or 2 with pip's message when a wheel cannot be built or found.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

#: What setuptools needs from a source tree to build netmon's wheel.
_SOURCE_PARTS = ("pyproject.toml", "README.md", "agent", "collector", "exporters", "netmon",
                 "mixin")
_IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build", "dist")


def _copy_source(source: Path, into: Path) -> Path:
    tree = into / "src"
    tree.mkdir()
    for part in _SOURCE_PARTS:
        path = source / part
        if path.is_dir():
            shutil.copytree(path, tree / part, ignore=_IGNORE)
        elif path.is_file():
            shutil.copy2(path, tree / part)
    return tree


def _pip(*args: str) -> None:
    command = [sys.executable, "-m", "pip", "--disable-pip-version-check", *args]
    done = subprocess.run(command, check=False, capture_output=True, text=True)
    if done.returncode != 0:
        sys.stderr.write(done.stdout[-4000:] + done.stderr[-4000:])
        raise SystemExit(f"build_wheelhouse: {' '.join(command[2:4])} failed "
                         f"(exit {done.returncode})")


def build(source: Path, out: Path, find_links: list[Path], python_version: str | None,
          platform: str | None) -> Path:
    links = [arg for d in find_links for arg in ("--find-links", str(d))]
    with tempfile.TemporaryDirectory(prefix="netmon-wheelhouse-") as tmp:
        wheels = Path(tmp) / "wheels"
        tree = _copy_source(source, Path(tmp))
        if python_version or platform:
            _pip("wheel", "--no-deps", "--wheel-dir", str(wheels), *links, str(tree))
            target = [*(["--python-version", python_version] if python_version else []),
                      *(["--platform", platform] if platform else [])]
            netmon_wheel = next(wheels.glob("netmon-*.whl"))
            _pip("download", "--only-binary", ":all:", "--dest", str(wheels), *target, *links,
                 str(netmon_wheel))
        else:
            _pip("wheel", "--wheel-dir", str(wheels), *links, str(tree))
        found = sorted(wheels.glob("netmon-*.whl"))
        if len(found) != 1:
            raise SystemExit(f"build_wheelhouse: expected one netmon wheel, found {found}")
        version = found[0].name.split("-")[1]
        sums = "".join(f"{hashlib.sha256(w.read_bytes()).hexdigest()}  {w.name}\n"
                       for w in sorted(wheels.glob("*.whl")))
        (wheels / "SHA256SUMS").write_text(sums, encoding="utf-8")
        out.mkdir(parents=True, exist_ok=True)
        archive = out / f"netmon-{version}-wheelhouse.tar"
        partial = archive.with_suffix(".tar.partial")
        with tarfile.open(partial, "w") as tar:
            for path in sorted(wheels.iterdir()):
                info = tar.gettarinfo(str(path), arcname=path.name)
                info.uid = info.gid = 0
                info.uname = info.gname = "root"
                info.mtime = 0  # the same wheels give the same archive (and checksum)
                with path.open("rb") as handle:
                    tar.addfile(info, handle)
        partial.replace(archive)
    return archive


def main(argv: list[str] | None = None) -> int:
    here = Path(__file__).resolve().parent
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, default=here.parents[1],
                        help="netmon's source tree (default: this repository)")
    parser.add_argument("--out", type=Path, default=here.parent / "wheelhouse",
                        help="where the archive goes (default: ansible/wheelhouse)")
    parser.add_argument("--find-links", type=Path, action="append", default=[],
                        metavar="DIR", help="also look for wheels here (repeatable)")
    parser.add_argument("--python-version", default=None,
                        help="the hosts' Python, e.g. 3.11 (default: the controller's)")
    parser.add_argument("--platform", default=None,
                        help="the hosts' wheel platform, e.g. manylinux2014_x86_64")
    args = parser.parse_args(argv)
    if not (args.source / "pyproject.toml").is_file():
        parser.error(f"{args.source} has no pyproject.toml: give netmon's source with --source")
    print(build(args.source, args.out, args.find_links, args.python_version, args.platform))
    return 0


if __name__ == "__main__":
    sys.exit(main())
