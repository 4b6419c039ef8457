"""Running scan tasks: inline, in a local process pool, or on a Dask distributed cluster.

Results always come back in task order, whatever order the workers finish in, so the
output does not depend on scheduling. ``on_done`` is called as each task finishes (for a
progress bar).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import replace

from ._scan import ScanResult, ScanTask, run_scan

__all__ = ["default_workers", "run_tasks"]

logger = logging.getLogger(__name__)

OnDone = Callable[[ScanResult], None]


def default_workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def run_tasks(
    tasks: Sequence[ScanTask],
    *,
    workers: int | None = None,
    dask_address: str | None = None,
    on_done: OnDone | None = None,
) -> list[ScanResult]:
    """Run every task; return the results in task order."""
    if dask_address is not None:
        return _run_dask(tasks, dask_address, on_done)
    workers = workers or default_workers()
    if workers <= 1 or len(tasks) <= 1:
        return _run_inline(tasks, on_done)
    return _run_pool(tasks, workers, on_done)


def _run_inline(tasks: Sequence[ScanTask], on_done: OnDone | None) -> list[ScanResult]:
    results = []
    for task in tasks:
        result = run_scan(task)
        if on_done is not None:
            on_done(result)
        results.append(result)
    return results


def _run_pool(tasks: Sequence[ScanTask], workers: int, on_done: OnDone | None) -> list[ScanResult]:
    results: dict[int, ScanResult] = {}
    # spawn: workers start clean (no inherited threads or locks), as crawler.pool does
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=min(workers, len(tasks)), mp_context=context) as pool:
        futures = {pool.submit(run_scan, task): task.index for task in tasks}
        for future in as_completed(futures):
            result = future.result()
            results[futures[future]] = result
            if on_done is not None:
                on_done(result)
    return [results[task.index] for task in tasks]


def _run_dask(tasks: Sequence[ScanTask], address: str, on_done: OnDone | None) -> list[ScanResult]:
    """The same tasks on a Dask scheduler; results travel back with the futures.

    Input paths must be readable by the workers under the same names (a shared file system).
    """
    try:
        from distributed import Client
        from distributed import as_completed as dask_completed
    except ImportError as exc:  # pragma: no cover - depends on the optional extra
        raise RuntimeError("--dask needs dask.distributed: pip install 'warcloom[dask]'") from exc

    remote = [replace(task, shard_dir=None) for task in tasks]
    with Client(address) as client:
        futures = client.map(run_scan, remote, pure=False)
        index_of = {future.key: task.index for future, task in zip(futures, remote, strict=True)}
        results: dict[int, ScanResult] = {}
        for future in dask_completed(futures):
            result = future.result()
            results[index_of[future.key]] = result
            if on_done is not None:
                on_done(result)
            future.release()
    return [results[task.index] for task in tasks]
