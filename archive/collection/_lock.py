"""One run at a time per collection: an exclusive ``flock`` on the collection's lock file.

The kernel drops the lock when its process ends, however it ends (SIGKILL included), so a
lock left by a dead run is free again without any clean-up. The file also says who holds
it (host, pid, what, since when) for the message a second run gets. Within one process the
lock is counted: the command that starts a crawl and the crawl's WARC store both take it,
and it is let go when both have released it.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import time
from pathlib import Path

__all__ = ["CollectionBusy", "CollectionLock"]

_HELD: dict[str, list[int]] = {}  # lock path -> [fd, holders in this process]


class CollectionBusy(RuntimeError):
    """The collection is held by another run; the message names it."""


class CollectionLock:
    """Held from :meth:`acquire` until :meth:`release` or the end of the process."""

    def __init__(self, path: Path, collection: str) -> None:
        self.path = path
        self.collection = collection
        self.held = False

    def acquire(self, purpose: str) -> None:
        """Take the lock or raise :class:`CollectionBusy` at once (never waits)."""
        if self.held:
            return
        key = str(self.path.resolve())
        if key in _HELD:
            _HELD[key][1] += 1
            self.held = True
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _describe(os.pread(fd, 4096, 0))
            os.close(fd)
            raise CollectionBusy(
                f"collection {self.collection} is in use by {holder} (lock {self.path})"
            ) from None
        holder = {
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "purpose": purpose,
            "since": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, json.dumps(holder).encode() + b"\n", 0)
        except OSError as exc:  # a full disk: the lock is not taken, and says where
            os.close(fd)
            raise OSError(exc.errno, exc.strerror, str(self.path)) from None
        _HELD[key] = [fd, 1]
        self.held = True

    def release(self) -> None:
        if not self.held:
            return
        self.held = False
        key = str(self.path.resolve())
        entry = _HELD[key]
        entry[1] -= 1
        if entry[1] == 0:
            del _HELD[key]
            os.ftruncate(entry[0], 0)
            os.close(entry[0])  # closing drops the flock

    def __enter__(self) -> CollectionLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _describe(raw: bytes) -> str:
    try:
        holder = json.loads(raw.decode("utf-8"))
        return (
            f"{holder['purpose']} (pid {holder['pid']} on {holder['host']}, "
            f"since {holder['since']})"
        )
    except (ValueError, KeyError, TypeError):
        return "another run"
