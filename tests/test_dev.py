"""``./dev test`` leaves out the slow tests unless asked (``--all`` or a ``-m`` of one's own), and CI, which runs
everything, fails when any test was left out."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[1]
#: A test file with one slow test (a served app with worker processes) among quick ones.
MIXED = "tests/api/test_serve.py"
SLOW_TEST = f"{MIXED}::test_serve_runs_workers_that_append_and_read"


def dev_test(*args: str, ci: bool = False) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CI": "true" if ci else "false"}
    return subprocess.run(
        [str(PROJECT / "dev"), "test", *args], cwd=PROJECT, env=env, capture_output=True, text=True, check=False
    )


def collected(*args: str) -> list[str]:
    run = dev_test("--collect-only", "-q", *args, MIXED)
    assert run.returncode == 0, run.stdout + run.stderr
    return [line for line in run.stdout.splitlines() if line.startswith(MIXED)]


def test_dev_test_leaves_out_slow_tests() -> None:
    tests = collected()
    assert tests
    assert SLOW_TEST not in tests


def test_dev_test_all_runs_slow_tests_too() -> None:
    tests = collected("--all")
    assert SLOW_TEST in tests
    assert len(tests) > 1


def test_a_mark_expression_of_ones_own_replaces_the_default() -> None:
    assert collected("-mslow") == [SLOW_TEST]


def test_ci_fails_when_a_test_was_left_out() -> None:
    run = dev_test("-q", "-k", "opens_the_ledger", MIXED, ci=True)
    assert run.returncode == pytest.ExitCode.TESTS_FAILED
    assert "test(s) were deselected; every suite must run in CI" in run.stdout
