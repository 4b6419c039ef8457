"""The cluster's settings, parsed once and checked."""

from __future__ import annotations

import os
from dataclasses import dataclass

from scrapy.settings import BaseSettings

__all__ = ["ClusterConfig", "redacted"]


@dataclass(frozen=True)
class ClusterConfig:
    """``WARCLOOM_REDIS_*`` (each also read from the environment variable of that name
    when the setting is not given)."""

    url: str
    collection: str
    lease: float = 30.0  # seconds without a heartbeat before a worker's shards are taken over
    give_up: float = 300.0  # seconds of Redis outage before a worker stops (exit 1)
    timeout: float = 3.0  # seconds one Redis call may take
    # push the start requests into the shared frontier and stop: fetch nothing here
    enqueue_only: bool = False

    @property
    def where(self) -> str:
        """The URL without its password, for messages."""
        return redacted(self.url)

    @property
    def lease_ms(self) -> int:
        return int(self.lease * 1000)

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> ClusterConfig | None:
        """None when ``WARCLOOM_REDIS_URL`` is unset (a local crawl); ValueError when a value
        is wrong."""
        url = settings.get("WARCLOOM_REDIS_URL") or os.environ.get("WARCLOOM_REDIS_URL")
        if not url:
            return None
        if not url.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError(
                f"WARCLOOM_REDIS_URL {redacted(url)}: not a redis://, rediss:// or unix:// URL"
            )
        values = {}
        for name, key in (
            ("lease", "WARCLOOM_REDIS_LEASE"),
            ("give_up", "WARCLOOM_REDIS_GIVE_UP"),
            ("timeout", "WARCLOOM_REDIS_TIMEOUT"),
        ):
            raw = settings.get(key) or os.environ.get(key)
            if raw is None:
                continue
            try:
                values[name] = float(raw)
            except ValueError:
                raise ValueError(f"{key} expects a number of seconds, got {raw!r}") from None
            if values[name] <= 0 and name != "give_up":
                raise ValueError(f"{key} must be more than 0, got {raw!r}")
            if values[name] < 0:
                raise ValueError(f"{key} must be 0 or more, got {raw!r}")
        return cls(
            url=url,
            collection=settings.get("WARCLOOM_COLLECTION", "default"),
            enqueue_only=settings.getbool("WARCLOOM_REDIS_ENQUEUE_ONLY"),
            **values,
        )


def redacted(url: str) -> str:
    """``url`` with its password (if any) replaced by ``***``."""
    scheme, sep, rest = url.partition("//")
    auth, at, host = rest.rpartition("@")
    if not (sep and at):
        return url
    user = auth.partition(":")[0]
    return f"{scheme}//{user}:***@{host}" if ":" in auth else f"{scheme}//***@{host}"
