"""Bulk export of an archive's clean text: JSONL, Parquet, WET, plain text; link graphs.

``export(inputs, out, ExportOptions(...))`` is the whole job; the pieces (filters,
deduplication, writers, the parallel scan) are importable for other uses, such as
:mod:`archive.reextract`.

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

from ._dedup import DEFAULT_THRESHOLD, Deduplicator, normalise, text_hash
from ._documents import Document
from ._export import ExportOptions, export
from ._filters import FILTER_RULES, Filters, parse_time_bound
from ._plan import InputFile, plan_tasks, resolve_inputs
from ._scan import default_workers, run_tasks
from ._stream import DocumentStream
from ._summary import ExportSummary
from ._writers import FORMATS, LinkWriter, export_schema, link_schema, open_writer

__all__ = [
    "DEFAULT_THRESHOLD",
    "FILTER_RULES",
    "FORMATS",
    "Deduplicator",
    "Document",
    "DocumentStream",
    "ExportOptions",
    "ExportSummary",
    "Filters",
    "InputFile",
    "LinkWriter",
    "default_workers",
    "export",
    "export_schema",
    "link_schema",
    "normalise",
    "open_writer",
    "parse_time_bound",
    "plan_tasks",
    "resolve_inputs",
    "run_tasks",
    "text_hash",
]

logging.getLogger(__name__).addHandler(logging.NullHandler())
