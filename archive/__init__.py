"""warcloom's archive library: WARC records, writing, reading, indexing, checking.

A plain library (it never imports Scrapy) that a spider, a CLI or a Dask worker can call,
one subpackage or module a job: :mod:`archive.records` builds records,
:mod:`archive.writer` writes them, :mod:`archive.reader` reads them.
Text extraction lives in :mod:`archive.extraction`, imported on demand (it loads
trafilatura and langdetect).
"""

from __future__ import annotations

import logging

logging.getLogger(__name__).addHandler(logging.NullHandler())
