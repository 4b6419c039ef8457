"""The scan: archive records in, documents out, one task (a file, or a range of one) at a
time, in worker processes.

Running (:func:`run_tasks`): the tasks run inline, in a local process pool or on a Dask
distributed cluster. Results always come back in task order, whatever order the workers
finish in, so the output does not depend on scheduling. ``on_done`` is called as each task
finishes (for a progress bar); ``on_started`` once a local pool has all its workers and tasks
(the exporting process is idle from then on, and may start threads: see ``_pool_context``).

Scanning (:func:`run_scan`, in a worker): one pass over the records. Each ``response`` (or
``resource``) record becomes a :class:`Document`; the ``metadata`` and ``conversion`` records
that refer to it fill it in. Records that refer to a response outside this task (a
re-extraction written to a newer file, or a range boundary) are kept as *parts*, which the
exporting process joins.

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

Shards (:class:`Shard`, :class:`ShardReader`): a task's documents and parts, pickled in
batches of :data:`SHARD_BATCH` items, one batch after another, to a file in a scratch
directory (local pools), or kept in a list returned with the result (Dask workers, which may
not share a disk with the client); written by the scan, read back in order or by number by
the exporting process. A pool worker appends the shards of all its tasks to one file of its
own, which it keeps open: creating a file costs more than writing a small shard on some file
systems (~0.4 ms here). One ``pickle.dump`` per batch rather than per item spreads the cost of
each call (a pickler, its memo, a write) over the batch, and names repeated in it (field
names, the file's name, MIME types) are written once.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import pickle
from collections import OrderedDict, deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from typing import IO, TYPE_CHECKING, Any, NamedTuple

from archive.analysis import analysis_target, parse_warc_date
from archive.extraction import HtmlPage
from archive.reader import BlockSkipper, ReadError, RecordRef, iter_records

from ._dedup import fingerprint
from ._documents import Document, Rank, parse_warc_datetime
from ._fill import (
    APPLIED_FIELDS,
    apply_analysis,
    apply_conversion,
    apply_metadata,
    parse_metadata,
    split_conversion,
)
from ._filters import Filters
from ._plan import ScanTask

if TYPE_CHECKING:
    from archive.extraction import PageAnalysis

__all__ = [
    "SHARD_BATCH",
    "Part",
    "ScanResult",
    "Shard",
    "ShardReader",
    "Verdict",
    "default_workers",
    "run_scan",
    "run_tasks",
    "start_pool_worker",
]

logger = logging.getLogger(__name__)

WINDOW = 64  # records an HTML response waits for a referring record before it is analysed
WINDOW_BYTES = 32 << 20  # and at most this many body bytes wait
FLUSH_AFTER = 2000  # records after which a document is written out even if incomplete
BATCH = 16  # pages analysed together (stage by stage: faster, see analyse_pages)
BATCH_BYTES = 16 << 20  # or fewer, when their bodies reach this size
_DOC_TYPES = ("response", "resource")


@dataclass
class ScanResult:
    """What a task gives back: counts, errors, where its items are (the shard), and what
    the exporting process decides with before loading any (verdicts, parts)."""

    task: ScanTask
    records: int = 0
    bytes_read: int = 0
    extracted: int = 0
    errors: list[ReadError] = field(default_factory=list)
    shard_path: str | None = None
    items: list[Any] | None = None  # when there is no shard directory
    count: int = 0  # items in the shard
    positions: list[int] = field(default_factory=list)  # of every batch in the shard file
    parts: list[tuple[str, str, Rank, int]] = field(default_factory=list)  # kind, id, rank, item
    blocks_skipped: int = 0  # response blocks left uninflated (headers from the index's offsets)
    # per document in the shard, what deciding its fate needs without loading it (valid
    # unless records of another task are joined to it): see Verdict
    verdicts: list[Verdict] = field(default_factory=list)
    index_mismatch: ReadError | None = None  # where the file stopped agreeing with its index


class Verdict(NamedTuple):
    """A document as the task left it, judged: enough to filter it and to choose the latest
    capture of its URL without unpickling it."""

    number: int  # in the shard
    response_id: str
    url: str
    time: float  # capture time (POSIX seconds), -inf when unknown
    has_text: bool
    referred: bool  # metadata or conversion records were found for it
    unanalysed: bool  # an HTML page left without analysis (Document.unanalysed)
    rule: str | None  # the first filter rule it fails (ScanTask.filters), or None
    change: str | None  # the capture's change kind (a recrawl's), or None

    @classmethod
    def of(cls, number: int, doc: Document, filters: Filters) -> Verdict:
        """Document ``number`` of a shard, judged: has it text, which rule of ``filters``
        (if it has) it fails first."""
        has_text = bool(doc.text.strip())
        return cls(
            number,
            doc.response_id,
            doc.url,
            doc.timestamp.timestamp() if doc.timestamp else float("-inf"),
            has_text,
            bool(doc.meta_rank or doc.conv_rank),
            doc.unanalysed,
            filters.rejects(doc) if has_text else None,
            doc.change,
        )


@dataclass
class Part:
    """A metadata or conversion record about a response this task did not see."""

    kind: str  # "metadata" | "conversion"
    refers_to: str
    rank: Rank
    fields: dict[str, Any] | None = None
    title: str = ""
    text: str = ""
    text_hash: bytes = b""
    minhash: Any = None


# -- running the tasks ---------------------------------------------------------------------


OnDone = Callable[[ScanResult], None]
OnStarted = Callable[[], None]


def default_workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def run_tasks(
    tasks: Sequence[ScanTask],
    *,
    workers: int | None = None,
    dask_address: str | None = None,
    on_done: OnDone | None = None,
    on_started: OnStarted | None = None,
) -> list[ScanResult]:
    """Run every task; return the results in task order."""
    if dask_address is not None:
        return _run_dask(tasks, dask_address, on_done)
    workers = workers or default_workers()
    if workers <= 1 or len(tasks) <= 1:
        return _in_task_order(tasks, ((task.index, run_scan(task)) for task in tasks), on_done)
    return _run_pool(tasks, workers, on_done, on_started)


def _in_task_order(
    tasks: Sequence[ScanTask], finished: Iterator[tuple[int, ScanResult]], on_done: OnDone | None
) -> list[ScanResult]:
    """``finished``'s (task index, result) pairs, each to ``on_done`` as it comes; in task order."""
    results: dict[int, ScanResult] = {}
    for index, result in finished:
        results[index] = result
        if on_done is not None:
            on_done(result)
    return [results[task.index] for task in tasks]


def _run_pool(
    tasks: Sequence[ScanTask],
    workers: int,
    on_done: OnDone | None,
    on_started: OnStarted | None = None,
) -> list[ScanResult]:
    context = _pool_context()
    with ProcessPoolExecutor(
        max_workers=min(workers, len(tasks)), mp_context=context, initializer=start_pool_worker
    ) as pool:
        # (a pool forks all its workers at the first submit, spawns them by the last)
        futures = {pool.submit(run_scan, task): task.index for task in tasks}
        if on_started is not None:
            on_started()
        finished = ((futures[future], future.result()) for future in as_completed(futures))
        return _in_task_order(tasks, finished, on_done)


def _single_threaded() -> bool:
    """True when this process runs exactly one thread, counted by the kernel.

    ``threading.active_count()`` misses threads started by C libraries (Arrow's pools,
    BLAS, a Dask client's event loop); ``/proc/self/task`` lists them all.
    """
    try:
        return len(os.listdir("/proc/self/task")) == 1
    except OSError:  # no /proc: cannot tell
        return False


def _pool_context() -> multiprocessing.context.BaseContext:
    """``fork`` when it is safe, else ``forkserver`` (or ``spawn`` where there is none).

    Forking copies only the calling thread; what makes it unsafe is another thread that
    holds a lock (of the allocator, of logging, of an I/O buffer) at that moment, which the
    child then inherits locked forever. With no other thread in the process there is no such
    lock, so a forked worker starts in milliseconds with the modules already imported, where
    a spawned one starts an interpreter and imports them again (~0.5 s each).
    ProcessPoolExecutor forks every worker before it starts its own management thread.

    With other threads running (a crawl's reactor threads, a Dask client, Arrow's pools once
    pyarrow is imported), workers come from a fork server instead: a clean single-threaded
    process, started once per process with the scan module preloaded, that forks them.
    """
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and _single_threaded():
        return multiprocessing.get_context("fork")
    if "forkserver" in methods:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["__main__", __name__])
        return context
    return multiprocessing.get_context("spawn")


def _run_dask(tasks: Sequence[ScanTask], address: str, on_done: OnDone | None) -> list[ScanResult]:
    """The same tasks on a Dask scheduler; results travel back with the futures.

    Input paths must be readable by the workers under the same names (a shared file system).
    """
    try:
        from distributed import Client
        from distributed import as_completed as dask_completed
    except ImportError as exc:  # pragma: no cover - depends on the optional extra
        raise RuntimeError("--dask needs dask.distributed: pip install 'warcloom[dask]'") from exc

    remote = [replace(task, shard_dir=None) for task in tasks]
    with Client(address) as client:
        futures = client.map(run_scan, remote, pure=False)
        index_of = {future.key: task.index for future, task in zip(futures, remote, strict=True)}

        def finished() -> Iterator[tuple[int, ScanResult]]:
            for future in dask_completed(futures):
                yield index_of[future.key], future.result()
                future.release()

        return _in_task_order(tasks, finished(), on_done)


# -- scanning a task -----------------------------------------------------------------------


@dataclass
class _Pending:
    doc: Document
    seq: int
    page: HtmlPage | None = None  # held back, waiting for a referring record
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
        elif self.task.mode == "archive" and (target := analysis_target(ref)) is not None:
            self._part(ref, *target)

    def _response(self, ref: RecordRef) -> None:
        task = self.task
        url = (ref.header("WARC-Target-URI") or "").strip().strip("<>")
        if url.startswith("urn:"):  # made by the crawler (a rendered DOM): not a document
            return
        rid = ref.header("WARC-Record-ID") or f"<{task.path}#{ref.offset}>"
        http = ref.http_headers if ref.rec_type == "response" else None
        status: int | None = None
        if http is not None:
            try:
                status = int(http.get_statuscode())
            except (TypeError, ValueError):
                status = None
            content_type = http.get_header("Content-Type")
            language = http.get_header("Content-Language")
        else:
            content_type, language = ref.header("Content-Type"), None
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
            self._queue_analysis(entry, HtmlPage(ref.read_content(), url, content_type, language))
        elif not self.referring_seen:
            entry.page = HtmlPage(ref.read_content(), url, content_type, language)
            self.bodies.append(entry)
            self.body_bytes += len(entry.page.body)

    def _part(self, ref: RecordRef, kind: str, refers_to: str) -> None:
        self._referring()
        rank: Rank = (parse_warc_date(ref.header("WARC-Date")), self.task.index, self.seq)
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
            if text:
                fingerprint(part, self.task.fingerprint)
        number = self.shard.add(part)
        self.result.parts.append((kind, refers_to, rank, number))

    def _referring(self) -> None:
        """The file has extraction records: stop analysing on the fly, drop held bodies."""
        if self.referring_seen:
            return
        self.referring_seen = True
        for entry in self.bodies:
            entry.page = None
        self.bodies.clear()
        self.body_bytes = 0

    # -- analysis --------------------------------------------------------------------------

    def _queue_analysis(self, entry: _Pending, page: HtmlPage) -> None:
        """Queue a page; the queue is analysed as one batch when full (see analyse_pages)."""
        entry.queued = True
        self.queue.append((entry, page))
        self.queue_bytes += len(page.body)
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
            page, entry.page = entry.page, None
            if page is None:
                continue
            self.body_bytes -= len(page.body)
            doc = entry.doc
            if doc.meta_rank is None and doc.conv_rank is None:
                self._queue_analysis(entry, page)

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
            if not final and entry.page is not None:
                return
            if not (final or complete or self.seq - entry.seq >= FLUSH_AFTER):
                return
            del self.pending[rid]
            if doc.text:
                fingerprint(doc, self.task.fingerprint)
            number = self.shard.add(doc)
            if self.task.filters is not None:
                self.result.verdicts.append(Verdict.of(number, doc, self.task.filters))


# -- shards --------------------------------------------------------------------------------


# items per pickled batch: item n is number n % SHARD_BATCH of batch n // SHARD_BATCH
SHARD_BATCH = 64


class Shard:
    """Writes a task's items, each numbered in order of arrival."""

    def __init__(self, task: ScanTask, result: ScanResult) -> None:
        self.result = result
        self._fh: IO[bytes] | None = None
        self._own_file = False
        self._batch: list[Any] = []
        if task.shard_dir is None:
            result.items = []
        elif _pool_worker:
            result.shard_path, self._fh = _worker_file(task.shard_dir)
        else:
            result.shard_path = os.path.join(task.shard_dir, f"shard-{task.index:06d}.pkl")
            self._fh = open(result.shard_path, "wb")  # noqa: SIM115 - closed in close()
            self._own_file = True

    def add(self, item: Any) -> int:
        """Store an item; returns its number in the shard."""
        result = self.result
        number = result.count
        result.count = number + 1
        if self._fh is not None:
            self._batch.append(item)
            if len(self._batch) >= SHARD_BATCH:
                self._write()
        else:
            assert result.items is not None
            result.items.append(item)
        return number

    def _write(self) -> None:
        assert self._fh is not None
        self.result.positions.append(self._fh.tell())
        pickle.dump(self._batch, self._fh, protocol=pickle.HIGHEST_PROTOCOL)
        self._batch = []

    def close(self) -> None:
        if self._fh is not None:
            if self._batch:
                self._write()
            if self._own_file:
                self._fh.close()
            else:
                self._fh.flush()  # read by the exporting process once the task is done


_pool_worker = False  # this process is a worker of a local pool (see start_pool_worker)


def start_pool_worker() -> None:
    """Initializer of a local pool's workers: each keeps one shard file for its tasks."""
    global _pool_worker
    _pool_worker = True


_worker_files: dict[str, tuple[int, str, IO[bytes]]] = {}  # shard_dir -> (pid, path, file)


def _worker_file(shard_dir: str) -> tuple[str, IO[bytes]]:
    """This process's shard file in ``shard_dir``, open for appending (left to close when
    the worker exits)."""
    pid = os.getpid()
    known = _worker_files.get(shard_dir)
    if known is not None and known[0] == pid:
        return known[1], known[2]
    path = os.path.join(shard_dir, f"shard-worker-{pid}.pkl")
    fh = open(path, "ab")  # noqa: SIM115 - open for the worker's life
    _worker_files.clear()  # (files of earlier exports, or of the process forked from)
    _worker_files[shard_dir] = (pid, path, fh)
    return path, fh


class ShardReader:
    """Reads a task's items back, in order or one by number.

    Every item comes out as a new object, as if unpickled on its own: :meth:`get` keeps the
    last batch it loaded, but gives each of its items out once, and loads the batch again
    for an item asked for a second time (callers change the items they get).
    """

    def __init__(self, result: ScanResult) -> None:
        self.result = result
        self._fh = open(result.shard_path, "rb") if result.shard_path else None  # noqa: SIM115
        self._batch_no = -1
        self._batch: list[Any] = []

    def __iter__(self) -> Iterator[Any]:
        if self._fh is None:
            yield from self.result.items or ()
            return
        for position in self.result.positions:
            self._fh.seek(position)
            yield from pickle.load(self._fh)

    def get(self, number: int) -> Any:
        if self._fh is None:
            assert self.result.items is not None
            return self.result.items[number]
        if not 0 <= number < self.result.count:
            raise IndexError(f"no item {number} in the shard")
        batch_no, at = divmod(number, SHARD_BATCH)
        batch = self._batch
        if batch_no != self._batch_no or batch[at] is _TAKEN:
            self._fh.seek(self.result.positions[batch_no])
            batch = self._batch = pickle.load(self._fh)
            self._batch_no = batch_no
        item = batch[at]
        batch[at] = _TAKEN
        return item

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
        self._batch = []


_TAKEN = object()  # in a loaded batch, in place of an item given out
