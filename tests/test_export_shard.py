"""Shards: items pickled in batches, read back in order and by number, fresh each time."""

from __future__ import annotations

import multiprocessing

from archive.export._plan import ScanTask
from archive.export._scan import SHARD_BATCH as BATCH
from archive.export._scan import ScanResult, Shard, ShardReader, start_pool_worker


def _task(tmp_path, index=0):
    return ScanTask(
        index=index, path="x.warc.gz", display_name="x.warc.gz", size=0, shard_dir=str(tmp_path)
    )


def _write(task, items):
    result = ScanResult(task)
    shard = Shard(task, result)
    numbers = [shard.add(item) for item in items]
    shard.close()
    return result, numbers


def test_batches_read_back_in_order_and_by_number(tmp_path):
    items = [{"n": i, "links": [i]} for i in range(2 * BATCH + 5)]
    result, numbers = _write(_task(tmp_path), items)
    assert numbers == list(range(len(items)))
    assert result.count == len(items) and len(result.positions) == 3
    reader = ShardReader(result)
    try:
        assert list(reader) == items
        for n in (BATCH + 1, 3, len(items) - 1, 0):
            assert reader.get(n) == items[n]
    finally:
        reader.close()


def test_an_item_asked_for_twice_is_a_new_object(tmp_path):
    result, _ = _write(_task(tmp_path), [{"links": [1]}, {"links": [2]}])
    reader = ShardReader(result)
    try:
        first = reader.get(0)
        first["links"].append(99)
        again = reader.get(0)
        assert again == {"links": [1]} and again is not first
        assert reader.get(1) == {"links": [2]}
    finally:
        reader.close()


def _in_worker(shard_dir):
    results = []
    for index, items in enumerate(([1, 2, 3], list(range(BATCH + 2)), ["a"])):
        task = ScanTask(
            index=index, path="x.warc.gz", display_name="x.warc.gz", size=0, shard_dir=shard_dir
        )
        results.append(_write(task, items)[0])
    return results


def test_a_pool_worker_appends_its_tasks_to_one_file(tmp_path):
    with multiprocessing.get_context("spawn").Pool(1, initializer=start_pool_worker) as pool:
        results = pool.apply(_in_worker, (str(tmp_path),))
    assert len({r.shard_path for r in results}) == 1
    expected = ([1, 2, 3], list(range(BATCH + 2)), ["a"])
    for result, items in zip(results, expected, strict=True):
        reader = ShardReader(result)
        try:
            assert list(reader) == items
            assert reader.get(len(items) - 1) == items[-1]
        finally:
            reader.close()


def test_outside_a_pool_each_task_has_its_own_file(tmp_path):
    first, _ = _write(_task(tmp_path, 0), [1])
    second, _ = _write(_task(tmp_path, 1), [2])
    assert first.shard_path != second.shard_path
    for result, item in ((first, 1), (second, 2)):
        reader = ShardReader(result)
        try:
            assert list(reader) == [item]
        finally:
            reader.close()
