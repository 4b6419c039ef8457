"""Replay into spiders: answer Scrapy's requests from a WARC collection, not the network.

:class:`ArchiveDownloadHandler` is a download handler for ``http`` and ``https`` that looks a
request's URL up in the collection's sorted CDXJ index (binary search) and returns the
stored response: its status, every header (repeated ones kept) and the body as stored,
still content-encoded, so HttpCompression decodes it as it would off the wire. No socket is
opened. A redirect capture replays as a redirect, so the Redirect middleware follows it to
the next archived hop; robots.txt comes from the archive like any other URL. A revisit
record resolves to the capture it repeats. A URL with no capture gets a 404 flagged
``archive-miss``.

:class:`ArchiveSource` turns a request into the stored response with
:class:`archive.collection.Collection` (which finds and loads captures, revisits resolved)
and knows nothing of Scrapy's engine. :class:`ArchiveReplayAddon` sets a crawl up to replay.

Modules: ``_options`` (settings), ``_addon`` (the add-on), ``_handler`` (the download handler).
The handler is loaded by Scrapy as ``crawler.archive_source.ArchiveDownloadHandler``
(:data:`HANDLER`).
"""

from __future__ import annotations

from ._addon import HANDLER, ArchiveReplayAddon
from ._handler import HIT_FLAG, MISS_FLAG, ArchiveDownloadHandler, ArchiveSource
from ._options import ReplayOptions

__all__ = [
    "HANDLER",
    "HIT_FLAG",
    "MISS_FLAG",
    "ArchiveDownloadHandler",
    "ArchiveReplayAddon",
    "ArchiveSource",
    "ReplayOptions",
]
