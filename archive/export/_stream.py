"""The shared "read responses -> analyse in a pool" step: :class:`DocumentStream` runs the
scan tasks, then gives their documents back in task order with the records of other tasks
joined to them (the newest wins), either whole (re-extraction) or as verdicts and places
(an export, which loads only the documents it keeps)."""

from __future__ import annotations

import pickle
import tempfile
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from archive.analysis import Newest
from archive.extraction import ExtractionOptions, LinksWanted

from ._dedup import fingerprint
from ._documents import Document
from ._fill import apply_conversion, apply_metadata
from ._filters import Filters
from ._plan import DEFAULT_RANGE_SIZE, InputFile, ScanMode, plan_tasks
from ._scan import Part, ShardReader, Verdict, run_tasks
from ._summary import ExportSummary, Progress

__all__ = ["DocumentStream", "Location"]

#: Where a document lies: (task index, number in its shard), or (-1, position) in the
#: scratch file of documents joined with records of other tasks.
Location = tuple[int, int]


class DocumentStream:
    """The shared "read responses -> analyse in a pool" step of export and re-extraction.

    Building it runs the scan tasks; iterating it yields every response that has text, in
    archive order, with records from other tasks joined (the newest wins). ``summary``
    counts as it goes.
    """

    def __init__(
        self,
        files: Sequence[InputFile],
        *,
        mode: ScanMode,
        options: ExtractionOptions,
        fingerprint: str = "none",
        workers: int | None = None,
        dask_address: str | None = None,
        range_size: int = DEFAULT_RANGE_SIZE,
        since: Any = None,
        progress: bool | None = None,
        keep_empty: bool = False,
        links: LinksWanted = "all",
        keep_metadata: bool = True,
        filters: Filters | None = None,
        on_started: Callable[[], None] | None = None,
    ) -> None:
        self.keep_empty = keep_empty
        self.filters = filters
        self.summary = ExportSummary(files=len(files), dedup="none")
        self.fingerprint = fingerprint
        self._scratch = tempfile.TemporaryDirectory(prefix="warcloom-export-")
        self.scratch = Path(self._scratch.name)
        shard_dir = None if dask_address else self._scratch.name
        tasks = plan_tasks(
            files,
            mode=mode,
            options=options,
            fingerprint=fingerprint,
            shard_dir=shard_dir,
            range_size=range_size,
            since=since,
            links=links,
            keep_metadata=keep_metadata,
            filters=filters,
        )
        self.summary.tasks = len(tasks)
        bar = Progress(sum((t.end or t.size) - t.start for t in tasks), progress)
        try:
            self.results = run_tasks(
                tasks,
                workers=workers,
                dask_address=dask_address,
                on_done=bar.done,
                on_started=on_started,
            )
        finally:
            bar.close()
        for result in self.results:
            self.summary.records_read += result.records
            self.summary.bytes_read += result.bytes_read
            self.summary.extracted += result.extracted
            self.summary.errors.extend(result.errors)
            if result.index_mismatch is not None:
                self.summary.index_mismatches.append(result.index_mismatch)
        self._best = self._best_parts()
        self._readers: OrderedDict[int, ShardReader] = OrderedDict()
        self._spilled: Any = None

    def _best_parts(self) -> Newest[tuple[int, int]]:
        """Newest part (task, number) per response and kind among the records joined
        outside their task."""
        best: Newest[tuple[int, int]] = Newest()
        for result in self.results:
            for kind, refers_to, rank, number in result.parts:
                best.offer(refers_to, kind, rank, lambda t=result.task.index, n=number: (t, n))
        return best

    def _reader(self, task_index: int) -> ShardReader:
        reader = self._readers.get(task_index)
        if reader is None:
            reader = ShardReader(self.results[task_index])
            self._readers[task_index] = reader
            if len(self._readers) > 32:
                _, old = self._readers.popitem(last=False)
                old.close()
        else:
            self._readers.move_to_end(task_index)
        return reader

    def __iter__(self) -> Iterator[Document]:
        for result in self.results:
            own = ShardReader(result)
            try:
                for item in own:
                    if isinstance(item, Document):
                        self._join(item)
                        if not item.text.strip():
                            if item.meta_rank or item.conv_rank:
                                self.summary.no_text += 1
                            elif item.unanalysed:
                                self.summary.unanalysed += 1
                            if not (self.keep_empty and item.source == "extracted"):
                                continue
                        fingerprint(item, self.fingerprint)
                        self.summary.documents += 1
                        yield item
            finally:
                own.close()

    def judged(self) -> Iterator[tuple[Verdict, Location]]:
        """What ``__iter__`` yields, filtered by the stream's ``filters``, as verdicts and
        where each document lies (for :meth:`load`), counting rejects in
        ``summary.filtered``. The workers judged the documents; only one that records of
        another task are joined to is loaded here (and judged again, joined)."""
        assert self.filters is not None and not self.keep_empty
        joined = self._best.response_ids()
        spill = None
        try:
            for result in self.results:
                for verdict in result.verdicts:
                    location: Location = (result.task.index, verdict.number)
                    if verdict.response_id in joined:
                        doc = self._reader(result.task.index).get(verdict.number)
                        verdict, doc = self._rejudge(verdict, doc)
                        if verdict.has_text and verdict.rule is None:
                            if spill is None:
                                spill = open(self.scratch / "joined.pkl", "wb")  # noqa: SIM115
                            location = (-1, spill.tell())
                            pickle.dump(doc, spill, protocol=pickle.HIGHEST_PROTOCOL)
                    if not verdict.has_text:
                        if verdict.referred:
                            self.summary.no_text += 1
                        elif verdict.unanalysed:
                            self.summary.unanalysed += 1
                        continue
                    self.summary.documents += 1
                    if verdict.rule is not None:
                        self.summary.filtered[verdict.rule] += 1
                        continue
                    yield verdict, location
        finally:
            if spill is not None:
                spill.close()

    def _rejudge(self, verdict: Verdict, doc: Document) -> tuple[Verdict, Document]:
        assert self.filters is not None
        self._join(doc)
        verdict = Verdict.of(verdict.number, doc, self.filters)
        if verdict.has_text:
            fingerprint(doc, self.fingerprint)
        return verdict, doc

    def load(self, location: Location) -> Document:
        """A document :meth:`judged` gave the location of (fingerprinted)."""
        task_index, number = location
        if task_index < 0:
            if self._spilled is None:
                self._spilled = open(self.scratch / "joined.pkl", "rb")  # noqa: SIM115
            self._spilled.seek(number)
            return pickle.load(self._spilled)
        doc = self._reader(task_index).get(number)
        fingerprint(doc, self.fingerprint)
        return doc

    def _join(self, doc: Document) -> None:
        meta = self._best.ranked(doc.response_id, "metadata")
        if meta is not None and (doc.meta_rank is None or meta[0] > doc.meta_rank):
            part: Part = self._reader(meta[1][0]).get(meta[1][1])
            apply_metadata(doc, part.fields or {}, part.rank)
        conv = self._best.ranked(doc.response_id, "conversion")
        if conv is not None and (doc.conv_rank is None or conv[0] > doc.conv_rank):
            part = self._reader(conv[1][0]).get(conv[1][1])
            apply_conversion(doc, part.title, part.text, part.rank)
            doc.text_hash, doc.minhash = part.text_hash, part.minhash

    def close(self) -> None:
        for reader in self._readers.values():
            reader.close()
        self._readers.clear()
        if self._spilled is not None:
            self._spilled.close()
            self._spilled = None
        self._scratch.cleanup()

    def __enter__(self) -> DocumentStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
