"""Replay of a warcloom (or pywb-layout) collection: a WSGI app over its sorted CDXJ index.

``make_app(collection_dir)`` returns the WSGI callable; serving it is left to a server
(``warcloom replay`` uses waitress). See :mod:`archive.replay._app` for the URL scheme.
"""

from __future__ import annotations

import logging

from ._app import make_app

__all__ = ["make_app"]

logging.getLogger(__name__).addHandler(logging.NullHandler())
