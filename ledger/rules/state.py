"""The state the rules read: derived views as a read-through cache over the store.

Views are named maps from a string key to a JSON object (``actors``, ``keys``, ...). The rules read them through
``State.get`` and record changes with ``put``; the store writes the recorded changes in the same transaction
as the entries. With no reader the state is purely in memory, which is how an audit replays the log. Each view's
name carries its row type (``ledger.rules.views``), so ``get`` and ``put`` are typed by the view they name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Protocol, TypeVar, overload

from ledger.rules.views import View

ViewRow = tuple[str, str]  # (view, key)
R = TypeVar("R", bound=Mapping[str, Any])


class ViewReader(Protocol):
    def load(self, view: str, key: str) -> dict[str, Any] | None: ...

    def load_many(self, rows: Iterable[ViewRow]) -> dict[ViewRow, dict[str, Any]]: ...


class State:
    def __init__(self, reader: ViewReader | None = None) -> None:
        self._reader = reader
        self._cache: dict[ViewRow, Any] = {}  # each row is its view's row type, or None
        self._dirty: dict[ViewRow, dict[str, Any] | None] = {}

    # A View is also its name: a typed view reads and writes its row type, a plain name a plain dict.
    @overload
    def get(self, view: View[R], key: str) -> R | None: ...  # type: ignore[overload-overlap]

    @overload
    def get(self, view: str, key: str) -> dict[str, Any] | None: ...

    def get(self, view: str, key: str) -> Any:
        row = (view, key)
        if row not in self._cache:
            self._cache[row] = self._reader.load(view, key) if self._reader else None
        return self._cache[row]

    def prefetch(self, rows: Iterable[ViewRow]) -> None:
        """Load many rows at once (absent ones as None), so the rules' reads that follow hit the cache."""
        if self._reader is None:
            return
        missing = {row for row in rows if row not in self._cache}
        if missing:
            found = self._reader.load_many(missing)
            for row in missing:
                self._cache[row] = found.get(row)

    @overload
    def put(self, view: View[R], key: str, value: R | None) -> None: ...

    @overload
    def put(self, view: str, key: str, value: dict[str, Any] | None) -> None: ...

    def put(self, view: str, key: str, value: Mapping[str, Any] | None) -> None:
        """Set (or with ``None`` delete) one view row. Give a typed view's row its type first (``row: BatchRow =
        {...}``): the type checker cannot infer it from a literal beside the view, and takes a bare literal for
        a plain dict."""
        row = (view, key)
        stored = None if value is None else dict(value)
        self._cache[row] = stored
        self._dirty[row] = stored

    def take_changes(self) -> dict[ViewRow, dict[str, Any] | None]:
        """The rows changed since the last call, for the store to write."""
        changes, self._dirty = self._dirty, {}
        return changes
