"""The CLI through ``main([...])``: index and check on real WARC files, bad crawl settings."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from warc_fixtures import corrupted_copy, sample_captures, truncated_copy, warc_name, write_warc

from crawler.cli import main


@pytest.fixture
def good(tmp_path: Path) -> Path:
    path = tmp_path / "good" / warc_name(1)
    path.parent.mkdir()
    write_warc(path, sample_captures())
    return path


def test_check_reports_ok_and_exits_zero(good: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["check", str(good)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"ok  {good}") and "errors=0" in out


def test_check_reports_damage_with_offset_and_exits_one(
    good: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    damaged, offset = corrupted_copy(good, tmp_path / "damaged.warc.gz", record_index=3)
    cut = truncated_copy(good, tmp_path / "cut.warc.gz", cut=40)
    assert main(["check", str(damaged), str(cut), str(good)]) == 1
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert any(line.startswith(f"DAMAGED  {damaged}") for line in lines)
    assert any(line.startswith(f"DAMAGED  {cut}") for line in lines)
    assert any(line.startswith(f"ok  {good}") for line in lines)
    assert str(offset) in out  # the damaged member's offset is named


def test_index_prints_sorted_cdxj_and_writes_a_file(
    good: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    assert main(["index", str(good.parent)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines and lines == sorted(lines)
    first = json.loads(lines[0].split(" ", 2)[2])
    assert {"url", "mime", "digest", "offset", "length", "filename"} <= set(first)
    output = tmp_path / "out.cdxj"
    assert main(["index", str(good), "-o", str(output)]) == 0
    assert output.read_text().splitlines() == lines


def test_missing_input_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="no such file"):
        main(["check", str(tmp_path / "nope.warc.gz")])


@pytest.mark.parametrize(
    ("setting", "message"),
    [("WARCLOOM_FOLLOW=everything", "WARCLOOM_FOLLOW must be one of"), ("NOEQUALS", "NAME=VALUE")],
)
def test_crawl_rejects_bad_settings_before_starting(
    tmp_path: Path, setting: str, message: str
) -> None:
    with pytest.raises(SystemExit, match=message):
        main(["crawl", "http://127.0.0.1:9/", "--out", str(tmp_path), "-s", setting])
    assert not (tmp_path / "collections").exists()


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    root = Path(__file__).resolve().parent.parent
    return subprocess.run(
        [sys.executable, "-m", "crawler.cli", *args], capture_output=True, text=True, cwd=root
    )


def test_index_says_what_damage_it_skipped(good: Path, tmp_path: Path) -> None:
    cut = truncated_copy(good, tmp_path / "cut.warc.gz", cut=40)
    run = _cli("index", str(cut))
    assert run.returncode == 1
    assert f"{cut}:" in run.stderr and "damaged part(s) skipped" in run.stderr
    assert run.stdout  # what could be read is indexed
    not_warc = tmp_path / "notes.warc"
    not_warc.write_text("hello\n")
    run = _cli("index", str(not_warc))
    assert run.returncode == 1 and f"{not_warc}:0:" in run.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["index", "{tmp}/empty"], "no WARC or ARC files in"),
        (["index", "{good}", "-o", "/proc/warcloom/x.cdxj"], "index -o /proc/warcloom/x.cdxj"),
        (["check", "{tmp}/nope.warc.gz"], "no such file or directory"),
    ],
)
def test_a_mistake_is_one_line_and_exit_2(
    good: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    (tmp_path / "empty").mkdir()
    run = _cli(*(a.format(tmp=tmp_path, good=good) for a in args))
    assert run.returncode == 2
    assert run.stderr.count("\n") == 1 and message in run.stderr
    assert "Traceback" not in run.stderr


def test_check_prints_file_and_offset_not_python_reprs(good: Path, tmp_path: Path) -> None:
    cut = truncated_copy(good, tmp_path / "cut.warc.gz", cut=40)
    run = _cli("check", str(cut))
    assert run.returncode == 1
    assert f"    {cut}:" in run.stdout and "CheckError(" not in run.stdout
