"""Shared fixtures, and the CI rule that no required suite may be skipped."""

from __future__ import annotations

import os

import pytest


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Under CI=true a skipped test fails the run: a suite that did not run has not passed."""
    if os.environ.get("CI", "").lower() != "true":
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter is not None else []
    if skipped:
        if reporter is not None:
            reporter.write_line(f"CI=true: {len(skipped)} test(s) were skipped; every suite must run in CI", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
