"""A task's shard: its documents and parts, pickled in batches of :data:`BATCH` items, one
batch after another, to a file in a scratch directory (local pools), or kept in a list
returned with the result (Dask workers, which may not share a disk with the client);
written by the scan, read back in order or by number. A pool worker appends the shards of
all its tasks to one file of its own, which it keeps open: creating a file costs more than
writing a small shard on some file systems (~0.4 ms here).

One ``pickle.dump`` per batch rather than per item spreads the cost of each call (a
pickler, its memo, a write) over the batch, and names repeated in it (field names, the
file's name, MIME types) are written once."""

from __future__ import annotations

import os
import pickle
from collections.abc import Iterator
from typing import IO, Any

from ._tasks import ScanResult, ScanTask

__all__ = ["BATCH", "Shard", "ShardReader", "start_pool_worker"]

BATCH = 64  # items per pickled batch: item n is number n % BATCH of batch n // BATCH


class Shard:
    """Writes a task's items, each numbered in order of arrival."""

    def __init__(self, task: ScanTask, result: ScanResult) -> None:
        self.result = result
        self._fh: IO[bytes] | None = None
        self._own_file = False
        self._batch: list[Any] = []
        if task.shard_dir is None:
            result.items = []
        elif _pool_worker:
            result.shard_path, self._fh = _worker_file(task.shard_dir)
        else:
            result.shard_path = os.path.join(task.shard_dir, f"shard-{task.index:06d}.pkl")
            self._fh = open(result.shard_path, "wb")  # noqa: SIM115 - closed in close()
            self._own_file = True

    def add(self, item: Any) -> int:
        """Store an item; returns its number in the shard."""
        result = self.result
        number = result.count
        result.count = number + 1
        if self._fh is not None:
            self._batch.append(item)
            if len(self._batch) >= BATCH:
                self._write()
        else:
            assert result.items is not None
            result.items.append(item)
        return number

    def _write(self) -> None:
        assert self._fh is not None
        self.result.positions.append(self._fh.tell())
        pickle.dump(self._batch, self._fh, protocol=pickle.HIGHEST_PROTOCOL)
        self._batch = []

    def close(self) -> None:
        if self._fh is not None:
            if self._batch:
                self._write()
            if self._own_file:
                self._fh.close()
            else:
                self._fh.flush()  # read by the exporting process once the task is done


_pool_worker = False  # this process is a worker of a local pool (see start_pool_worker)


def start_pool_worker() -> None:
    """Initializer of a local pool's workers: each keeps one shard file for its tasks."""
    global _pool_worker
    _pool_worker = True


_worker_files: dict[str, tuple[int, str, IO[bytes]]] = {}  # shard_dir -> (pid, path, file)


def _worker_file(shard_dir: str) -> tuple[str, IO[bytes]]:
    """This process's shard file in ``shard_dir``, open for appending (left to close when
    the worker exits)."""
    pid = os.getpid()
    known = _worker_files.get(shard_dir)
    if known is not None and known[0] == pid:
        return known[1], known[2]
    path = os.path.join(shard_dir, f"shard-worker-{pid}.pkl")
    fh = open(path, "ab")  # noqa: SIM115 - open for the worker's life
    _worker_files.clear()  # (files of earlier exports, or of the process forked from)
    _worker_files[shard_dir] = (pid, path, fh)
    return path, fh


class ShardReader:
    """Reads a task's items back, in order or one by number.

    Every item comes out as a new object, as if unpickled on its own: :meth:`get` keeps the
    last batch it loaded, but gives each of its items out once, and loads the batch again
    for an item asked for a second time (callers change the items they get).
    """

    def __init__(self, result: ScanResult) -> None:
        self.result = result
        self._fh = open(result.shard_path, "rb") if result.shard_path else None  # noqa: SIM115
        self._batch_no = -1
        self._batch: list[Any] = []

    def __iter__(self) -> Iterator[Any]:
        if self._fh is None:
            yield from self.result.items or ()
            return
        for position in self.result.positions:
            self._fh.seek(position)
            yield from pickle.load(self._fh)

    def get(self, number: int) -> Any:
        if self._fh is None:
            assert self.result.items is not None
            return self.result.items[number]
        if not 0 <= number < self.result.count:
            raise IndexError(f"no item {number} in the shard")
        batch_no, at = divmod(number, BATCH)
        batch = self._batch
        if batch_no != self._batch_no or batch[at] is _TAKEN:
            self._fh.seek(self.result.positions[batch_no])
            batch = self._batch = pickle.load(self._fh)
            self._batch_no = batch_no
        item = batch[at]
        batch[at] = _TAKEN
        return item

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
        self._batch = []


_TAKEN = object()  # in a loaded batch, in place of an item given out
