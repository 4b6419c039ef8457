"""Subcommands of ``warcloom``: each module here defines ``register(subparsers)``.

``register`` adds one subparser and sets ``func`` to a function taking the parsed
namespace and returning an exit code. Keep imports of heavy modules inside those
functions, so ``warcloom --help`` stays fast.
"""
