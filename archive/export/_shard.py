"""A task's shard: its documents and parts, pickled one after another to a file in a
scratch directory (local pools), or kept in a list returned with the result (Dask workers,
which may not share a disk with the client); written by the scan, read back by number."""

from __future__ import annotations

import os
import pickle
from collections.abc import Iterator
from typing import Any

from ._tasks import ScanResult, ScanTask

__all__ = ["Shard", "ShardReader"]


class Shard:
    """Writes a task's items, each numbered in order of arrival."""

    def __init__(self, task: ScanTask, result: ScanResult) -> None:
        self.result = result
        self._fh = None
        if task.shard_dir is not None:
            path = os.path.join(task.shard_dir, f"shard-{task.index:06d}.pkl")
            self._fh = open(path, "wb")  # noqa: SIM115 - closed in close()
            result.shard_path = path
        else:
            result.items = []

    def add(self, item: Any) -> int:
        """Store an item; returns its number in the shard."""
        number = len(self.result.positions)
        if self._fh is not None:
            self.result.positions.append(self._fh.tell())
            pickle.dump(item, self._fh, protocol=pickle.HIGHEST_PROTOCOL)
        else:
            assert self.result.items is not None
            self.result.positions.append(number)
            self.result.items.append(item)
        return number

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()


class ShardReader:
    """Reads a task's items back, in order or one by number."""

    def __init__(self, result: ScanResult) -> None:
        self.result = result
        self._fh = open(result.shard_path, "rb") if result.shard_path else None  # noqa: SIM115

    def __iter__(self) -> Iterator[Any]:
        if self._fh is None:
            yield from self.result.items or ()
            return
        self._fh.seek(0)
        for _ in self.result.positions:
            yield pickle.load(self._fh)

    def get(self, number: int) -> Any:
        if self._fh is None:
            assert self.result.items is not None
            return self.result.items[number]
        here = self._fh.tell()
        self._fh.seek(self.result.positions[number])
        item = pickle.load(self._fh)
        self._fh.seek(here)
        return item

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
