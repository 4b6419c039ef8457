"""Jobs files, history polling and `warcloom` subprocesses for the jobs and schedule tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from archive.collection import Collection, Run

# a local site: quick rather than polite (as `warcloom demo` does)
FAST = {
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "False",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "8",
    "DOWNLOAD_TIMEOUT": "5",
    "WARCLOOM_WORKERS": "2",
}
# one request at a time, at least 0.05 s apart: a crawl of the sample site takes seconds
SLOW = {
    "DOWNLOAD_DELAY": "0.05",
    "AUTOTHROTTLE_ENABLED": "False",
    "RANDOMIZE_DOWNLOAD_DELAY": "False",
    "DOWNLOAD_TIMEOUT": "5",
    "WARCLOOM_WORKERS": "2",
    "WARCLOOM_WARC_MAX_SIZE": "100000",
}


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)  # a TOML basic string
    if isinstance(value, Sequence):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(value)


def write_jobs(path: Path, jobs: Mapping[str, Mapping[str, Any]]) -> Path:
    lines = []
    for name, table in jobs.items():
        lines.append(f"[jobs.{name}]")
        lines += [f"{key} = {toml_value(value)}" for key, value in table.items()]
        lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def warcloom_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "crawler.cli", *args]


def run_warcloom(*args: str, cwd: Path, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        warcloom_cmd(*args),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=child_env(),
    )


def start_warcloom(*args: str, cwd: Path, log: Path) -> subprocess.Popen[bytes]:
    """``warcloom ARGS`` in the background, its output (both streams) into ``log``."""
    with open(log, "wb") as fh:
        return subprocess.Popen(
            warcloom_cmd(*args), cwd=cwd, stdout=fh, stderr=subprocess.STDOUT, env=child_env()
        )


def child_env() -> dict[str, str]:
    """The environment, with this checkout first on the path (the subprocess's cwd differs)."""
    root = str(Path(__file__).resolve().parent.parent)
    path = os.environ.get("PYTHONPATH", "")
    return {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (root, path) if p)}


def runs_of(out: Path, collection: str) -> list[Run]:
    return Collection.under(out, collection).runs()


def wait_for(
    condition: Callable[[], Any], what: str, timeout: float = 120, step: float = 0.1
) -> Any:
    """Poll ``condition`` until it is true (and return it); fail after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(step)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def stop(process: subprocess.Popen[bytes], signum: int, timeout: float = 120) -> int:
    """Send ``signum`` and wait for the process to end; its exit code."""
    process.send_signal(signum)
    try:
        return process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        raise
