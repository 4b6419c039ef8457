"""``--dask``: the same scan on a real dask.distributed LocalCluster gives the same output."""

from __future__ import annotations

from pathlib import Path

import pytest
from crawl_helpers import demo_collection

from archive.export import ExportOptions, export

distributed = pytest.importorskip("distributed")


def test_dask_local_cluster_output_equals_local_run(tmp_path: Path) -> None:
    coll = demo_collection(tmp_path / "demo")
    local, remote = tmp_path / "local.jsonl", tmp_path / "dask.jsonl"
    opts = {"range_size": 100_000, "dedup": "near", "links_path": None}
    export([coll], str(local), ExportOptions(workers=2, **opts))
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        summary = export(
            [coll], str(remote), ExportOptions(dask_address=cluster.scheduler_address, **opts)
        )
    assert summary.tasks > 1 and summary.exported == 62
    assert remote.read_bytes() == local.read_bytes()
