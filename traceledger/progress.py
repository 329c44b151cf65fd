"""A progress bar on stderr for a person watching a terminal, and nothing for pipes and files."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

Update = Callable[[int, int], None]  # (done, total)


@contextmanager
def progress_bar(shown: bool, label: str) -> Iterator[Update | None]:
    """An update function for a bar labelled ``label`` when ``shown``, else None."""
    if not shown:
        yield None
        return
    columns = (TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update
