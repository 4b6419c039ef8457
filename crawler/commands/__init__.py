"""Subcommands of ``warcloom``: each module here defines ``register(subparsers)``.

``register`` adds one subparser and sets ``func`` to a function taking the parsed
namespace and returning an exit code. Keep imports of heavy modules inside those
functions, so ``warcloom --help`` stays fast.
"""

from __future__ import annotations

__all__ = ["UsageError"]


class UsageError(SystemExit):
    """A user's mistake (a bad argument or unusable input): ``warcloom`` prints the message
    as one line and exits 2, before anything is done."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.code = 2
