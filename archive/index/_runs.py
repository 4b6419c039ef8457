"""Sorting more items than memory should hold: sorted runs in temporary files, merged from disk."""

from __future__ import annotations

import heapq
import os
import pickle
import tempfile
from collections.abc import Iterable, Iterator
from typing import Any

RUN_SIZE = 20_000  # items held in memory before a sorted run goes to disk (~10 MB)
MAX_RUNS = 32  # runs merged at once: more are merged into one run first
_BUFFER = 1 << 15  # read buffer of a run while merged


class SortedRuns:
    """Items added in any order, read back once in sorted order (``sorted()`` of them).

    At most ``run_size`` items (:data:`RUN_SIZE`) are in memory: when that many have been
    added, they are sorted and written to a file in ``directory`` (the caller's, removed by
    the caller). Reading merges the files with :func:`heapq.merge`, one item and a small
    buffer of each; when there are :data:`MAX_RUNS`, they are merged into one first, so that
    merging costs the same memory however many items there are. Items are picklable and
    compared as they are: equal ones come back in the order they were added.
    """

    def __init__(self, directory: str | os.PathLike[str], run_size: int | None = None) -> None:
        self.directory = directory
        self.run_size = max(1, RUN_SIZE if run_size is None else run_size)
        self._buffer: list[Any] = []
        self._runs: list[str] = []

    def add(self, item: Any) -> None:
        self._buffer.append(item)
        if len(self._buffer) >= self.run_size:
            self._spill()

    def _spill(self) -> None:
        buffer, self._buffer = self._buffer, []
        buffer.sort()
        self._runs.append(self._write(buffer))
        if len(self._runs) >= MAX_RUNS:
            merged = self._write(heapq.merge(*(_read_run(path) for path in self._runs)))
            for path in self._runs:
                os.unlink(path)
            self._runs = [merged]

    def _write(self, items: Iterable[Any]) -> str:
        fd, path = tempfile.mkstemp(prefix="run-", dir=self.directory)
        with os.fdopen(fd, "wb") as out:
            for item in items:
                pickle.dump(item, out, pickle.HIGHEST_PROTOCOL)
        return path

    def __iter__(self) -> Iterator[Any]:
        if not self._runs:  # it all fit in memory
            self._buffer.sort()
            buffer, self._buffer = self._buffer, []
            return iter(buffer)
        if self._buffer:  # free the memory it holds while the runs are merged
            self._spill()
        return heapq.merge(*(_read_run(path) for path in self._runs))


def _read_run(path: str) -> Iterator[Any]:
    with open(path, "rb", buffering=_BUFFER) as run:
        while True:
            try:
                yield pickle.load(run)
            except EOFError:
                return
