"""CDXJ indexes of WARC/ARC files, in the form pywb reads (``surt timestamp14 {json}``).

What is indexed follows pywb's own indexer (the one ``wb-manager add`` runs) and cdxj-indexer's
defaults: ``response``, ``revisit``, and ``resource``/``metadata`` records that are not
``application/warc-fields``; never ``warcinfo`` or ``request`` records. A POST/PUT request
next to its response (linked by WARC-Concurrent-To) puts its body into the response's key
(``?__wb_method=post&...``), with cdxj-indexer's own canonicalization, so that pywb finds POST
captures. Values are strings; ``sha1:`` is dropped from digests; empty fields are left out.

warcloom's ``conversion`` records are left out (cdxj-indexer does the same; pywb's
``wb-manager`` would index them as ``text/plain`` captures of the page URL). What they and the
``metadata`` record say about a response is joined into its line instead: ``languages``
(ISO 639-3 codes, most of the text first, comma-joined as in Common Crawl's index), ``title``
and ``charset``. The newest referring record (by WARC-Date) wins, across all files indexed
together.

Lines are sorted in byte order (as ``LC_ALL=C sort``), which is the order pywb's binary search
expects. :func:`lookup` does that search on a file with seeks, without loading it.
"""

from __future__ import annotations

from archive.index._build import index_files, iter_index
from archive.index._entry import IndexEntry, url_key
from archive.index._lookup import iter_prefix, lookup
from archive.index._write import (
    UpdateResult,
    archive_files,
    rebuild_index,
    update_index,
    write_index,
)

__all__ = [
    "IndexEntry",
    "UpdateResult",
    "archive_files",
    "index_files",
    "iter_index",
    "iter_prefix",
    "lookup",
    "rebuild_index",
    "update_index",
    "url_key",
    "write_index",
]
