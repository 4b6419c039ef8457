"""Running scan tasks: inline, in a local process pool, or on a Dask distributed cluster.

Results always come back in task order, whatever order the workers finish in, so the
output does not depend on scheduling. ``on_done`` is called as each task finishes (for a
progress bar); ``on_started`` once a local pool has all its workers and tasks (the
exporting process is idle from then on, and may start threads: see ``_pool_context``).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import replace

from ._scan import run_scan
from ._shard import start_pool_worker
from ._tasks import ScanResult, ScanTask

__all__ = ["default_workers", "run_tasks"]

logger = logging.getLogger(__name__)

OnDone = Callable[[ScanResult], None]
OnStarted = Callable[[], None]


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
    on_started: OnStarted | None = None,
) -> list[ScanResult]:
    """Run every task; return the results in task order."""
    if dask_address is not None:
        return _run_dask(tasks, dask_address, on_done)
    workers = workers or default_workers()
    if workers <= 1 or len(tasks) <= 1:
        return _run_inline(tasks, on_done)
    return _run_pool(tasks, workers, on_done, on_started)


def _run_inline(tasks: Sequence[ScanTask], on_done: OnDone | None) -> list[ScanResult]:
    results = []
    for task in tasks:
        result = run_scan(task)
        if on_done is not None:
            on_done(result)
        results.append(result)
    return results


def _run_pool(
    tasks: Sequence[ScanTask],
    workers: int,
    on_done: OnDone | None,
    on_started: OnStarted | None = None,
) -> list[ScanResult]:
    results: dict[int, ScanResult] = {}
    context = _pool_context()
    with ProcessPoolExecutor(
        max_workers=min(workers, len(tasks)), mp_context=context, initializer=start_pool_worker
    ) as pool:
        # (a pool forks all its workers at the first submit, spawns them by the last)
        futures = {pool.submit(run_scan, task): task.index for task in tasks}
        if on_started is not None:
            on_started()
        for future in as_completed(futures):
            result = future.result()
            results[futures[future]] = result
            if on_done is not None:
                on_done(result)
    return [results[task.index] for task in tasks]


def _single_threaded() -> bool:
    """True when this process runs exactly one thread, counted by the kernel.

    ``threading.active_count()`` misses threads started by C libraries (Arrow's pools,
    BLAS, a Dask client's event loop); ``/proc/self/task`` lists them all.
    """
    try:
        return len(os.listdir("/proc/self/task")) == 1
    except OSError:  # no /proc: cannot tell
        return False


def _pool_context() -> multiprocessing.context.BaseContext:
    """``fork`` when it is safe, else ``forkserver`` (or ``spawn`` where there is none).

    Forking copies only the calling thread; what makes it unsafe is another thread that
    holds a lock (of the allocator, of logging, of an I/O buffer) at that moment, which the
    child then inherits locked forever. With no other thread in the process there is no such
    lock, so a forked worker starts in milliseconds with the modules already imported, where
    a spawned one starts an interpreter and imports them again (~0.5 s each).
    ProcessPoolExecutor forks every worker before it starts its own management thread.

    With other threads running (a crawl's reactor threads, a Dask client, Arrow's pools once
    pyarrow is imported), workers come from a fork server instead: a clean single-threaded
    process, started once per process with the scan module preloaded, that forks them.
    """
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and _single_threaded():
        return multiprocessing.get_context("fork")
    if "forkserver" in methods:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["__main__", __name__.rsplit(".", 1)[0] + "._scan"])
        return context
    return multiprocessing.get_context("spawn")


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
