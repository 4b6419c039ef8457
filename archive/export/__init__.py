"""Bulk export of an archive's clean text: JSONL, Parquet, WET, plain text; link graphs.

``export(inputs, out, ExportOptions(...))`` is the whole job; the pieces (filters,
deduplication, writers, the parallel scan) are importable for other uses, such as
:mod:`archive.reextract`.
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
