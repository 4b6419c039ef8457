"""Bulk export of an archive's clean text: JSONL, Parquet, WET, plain text; link graphs.

``export(inputs, out, ExportOptions(...))`` is the whole job; of the pieces, what other
code uses is exported too (filters, deduplication, the :class:`DocumentStream` that
:mod:`archive.reextract` shares).

Where to look, in the order an export runs:

* ``_export``: :func:`export` and its options, the whole job top-down;
* ``_plan``: inputs -> archive files -> scan tasks;
* ``_scan``: the worker side: the tasks run (inline, process pool, Dask), each task's
  records read into documents, and the shards that carry them back;
* ``_stream``: :class:`DocumentStream`, the documents back in task order, joined across
  tasks and judged (shared with re-extraction);
* ``_writers``: the output formats and the link graph.

What these share: ``_documents`` (the :class:`Document`), ``_fill`` (a document filled from
metadata and conversion records or from a fresh analysis), ``_filters``, ``_dedup``,
``_summary`` (the progress bar and the :class:`ExportSummary`).
"""

from __future__ import annotations

import logging

from ._dedup import Deduplicator
from ._documents import Document
from ._export import ExportOptions, export
from ._filters import Filters, parse_time_bound
from ._plan import resolve_inputs
from ._stream import DocumentStream

__all__ = [
    "Deduplicator",
    "Document",
    "DocumentStream",
    "ExportOptions",
    "Filters",
    "export",
    "parse_time_bound",
    "resolve_inputs",
]

logging.getLogger(__name__).addHandler(logging.NullHandler())
