"""Coverage-guided fuzzing of every input netmon reads from outside (atheris, libFuzzer).

One harness per target, ``fuzz/<target>.py``, each with ``TestOneInput`` and the contract it
checks in its docstring; the seed corpus in ``fuzz/corpus/<target>/`` (written from real
inputs by ``fuzz/make_corpus.py``, plus ``regress-*`` inputs that once crashed); libFuzzer
dictionaries in ``fuzz/dicts/``; the bounded runner ``fuzz/run.py``. CI runs a short pass
(``tests/fuzz/test_fuzz_pass.py``); SECURITY.md ("Fuzzing") records the long runs.
"""
