"""Run the fuzz harnesses, each in its own bounded subprocess, and say what they found.

    python fuzz/run.py --target all --runs 2000 --timeout 5 --rss-limit-mb 1024
    python fuzz/run.py --target wire --max-total-time 120 --keep-corpus /tmp/wire-corpus

Each target is ``fuzz/<target>.py``, run as ``python -m fuzz.<target>`` under libFuzzer
(atheris) with:

* the committed seed corpus ``fuzz/corpus/<target>/`` read-only: new inputs go to a scratch
  folder (``--keep-corpus`` keeps them), so a run never edits the committed corpus;
* a bounded number of executions (``--runs``, after the corpus is read once) or a time
  budget (``--max-total-time``), a per-input timeout (``--timeout``: an input running longer
  is a hang, reported as a crash) and an RSS limit (``--rss-limit-mb``: memory past it is
  an out-of-memory crash);
* ``--max-len``: the largest input libFuzzer makes (default per target, above its seeds).

It prints, per target, the executions, the coverage at start and end (libFuzzer's ``cov``:
instrumented edges of netmon's own packages), the new corpus units and any crash, with the
file libFuzzer wrote the crashing input to. It exits 1 when a target crashed, hung or ran out
of memory. The subprocess itself is killed past ``--max-total-time`` plus a margin, so a
wedged harness cannot hang the caller.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

FUZZ = Path(__file__).resolve().parent
REPO = FUZZ.parent
TARGETS = ("wire", "config", "snmp_yml", "snmp_response", "traps", "cli")
#: Default -max_len per target: above the largest seed, small enough to stay fast.
MAX_LEN = {"wire": 8192, "config": 8192, "snmp_yml": 16384, "snmp_response": 4096,
           "traps": 2048, "cli": 12288}
_STATS = re.compile(r"^#(\d+)\s+(INITED|NEW|REDUCE|pulse|DONE|RELOAD)\s+cov: (\d+)", re.M)
_DONE = re.compile(r"^Done (\d+) runs in (\d+) second", re.M)
_ARTIFACT = re.compile(r"(?:Test unit written to|written to) (\S+)")
_CRASH = re.compile(r"Uncaught Python exception|ERROR: libFuzzer: (deadly signal|timeout|"
                    r"out-of-memory|fuzz target exited)")


@dataclass(frozen=True, slots=True)
class Result:
    target: str
    executions: int
    cov_start: int
    cov_end: int
    new_units: int
    seconds: float
    crashed: bool
    artifacts: tuple[str, ...]
    log: str
    returncode: int = 0

    def line(self) -> str:
        state = (f"CRASH (exit status {self.returncode}) " + " ".join(self.artifacts)
                 if self.crashed else "ok")
        return (f"{self.target:14} executions={self.executions:<8} cov={self.cov_start}->"
                f"{self.cov_end} new_units={self.new_units:<4} seconds={self.seconds:.1f} "
                f"crashes={int(self.crashed)} {state}")


def parse_log(target: str, log: str, seconds: float, returncode: int) -> Result:
    stats = _STATS.findall(log)
    covs = [int(c) for _n, _kind, c in stats]
    done = _DONE.search(log)
    executions = int(done.group(1)) if done else max((int(n) for n, _k, _c in stats),
                                                     default=0)
    crashed = returncode != 0 or bool(_CRASH.search(log))
    return Result(target, executions, covs[0] if covs else 0, max(covs, default=0),
                  sum(1 for _n, kind, _c in stats if kind == "NEW"), seconds, crashed,
                  tuple(_ARTIFACT.findall(log)), log, returncode)


def run_target(target: str, *, runs: int | None, max_total_time: int | None, max_len: int,
               timeout: int, rss_limit_mb: int, artifacts: Path, scratch: Path,
               extra: list[str] | None = None) -> Result:
    """Fuzz one target in a subprocess; never raises for what the target does."""
    seeds = FUZZ / "corpus" / target
    argv = [sys.executable, "-m", f"fuzz.{target}", str(scratch), str(seeds),
            f"-max_len={max_len}", f"-timeout={timeout}", f"-rss_limit_mb={rss_limit_mb}",
            f"-artifact_prefix={artifacts}/{target}-", "-print_final_stats=1",
            "-len_control=0", *(extra or [])]
    if runs is not None:
        argv.append(f"-runs={runs}")
    if max_total_time is not None:
        argv.append(f"-max_total_time={max_total_time}")
    dictionary = FUZZ / "dicts" / f"{target}.dict"
    if dictionary.is_file():
        argv.append(f"-dict={dictionary}")
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONHASHSEED": "0"}
    # libFuzzer ends the run at -max_total_time; the margin covers start-up and a last slow
    # input. Without a time budget, a generous bound per execution.
    limit = (max_total_time or 0) + 60 + (runs or 0) * 0.05 + timeout * 2
    start = time.monotonic()
    try:
        # One stream, in order: atheris prints the traceback, libFuzzer the verdict.
        proc = subprocess.run(argv, cwd=REPO, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, errors="replace",
                              timeout=limit, check=False)
        log, code = proc.stdout, proc.returncode
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout or ""
        log = (out if isinstance(out, str) else out.decode(errors="replace")) + \
            f"\nrun.py: killed after {limit:.0f}s (the harness hung)"
        code = -9
    return parse_log(target, log, time.monotonic() - start, code)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--target", action="append", choices=(*TARGETS, "all"),
                        help="a target (repeatable), or all (the default)")
    parser.add_argument("--runs", type=int, help="executions per target (after the corpus)")
    parser.add_argument("--max-total-time", type=int, help="seconds per target")
    parser.add_argument("--max-len", type=int, help="largest input (default: per target)")
    parser.add_argument("--timeout", type=int, default=5, help="seconds per input (hang)")
    parser.add_argument("--rss-limit-mb", type=int, default=1024)
    parser.add_argument("--artifacts", type=Path, help="where crashing inputs are written "
                        "(default: a temporary folder, printed)")
    parser.add_argument("--keep-corpus", type=Path, help="keep the new units here")
    parser.add_argument("--verbose", action="store_true", help="print libFuzzer's output")
    args = parser.parse_args(argv)
    if args.runs is None and args.max_total_time is None:
        parser.error("give --runs or --max-total-time (a fuzz run must be bounded)")
    targets = TARGETS if not args.target or "all" in args.target else tuple(args.target)
    artifacts = args.artifacts or Path(tempfile.mkdtemp(prefix="netmon-fuzz-artifacts-"))
    artifacts.mkdir(parents=True, exist_ok=True)
    failed = False
    for target in targets:
        with tempfile.TemporaryDirectory(prefix=f"netmon-fuzz-{target}-") as tmp:
            scratch = args.keep_corpus / target if args.keep_corpus else Path(tmp)
            scratch.mkdir(parents=True, exist_ok=True)
            result = run_target(target, runs=args.runs, max_total_time=args.max_total_time,
                                max_len=args.max_len or MAX_LEN[target], timeout=args.timeout,
                                rss_limit_mb=args.rss_limit_mb, artifacts=artifacts,
                                scratch=scratch)
        if args.verbose or result.crashed:
            print(result.log[-6000:], file=sys.stderr)
        print(result.line(), flush=True)
        failed |= result.crashed
    print(f"artifacts: {artifacts}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
