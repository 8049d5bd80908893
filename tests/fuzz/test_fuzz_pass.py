"""The bounded fuzzing pass CI runs: every atheris harness of ``fuzz/``, from its committed
corpus, for a fixed number of executions, each in its own subprocess with a per-input
timeout and an RSS limit (``fuzz/run.py``). Any crash, hang or out-of-memory fails the test
and prints the harness's traceback and the file the input was written to.

The executions per target are sized for about 40 s in all on two cores (a YAML or TextFSM
execution costs a hundred times a BER one). Longer runs are for people: see SECURITY.md.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from fuzz.run import MAX_LEN, TARGETS, run_target

pytestmark = pytest.mark.security

#: Executions per target (after the corpus is read once): 2-5 s each on an idle machine.
RUNS = {"wire": 60_000, "config": 2_500, "snmp_yml": 8_000, "snmp_response": 30_000,
        "traps": 30_000, "cli": 1_000}


def test_every_target_has_a_harness_a_corpus_and_a_budget() -> None:
    fuzz = Path(__file__).resolve().parents[2] / "fuzz"
    assert set(RUNS) == set(TARGETS) == set(MAX_LEN)
    for target in TARGETS:
        assert (fuzz / f"{target}.py").is_file()
        assert len(list((fuzz / "corpus" / target).iterdir())) >= 3, target


@pytest.mark.parametrize("target", TARGETS)
def test_fuzz_pass(target: str, tmp_path: Path) -> None:
    scratch = tmp_path / "corpus"
    scratch.mkdir()
    result = run_target(target, runs=RUNS[target], max_total_time=None,
                        max_len=MAX_LEN[target], timeout=5, rss_limit_mb=1024,
                        artifacts=tmp_path, scratch=scratch)
    assert not result.crashed, f"{result.line()}\n{result.log[-4000:]}"
    assert result.executions >= RUNS[target], result.line()
    assert result.cov_end > 0, result.line()


def test_the_runner_reports_a_target_past_its_memory_limit(tmp_path: Path) -> None:
    # The harness itself is fine; a 20 MB RSS limit is below what any Python process uses,
    # so libFuzzer's memory check must stop it and the runner must call that a crash.
    result = run_target("traps", runs=None, max_total_time=3, max_len=MAX_LEN["traps"],
                        timeout=5, rss_limit_mb=20, artifacts=tmp_path, scratch=tmp_path)
    assert result.crashed and result.returncode != 0, result.line()
    assert "out-of-memory" in result.log
    assert [Path(a).name.split("-")[1] for a in result.artifacts] == ["oom"]
