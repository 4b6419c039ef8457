"""A collection: the one place that knows its layout, its index, its captures and analyses.

``Collection.open(path)`` turns a path (a collection, or an output directory holding
``collections/<name>/``) into a :class:`Collection`, with one rule and one error
(:class:`CollectionNotFound`) for every command. Where to look:

* :mod:`._collection`: the layout (WARC files, index, side index, journal, state, lock),
  index look-ups (``captures``, ``nearest``, ``iter_prefix``), index updates, reading a
  record safely by an index entry, ``analysis`` and ``last_capture``;
* :mod:`._capture`: the one capture loader (status, headers, payload, de-chunking,
  revisits resolved to the original) that replay, ``crawl --from-archive`` and recrawls use;
* :mod:`._sideindex`: the sorted side index of metadata/conversion records;
* :mod:`._lock`: one run at a time per collection;
* :mod:`._history`: one line per run (outcome, counts per change kind);
* :mod:`._lastcaptures`: every URL's last capture and its links, kept for recrawls (and
  shared with other crawls through a :class:`SharedTable`).

The rule for which analysis record counts is :mod:`archive.analysis`'s.
"""

from __future__ import annotations

from ._capture import Capture, CaptureError, iter_file, size_of
from ._collection import Analysis, Collection, CollectionNotFound, LastCapture
from ._history import Outcome, Run, stamp
from ._lastcaptures import LastCaptures, Outlinks, SharedTable
from ._lock import CollectionBusy

__all__ = [
    "Analysis",
    "Capture",
    "CaptureError",
    "Collection",
    "CollectionBusy",
    "CollectionNotFound",
    "LastCapture",
    "LastCaptures",
    "Outcome",
    "Outlinks",
    "Run",
    "SharedTable",
    "iter_file",
    "size_of",
    "stamp",
]
