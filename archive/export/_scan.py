"""The worker side: read one file (or one range of a file) into documents.

One pass over the records. Each ``response`` (or ``resource``) record becomes a
:class:`Document`; the ``metadata`` and ``conversion`` records that refer to it fill it in.
Records that refer to a response outside this task (a re-extraction written to a newer
file, or a range boundary) are kept as *parts*, which the exporting process joins.

Text comes from the archive's own records when it has them. A file without any (Heritrix,
wget, Common Crawl WARC files) has its HTML responses analysed here, with the crawl's
pipeline (:func:`archive.extraction.analyse_pages`, in batches of ``BATCH`` pages): an HTML
response is held back for up to ``WINDOW`` records, and analysed only if no referring record
has appeared in the file by then. ``mode="extract"`` analyses every HTML response and ignores
the archive's records. Only HTML with a 2xx status (or no status: ``resource`` records) is
analysed, as in a crawl.

In ``mode="archive"``, a file of a collection comes with its indexed members (offset,
length, URL): once the file has shown referring records, the scan has no use for response
bodies, so those are not inflated (:class:`archive.reader.BlockSkipper`: only the headers
are, and reading moves on by the indexed length). Where the file and the index disagree,
the rest of the file is read in full and the result says where (``index_mismatch``).

Results go to a shard (:mod:`._shard`).
"""

from __future__ import annotations

import logging
from collections import OrderedDict, deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from archive.reader import BlockSkipper, ReadError, RecordRef, iter_records

from ._dedup import minhash_values, text_hash
from ._documents import LOWEST_DATE, Document, Rank, parse_warc_datetime
from ._fill import (
    APPLIED_FIELDS,
    apply_analysis,
    apply_conversion,
    apply_metadata,
    parse_metadata,
    split_conversion,
)
from ._shard import Shard
from ._tasks import Part, ScanResult, ScanTask, Verdict

if TYPE_CHECKING:
    from archive.extraction import HtmlPage, PageAnalysis

__all__ = ["run_scan"]

logger = logging.getLogger(__name__)

WINDOW = 64  # records an HTML response waits for a referring record before it is analysed
WINDOW_BYTES = 32 << 20  # and at most this many body bytes wait
FLUSH_AFTER = 2000  # records after which a document is written out even if incomplete
BATCH = 16  # pages analysed together (stage by stage: faster, see analyse_pages)
BATCH_BYTES = 16 << 20  # or fewer, when their bodies reach this size
_DOC_TYPES = ("response", "resource")
_PART_TYPES = ("metadata", "conversion")
_WARC_FIELDS = "application/warc-fields"


@dataclass
class _Pending:
    doc: Document
    seq: int
    body: bytes | None = None
    content_type: str | None = None
    content_language: str | None = None
    queued: bool = False  # waiting in the analysis batch


def run_scan(task: ScanTask) -> ScanResult:
    """Read the task's records into documents and parts (runs in a worker)."""
    return _Scanner(task).run()


class _Scanner:
    def __init__(self, task: ScanTask) -> None:
        self.task = task
        self.result = ScanResult(task)
        self.shard = Shard(task, self.result)
        self.pending: OrderedDict[str, _Pending] = OrderedDict()
        self.bodies: deque[_Pending] = deque()
        self.body_bytes = 0
        self.queue: list[tuple[_Pending, HtmlPage]] = []
        self.queue_bytes = 0
        self.referring_seen = False  # the file has its own metadata/conversion records
        self.seq = 0

    def run(self) -> ScanResult:
        task = self.task
        skipper = None
        if task.members and task.mode == "archive":
            skipper = BlockSkipper(task.members, self._block_unneeded)
        records = iter_records(
            task.path, errors=self.result.errors, start=task.start, end=task.end, skipper=skipper
        )
        try:
            for ref in records:
                self.seq += 1
                self.result.records += 1
                try:
                    self._record(ref)
                except Exception as exc:  # one bad record never stops the export
                    logger.warning("%s: offset %d: %r", task.path, ref.offset, exc)
                    self.result.errors.append(ReadError(task.path, ref.offset, repr(exc)))
                self._decide_bodies()
                self._flush()
            self._decide_bodies(final=True)
            self._analyse_queue()
            self._flush(final=True)
        finally:
            records.close()
            self.shard.close()
        end = task.size if task.end is None else min(task.end, task.size)
        self.result.bytes_read = max(0, end - task.start)
        if skipper is not None:
            self.result.blocks_skipped = skipper.skipped
            if skipper.mismatch is not None:
                offset, reason = skipper.mismatch
                message = f"{reason}: the index does not fit the file, read in full from here"
                logger.warning("%s: offset %d: %s", task.path, offset, message)
                self.result.index_mismatch = ReadError(task.path, offset, message)
        return self.result

    def _block_unneeded(self, ref: RecordRef) -> bool:
        """Whether a response's body is of no use (asked with its headers only): once the
        file has shown its own metadata/conversion records, nothing is analysed on the fly."""
        return self.referring_seen and ref.rec_type in _DOC_TYPES

    # -- records ---------------------------------------------------------------------------

    def _record(self, ref: RecordRef) -> None:
        rec_type = ref.rec_type
        if rec_type in _DOC_TYPES:
            self._response(ref)
        elif rec_type in _PART_TYPES and self.task.mode == "archive":
            refers_to = ref.header("WARC-Refers-To")
            if refers_to:
                self._part(ref, refers_to.strip())

    def _response(self, ref: RecordRef) -> None:
        task = self.task
        url = (ref.header("WARC-Target-URI") or "").strip().strip("<>")
        rid = ref.header("WARC-Record-ID") or f"<{task.path}#{ref.offset}>"
        http = ref.http_headers if ref.rec_type == "response" else None
        status: int | None = None
        if http is not None:
            try:
                status = int(http.get_statuscode())
            except (TypeError, ValueError):
                status = None
            content_type = http.get_header("Content-Type")
        else:
            content_type = ref.header("Content-Type")
        mime = (content_type or "").split(";")[0].strip().lower()
        doc = Document(
            url=url,
            timestamp=parse_warc_datetime(ref.header("WARC-Date")),
            status=status,
            mime=mime,
            content_digest=ref.header("WARC-Payload-Digest"),
            warc_filename=task.display_name,
            warc_offset=ref.offset,
            warc_length=ref.length,
            response_id=rid,
        )
        # analysed as the crawl analyses: HTML with a 2xx status (or none, for resources)
        wanted = doc.is_html and (status is None or 200 <= status < 300)
        entry = _Pending(doc, self.seq)
        self.pending[rid] = entry
        if not wanted:
            return
        if task.mode == "extract":
            if task.since is not None and (doc.timestamp is None or doc.timestamp < task.since):
                return
            body = ref.read_content()
            self._queue_analysis(entry, body, content_type, _header(http, "Content-Language"))
        elif not self.referring_seen:
            entry.body = ref.read_content()
            entry.content_type = content_type
            entry.content_language = _header(http, "Content-Language")
            self.bodies.append(entry)
            self.body_bytes += len(entry.body)

    def _part(self, ref: RecordRef, refers_to: str) -> None:
        kind = ref.rec_type
        if kind == "metadata":
            ctype = (ref.header("Content-Type") or "").split(";")[0].strip().lower()
            if ctype != _WARC_FIELDS:
                return
        self._referring()
        date = parse_warc_datetime(ref.header("WARC-Date")) or LOWEST_DATE
        rank: Rank = (date, self.task.index, self.seq)
        block = ref.read_content()
        entry = self.pending.get(refers_to)
        if kind == "metadata":
            only = None if self.task.keep_metadata else APPLIED_FIELDS
            fields = parse_metadata(block, self.task.links, only)
            if entry is not None:
                if entry.doc.meta_rank is None or rank > entry.doc.meta_rank:
                    apply_metadata(entry.doc, fields, rank)
                    if not self.task.keep_metadata:
                        entry.doc.metadata = None
                return
            part = Part("metadata", refers_to, rank, fields=fields)
        else:
            title, text = split_conversion(block)
            if entry is not None:
                if entry.doc.conv_rank is None or rank > entry.doc.conv_rank:
                    apply_conversion(entry.doc, title, text, rank)
                    entry.doc.text_hash = b""
                return
            part = Part("conversion", refers_to, rank, title=title, text=text)
            self._fingerprint(part)
        number = self.shard.add(part)
        self.result.parts.append((kind, refers_to, rank, number))

    def _referring(self) -> None:
        """The file has extraction records: stop analysing on the fly, drop held bodies."""
        if self.referring_seen:
            return
        self.referring_seen = True
        for entry in self.bodies:
            entry.body = None
        self.bodies.clear()
        self.body_bytes = 0

    # -- analysis --------------------------------------------------------------------------

    def _queue_analysis(
        self, entry: _Pending, body: bytes, content_type: str | None, language: str | None
    ) -> None:
        """Queue a page; the queue is analysed as one batch when full (see analyse_pages)."""
        from archive.extraction import HtmlPage

        entry.queued = True
        self.queue.append((entry, HtmlPage(body, entry.doc.url, content_type, language)))
        self.queue_bytes += len(body)
        if len(self.queue) >= BATCH or self.queue_bytes >= BATCH_BYTES:
            self._analyse_queue()

    def _analyse_queue(self) -> None:
        from archive.extraction import analyse_pages  # trafilatura: only when analysing

        queue, self.queue, self.queue_bytes = self.queue, [], 0
        options = self.task.options
        try:
            analyses = analyse_pages([page for _, page in queue], options)
        except Exception:  # analyse_pages has no error to raise: one page's bug costs only it
            analyses = [self._analyse_alone(entry, page) for entry, page in queue]
        for entry, _ in queue:
            entry.queued = False
        for (entry, _), analysis in zip(queue, analyses, strict=True):
            if analysis is None:
                continue
            doc = entry.doc
            apply_analysis(doc, analysis, self.task.options)
            # what the documents do not need is dropped here, before it is pickled (twice)
            if self.task.links != "all":
                keep = self.task.links == "related"
                doc.links = [x for x in doc.links if keep and x["region"] == "related"]
            if not self.task.keep_metadata:
                doc.metadata = None
            self.result.extracted += 1

    def _analyse_alone(self, entry: _Pending, page: HtmlPage) -> PageAnalysis | None:
        """One page of a failed batch; a failure is reported with the record's offset."""
        from archive.extraction import analyse_pages

        try:
            return analyse_pages([page], self.task.options)[0]
        except Exception as exc:
            logger.warning("%s: offset %d: %r", self.task.path, entry.doc.warc_offset, exc)
            message = f"analysis failed: {exc!r}"
            self.result.errors.append(ReadError(self.task.path, entry.doc.warc_offset, message))
            return None

    def _decide_bodies(self, final: bool = False) -> None:
        while self.bodies and (
            final or self.seq - self.bodies[0].seq >= WINDOW or self.body_bytes > WINDOW_BYTES
        ):
            entry = self.bodies.popleft()
            body = entry.body
            entry.body = None
            if body is None:
                continue
            self.body_bytes -= len(body)
            doc = entry.doc
            if doc.meta_rank is None and doc.conv_rank is None:
                self._queue_analysis(entry, body, entry.content_type, entry.content_language)

    # -- output ----------------------------------------------------------------------------

    def _flush(self, final: bool = False) -> None:
        while self.pending:
            rid, entry = next(iter(self.pending.items()))
            if entry.queued:  # written in order: wait for its batch
                return
            doc = entry.doc
            complete = (
                self.task.mode == "extract"
                or doc.source == "extracted"
                or (doc.meta_rank is not None and doc.conv_rank is not None)
            )
            if not final and entry.body is not None:
                return
            if not (final or complete or self.seq - entry.seq >= FLUSH_AFTER):
                return
            del self.pending[rid]
            if doc.text and not doc.text_hash:
                self._fingerprint(doc)
            number = self.shard.add(doc)
            if self.task.filters is not None:
                has_text = bool(doc.text.strip())
                self.result.verdicts.append(
                    Verdict(
                        number,
                        doc.response_id,
                        doc.url,
                        doc.timestamp.timestamp() if doc.timestamp else float("-inf"),
                        has_text,
                        bool(doc.meta_rank or doc.conv_rank),
                        self.task.filters.rejects(doc) if has_text else None,
                    )
                )

    def _fingerprint(self, item: Document | Part) -> None:
        if self.task.fingerprint == "none" or not item.text:
            return
        item.text_hash = text_hash(item.text)
        if self.task.fingerprint == "near":
            item.minhash = minhash_values(item.text)


def _header(http: Any, name: str) -> str | None:
    return http.get_header(name) if http is not None else None
