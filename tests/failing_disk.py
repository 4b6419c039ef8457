"""Fault injection at the OS boundary: the WARC writer's files fail after a byte budget.

Used by a crawl subprocess (``python -c "import failing_disk; failing_disk.install(...)"``):
the files :mod:`archive.writer` opens (``*.open``) accept ``budget`` bytes in all, the write
that crosses it is cut short (as a real ``write(2)`` on a full disk is), and every write after
raises ``OSError(code)``. Nothing else of the crawl is touched.
"""

from __future__ import annotations

import builtins
import errno
import io
import os
from typing import Any

__all__ = ["install"]

_state = {"budget": 0, "code": errno.ENOSPC}


class FailingFile(io.FileIO):
    def write(self, data: Any) -> int:
        view = memoryview(data).cast("B")
        if _state["budget"] <= 0:
            code = _state["code"]
            raise OSError(code, os.strerror(code), self.name)
        written = super().write(view[: _state["budget"]]) or 0
        _state["budget"] -= written
        return written


def _open(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
    if str(file).endswith(".open") and "b" in mode and ("x" in mode or "w" in mode):
        return FailingFile(file, mode.replace("b", ""))
    return builtins.open(file, mode, *args, **kwargs)


def install(budget: int, code: int = errno.ENOSPC) -> None:
    import archive.writer

    _state.update(budget=budget, code=code)
    archive.writer.open = _open  # type: ignore[attr-defined]  # shadows the builtin there
