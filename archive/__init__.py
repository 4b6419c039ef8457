"""warcloom's archive library: WARC records, writing, reading, indexing, checking.

A plain library (it never imports Scrapy) that a spider, a CLI or a Dask worker can call.
Text extraction lives in :mod:`archive.extraction`, imported on demand (it loads
trafilatura and langdetect).
"""

from __future__ import annotations

import logging

from archive.records import (
    HttpExchange,
    build_capture,
    build_conversion_record,
    build_metadata_record,
    parse_warc_fields,
)
from archive.writer import WarcWriter, recover_open_files

__all__ = [
    "HttpExchange",
    "WarcWriter",
    "build_capture",
    "build_conversion_record",
    "build_metadata_record",
    "parse_warc_fields",
    "recover_open_files",
]

logging.getLogger(__name__).addHandler(logging.NullHandler())
