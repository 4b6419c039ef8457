"""``warcloom status --redis URL``: the workers, shards and queues of shared crawls."""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import asdict
from typing import Any

from crawler.commands import UsageError, redis_client

__all__ = ["register"]


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "status", help="the workers, shards and queues of crawls shared in Redis"
    )
    parser.add_argument(
        "--redis",
        metavar="URL",
        default=os.environ.get("WARCLOOM_REDIS_URL"),
        help="the Redis of the cluster (default: $WARCLOOM_REDIS_URL)",
    )
    parser.add_argument("--collection", help="one crawl (default: every crawl in this Redis)")
    parser.add_argument("--top", type=int, default=10, help="hosts with the longest queues shown")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(func=cmd_status)


def cmd_status(args: argparse.Namespace) -> int:
    from crawler.cluster import RedisFrontier, crawls, redacted

    if not args.redis:
        raise UsageError("status: give --redis URL (or set WARCLOOM_REDIS_URL)")
    where = redacted(args.redis)
    if args.top < 0:
        raise UsageError(f"--top {args.top}: must be 0 or more")
    with redis_client(args.redis) as client:
        names = [args.collection] if args.collection else crawls(client)
        snapshots = [RedisFrontier(client, name).snapshot(args.top) for name in names]
    if args.json:
        print(json.dumps([asdict(s) for s in snapshots], indent=1))
    elif not snapshots:
        print(f"no crawl in {where}")
    for snapshot in [] if args.json else snapshots:
        print(_format(snapshot))
    if args.collection and not (snapshots[0].workers or snapshots[0].counts):
        print(f"warcloom: no crawl {args.collection!r} in {where}", file=sys.stderr)
        return 1
    return 0


def _format(s: Any) -> str:
    c = s.counts
    state = "finished" if s.finished else "running" if s.workers else "no worker"
    held = sum(len(w.shards) for w in s.workers)
    lines = [
        f"crawl {s.collection}: {state}",
        f"  requests: queued {c.get('queued', 0)}, in flight {c.get('inflight', 0)}, "
        f"done {c.get('done', 0)}, pushed {c.get('pushed', 0)}, "
        f"taken over {c.get('takeovers', 0)}",
        f"  shards: {s.hosts} host(s), {held} held, {s.free} waiting for a worker",
        f"  last captures shared for recrawls: {s.shared_captures} URL(s)",
        f"  workers ({len(s.workers)}):",
    ]
    for w in s.workers:
        d = w.details
        lines.append(
            f"    {d.get('host', '?')} pid {d.get('pid', '?')}: heartbeat {w.age:.1f} s ago, "
            f"{d.get('pages', 0)} done, {d.get('pages_per_s', 0)} pages/s, "
            f"shards: {', '.join(w.shards) or 'none'}; out {d.get('out', '?')}"
        )
    if s.top_hosts:
        lines.append("  longest queues:")
        lines += [f"    {host}  {queued}" for host, queued in s.top_hosts]
    return "\n".join(lines)
