"""``warcloom replay``: browse a collection in a web browser (waitress serves the WSGI app)."""

from __future__ import annotations

import argparse
import errno
import sys

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "replay",
        help="browse a collection: archived pages, reader view, CDX server, timemaps",
        description=(
            "Serve a collection for browsing. Bound to 127.0.0.1 unless --host says "
            "otherwise; archived pages never fetch anything from the live web."
        ),
    )
    parser.add_argument(
        "collection", help="a collection directory, or an output directory holding one"
    )
    parser.add_argument("--name", help="collection name, when the directory holds several")
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to bind (default: %(default)s)"
    )
    parser.add_argument(
        "--port", type=int, default=8080, help="port (default: %(default)s; 0: any free port)"
    )
    parser.add_argument("--threads", type=int, default=4, help="worker threads (default: 4)")
    parser.set_defaults(func=cmd_replay)


def cmd_replay(args: argparse.Namespace) -> int:
    import logging

    from waitress.server import create_server

    from archive.collection import Collection, CollectionNotFound
    from archive.replay import make_app

    if not 0 <= args.port <= 65535:
        print(f"warcloom replay: --port {args.port}: must be 0 to 65535", file=sys.stderr)
        return 2
    if args.threads < 1:
        print(f"warcloom replay: --threads {args.threads}: must be 1 or more", file=sys.stderr)
        return 2
    try:
        coll = Collection.open(args.collection, args.name, need_index=True)
        app = make_app(coll)
    except (CollectionNotFound, OSError) as exc:
        print(f"warcloom replay: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        server = create_server(app, host=args.host, port=args.port, threads=args.threads)
    except OSError as exc:  # the port is taken, or the address is not this machine's
        why = "in use" if exc.errno == errno.EADDRINUSE else exc.strerror or str(exc)
        print(f"warcloom replay: --port {args.port} on {args.host}: {why}", file=sys.stderr)
        return 2
    host, port = server.effective_host, server.effective_port
    shown = f"[{host}]" if ":" in str(host) else host
    print(f"Replaying {coll.root} at http://{shown}:{port}/  (Ctrl-C to stop)", flush=True)
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print(f"warning: listening on {args.host}: reachable from other machines", flush=True)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
    return 0
