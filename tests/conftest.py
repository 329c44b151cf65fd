"""Shared fixtures, and the CI rule that no required suite may be skipped."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Under CI=true a skipped or deselected test fails the run: a suite that did not run has not passed.

    Deselection is how ``./dev test`` leaves out the slow tests; CI runs them all (``./dev test --all``).
    """
    if os.environ.get("CI", "").lower() != "true":
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None:
        return
    for outcome in ("skipped", "deselected"):
        count = len(reporter.stats.get(outcome, []))
        if count:
            reporter.write_line(f"CI=true: {count} test(s) were {outcome}; every suite must run in CI", red=True)
            session.exitstatus = pytest.ExitCode.TESTS_FAILED


DATABASE_URL_ENV = "TRACELEDGER_TEST_DATABASE_URL"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """Each ledger test runs on the embedded SQLite file and on PostgreSQL (when its URL is given).

    On PostgreSQL every test gets a schema of its own, dropped afterwards, so test runs sharing one server (CI,
    a developer's helpers) never see each other's tables.
    """
    if request.param == "sqlite":
        yield None
        return
    url = os.environ.get(DATABASE_URL_ENV)
    if not url:
        pytest.skip(f"PostgreSQL suite: set {DATABASE_URL_ENV} (e.g. postgresql://postgres@127.0.0.1:5432/test)")
    schema = f"traceledger_test_{os.getpid()}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with admin.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


from tests.scenarios.world import world  # noqa: E402 -- the story fixture, shared by the ledger and API suites

__all__ = ["database_url", "world"]
