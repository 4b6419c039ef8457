"""Redis outages: calls fail fast while Redis is away, retried with backoff, then given up."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

import redis

__all__ = ["OUTAGE_ERRORS", "RedisDown", "RedisGuard"]

logger = logging.getLogger(__name__)

T = TypeVar("T")

#: The errors that mean "Redis cannot be reached right now" (not a bug of ours).
OUTAGE_ERRORS = (redis.ConnectionError, redis.TimeoutError, redis.BusyLoadingError, OSError)


class RedisDown(Exception):
    """Redis is unreachable: the worker pauses (nothing taken, nothing acknowledged)."""


class RedisGuard:
    """Runs Redis calls; after a failure, refuses calls until the next retry time (0.5 s,
    doubling to 10 s), says once that the crawl is paused and once that it resumed, and
    calls ``on_give_up(message)`` when Redis stayed away ``give_up`` seconds."""

    def __init__(
        self,
        where: str,
        give_up: float,
        on_give_up: Callable[[str], None],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.where = where
        self.give_up = give_up
        self.on_give_up = on_give_up
        self.clock = clock
        self.calls = 0
        self.outages = 0
        self.down_since: float | None = None
        self._retry_at = 0.0
        self._backoff = 0.5
        self._gave_up = False
        self._last_error = ""

    @property
    def down(self) -> bool:
        return self.down_since is not None

    def call(self, func: Callable[..., T], *args: object) -> T:
        """``func(*args)``, or RedisDown (now, or while waiting for the next retry)."""
        now = self.clock()
        if self.down_since is not None and now < self._retry_at:
            self.check_give_up()
            raise RedisDown(self._last_error)
        self.calls += 1
        try:
            result = func(*args)
        except OUTAGE_ERRORS as exc:
            self._failed(exc, now)
            raise RedisDown(str(exc)) from exc
        if self.down_since is not None:
            logger.warning(
                "Redis at %s answers again after %.1f s: the crawl resumes",
                self.where,
                now - self.down_since,
            )
            self.down_since = None
            self._backoff = 0.5
        return result

    def _failed(self, exc: Exception, now: float) -> None:
        self._last_error = f"{type(exc).__name__}: {exc}"
        if self.down_since is None:
            self.down_since = now
            self.outages += 1
            logger.warning(
                "Redis at %s unreachable (%s): the crawl pauses, retrying with backoff "
                "(gives up after %.0f s)",
                self.where,
                self._last_error,
                self.give_up,
            )
        else:
            logger.info("Redis at %s still unreachable: %s", self.where, self._last_error)
            self._backoff = min(self._backoff * 2, 10.0)
        self._retry_at = now + self._backoff
        self.check_give_up()

    def check_give_up(self) -> None:
        """Give up (once) when the outage has lasted ``give_up`` seconds."""
        if self.down_since is None or self._gave_up:
            return
        lasted = self.clock() - self.down_since
        if lasted >= self.give_up:
            self._gave_up = True
            self.on_give_up(
                f"Redis at {self.where} unreachable for {lasted:.0f} s ({self._last_error})"
            )
