"""The log's side of c2sp.org/tlog-witness: submit each new checkpoint to the configured witnesses, keep their
cosignatures.

A background task of the API app (one of its ``ApiSettings.lifespans``, set by ``traceledger.server``), never part
of the append path: it looks for a new checkpoint every ``POLL_SECONDS`` (any process may have appended it) and
sends it to every witness that has not cosigned it, with ``old <the size that witness last cosigned>`` and a
consistency proof from the ledger. A 409 answer names the size the witness holds (it may have stored a checkpoint
whose answer was lost); the request is retried once from it. A witness that is down or refuses is retried later
with a growing delay and reported in the server log; appends never wait for witnesses and never fail because of
them.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

import anyio
import anyio.to_thread
import httpx
from litestar import Litestar

from api import Lifespan, app_ledger
from ledger.errors import LedgerError
from ledger.log.checkpoint import Checkpoint
from ledger.log.witness_protocol import (
    SIZE_MEDIA_TYPE,
    AddCheckpoint,
    WitnessEndpoint,
    parse_cosignature_lines,
    parse_size_body,
)
from ledger.store.cosignatures import last_cosigned_size, record_cosignature
from ledger.store.ledger import Ledger
from signer.errors import TraceledgerError

POLL_SECONDS = 0.5
MAX_RETRY_SECONDS = 60.0
REQUEST_TIMEOUT_SECONDS = 10.0
MAX_ANSWER_BYTES = 64 * 1024

log = logging.getLogger("traceledger.witnessing")


class WitnessSubmitter:
    """Submits the ledger's latest checkpoint to each witness until each has cosigned it."""

    def __init__(self, ledger: Ledger, witnesses: Sequence[WitnessEndpoint], client: httpx.AsyncClient) -> None:
        self.ledger = ledger
        self.witnesses = tuple(witnesses)
        self.client = client
        self._failures: dict[WitnessEndpoint, int] = {}
        self._retry_at: dict[WitnessEndpoint, float] = {}

    async def run(self) -> None:
        """Submit forever, a pass every ``POLL_SECONDS``; a failing pass is logged, never fatal."""
        while True:
            try:
                await self.submit_latest()
            except Exception:  # a database hiccup must not end the task: the next pass retries
                log.exception("submitting the latest checkpoint to witnesses failed")
            await anyio.sleep(POLL_SECONDS)

    async def submit_latest(self) -> dict[WitnessEndpoint, bool]:
        """One pass: the latest checkpoint to every witness not waiting out a retry delay; who has cosigned it."""
        checkpoint = await anyio.to_thread.run_sync(self.ledger.checkpoint)
        now = anyio.current_time()
        due = [w for w in self.witnesses if self._retry_at.get(w, now) <= now]
        results: dict[WitnessEndpoint, bool] = {}

        async def submit(witness: WitnessEndpoint) -> None:
            results[witness] = ok = await self.submit(witness, checkpoint)
            failures = 0 if ok else self._failures.get(witness, 0) + 1
            self._failures[witness] = failures
            self._retry_at[witness] = now + min(MAX_RETRY_SECONDS, POLL_SECONDS * 2**failures) if failures else now

        async with anyio.create_task_group() as group:
            for witness in due:
                group.start_soon(submit, witness)
        return results

    async def submit(self, witness: WitnessEndpoint, checkpoint: Checkpoint) -> bool:
        """Have ``witness`` cosign ``checkpoint`` (unless it already has); True once its cosignature is stored."""
        engine = self.ledger.engine
        old = await anyio.to_thread.run_sync(last_cosigned_size, engine, witness.verifier)
        if old >= checkpoint.size:
            return True
        for _ in range(2):  # the first answer may be a 409 naming the size to prove from
            proof = await anyio.to_thread.run_sync(self.ledger.consistency_proof, old, checkpoint.size) if old else []
            body = AddCheckpoint(old, tuple(proof), checkpoint.note).body()
            try:
                async with self.client.stream(
                    "POST", witness.add_checkpoint_url, content=body.encode(), headers={"Content-Type": "text/plain"}
                ) as response:
                    answer = await _answer_text(response)
            except httpx.HTTPError as exc:
                log.warning("witness %s unreachable: %s", witness.url, type(exc).__name__)
                return False
            if response.status_code == 200:
                return await self._store(witness, checkpoint, answer)
            conflict = self._conflict_size(witness, checkpoint, response, answer)
            if conflict is None:
                return False
            old = conflict
        log.warning("witness %s keeps answering 409 for checkpoint %d", witness.url, checkpoint.size)
        return False

    def _conflict_size(
        self, witness: WitnessEndpoint, checkpoint: Checkpoint, response: httpx.Response, answer: str
    ) -> int | None:
        """The size a 409 answer says the witness holds, when the request can be retried from it."""
        media_type = response.headers.get("content-type", "").split(";")[0].strip()
        if response.status_code != 409 or media_type != SIZE_MEDIA_TYPE:
            log.warning(
                "witness %s refused checkpoint %d: %d %s",
                witness.url, checkpoint.size, response.status_code, answer[:300].replace("\n", " "),
            )  # fmt: skip
            return None
        try:
            size = parse_size_body(answer)
        except TraceledgerError:
            log.warning("witness %s answered 409 without a valid size", witness.url)
            return None
        if size > checkpoint.size:
            # This log never signed such a tree: someone showed the witness another history under our key.
            log.error(
                "witness %s has cosigned size %d of this log, beyond its checkpoint %d: a split view",
                witness.url, size, checkpoint.size,
            )  # fmt: skip
            return None
        return size

    async def _store(self, witness: WitnessEndpoint, checkpoint: Checkpoint, answer: str) -> bool:
        try:
            lines = parse_cosignature_lines(checkpoint.note, answer)
        except TraceledgerError as exc:
            log.warning("witness %s answered with malformed lines: %s", witness.url, exc.detail)
            return False
        try:
            stored = await anyio.to_thread.run_sync(
                record_cosignature, self.ledger.engine, checkpoint, witness.verifier, lines
            )
        except LedgerError as exc:
            log.warning("cannot store the cosignature of %s: %s", witness.url, exc.detail)
            return False
        if not stored:
            log.warning("witness %s answered without a valid cosignature by its key", witness.url)
        return stored


async def _answer_text(response: httpx.Response) -> str:
    """The body of a witness's answer as text, read no further than ``MAX_ANSWER_BYTES`` (it is a few lines)."""
    body = bytearray()
    async for chunk in response.aiter_bytes():
        body += chunk
        if len(body) >= MAX_ANSWER_BYTES:
            break
    return body[:MAX_ANSWER_BYTES].decode("utf-8", errors="replace")


def witnessing_lifespan(witnesses: Sequence[WitnessEndpoint]) -> Lifespan:
    """A lifespan running a ``WitnessSubmitter`` on the API app's ledger while it serves (none without witnesses)."""

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        if not witnesses:
            yield
            return
        async with httpx.AsyncClient(timeout=REQUEST_TIMEOUT_SECONDS) as client, anyio.create_task_group() as group:
            group.start_soon(WitnessSubmitter(app_ledger(app), witnesses, client).run)
            try:
                yield
            finally:
                group.cancel_scope.cancel()

    return lifespan
