"""The server's risk monitor: a background task that runs the risk detectors as the log grows and logs each new
finding, signed with the monitor key the home names (``traceledger monitor use``).

One of the API app's lifespans, like the witness submitter: every ``POLL_SECONDS`` it feeds the detectors' digest
the entries logged since (by any process) and its tally the portal's scans recorded since, and when there were some,
runs every detector and appends the findings the log does not hold yet. Several server processes may each run one; a
finding another logged first is skipped. Without a monitor key it does not run, and says so in the server log once.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
import anyio.to_thread
from litestar import Litestar

from api import Lifespan, app_ledger
from ledger.risk import LogDigest, ScanTally
from ledger.store.ledger import Ledger
from ledger.store.risks import catch_up, log_findings, unlogged_findings
from ledger.store.scans import catch_up_scans
from signer.keys import SigningKey

POLL_SECONDS = 5.0

log = logging.getLogger("traceledger.monitoring")


class RiskMonitor:
    """Runs the detectors over one ledger, remembering what it has read."""

    def __init__(self, ledger: Ledger, key: SigningKey) -> None:
        self.ledger = ledger
        self.key = key
        self.digest = LogDigest()
        self.tally = ScanTally()

    def scan(self) -> int:
        """One pass: read the new entries and scans and, if there were any, log the new findings (and say so in
        the server log); how many were logged."""
        entries, scans = catch_up(self.ledger, self.digest), catch_up_scans(self.ledger, self.tally)
        if not entries + scans:
            return 0
        logged = len(log_findings(self.ledger, self.key, unlogged_findings(self.ledger, self.digest, self.tally)))
        log.info("the risk monitor read %d new entries and %d new scans: %d new finding(s)", entries, scans, logged)
        return logged

    async def run(self) -> None:
        """Scan forever, a pass every ``POLL_SECONDS``; a failing pass is logged, never fatal."""
        while True:
            try:
                await anyio.to_thread.run_sync(self.scan)
            except Exception:  # a database hiccup must not end the task: the next pass retries
                log.exception("a pass of the risk monitor failed")
            await anyio.sleep(POLL_SECONDS)


def monitoring_lifespan(key: SigningKey | None) -> Lifespan:
    """A lifespan running a ``RiskMonitor`` on the API app's ledger while it serves (none without a key)."""

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        if key is None:
            log.warning("no monitor key is configured (traceledger monitor use --key FILE): risk detectors do not run")
            yield
            return
        log.info("the risk monitor runs every %g s, signing findings with key %s", POLL_SECONDS, key.kid)
        async with anyio.create_task_group() as group:
            group.start_soon(RiskMonitor(app_ledger(app), key).run)
            try:
                yield
            finally:
                group.cancel_scope.cancel()

    return lifespan
