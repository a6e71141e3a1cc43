"""Progress bars over replications, in a terminal and in Jupyter notebooks.

``replicate``, ``compare`` and ``sweep`` take ``progress=True`` to show one (or any callable
``progress(done)`` of their own). The bar shows replications done out of the total, elapsed
time, the estimated time left and a note: under ``reps="auto"`` the current confidence-interval
half-width against its target. rich draws it in place in a terminal and as a live ipywidgets
output in a notebook cell (the ``notebook`` extra installs ipywidgets).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

ProgressArg = bool | Callable[[int], None] | None
"""``True``: show a bar; a callable: called with the number of replications done; ``None`` or
``False``: nothing."""


class ReplicationProgress:
    """A live bar: ``bar(done)`` moves it, ``bar.note(text)`` sets the note beside it."""

    def __init__(self, total: int, label: str = "replications",
                 console: Console | None = None) -> None:
        self._progress = Progress(
            TextColumn("[bold]{task.description}[/]"), BarColumn(), MofNCompleteColumn(),
            TimeElapsedColumn(), TextColumn("left"), TimeRemainingColumn(),
            TextColumn("{task.fields[note]}"), console=console)
        self._task = self._progress.add_task(label, total=total, note="")

    def __call__(self, done: int) -> None:
        self._progress.update(self._task, completed=done)

    def note(self, text: str) -> None:
        self._progress.update(self._task, note=text)

    def __enter__(self) -> ReplicationProgress:
        self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.refresh()
        self._progress.stop()


@contextlib.contextmanager
def reporting(progress: ProgressArg, total: int,
              label: str = "replications") -> Iterator[Callable[[int], None] | None]:
    """The callback to report replications done to: a new bar for ``True``, the caller's own
    callable, or None."""
    if progress is True:
        with ReplicationProgress(total, label) as bar:
            yield bar
    elif callable(progress):
        yield progress
    else:
        yield None
