"""archive.check: structure, digests, damage; compared with ``warcio check``."""

from __future__ import annotations

import base64
import hashlib
import subprocess
import sys
from pathlib import Path

import pytest
from warc_fixtures import (
    Capture,
    corrupted_copy,
    gzip_whole_file,
    html_page,
    http_response_bytes,
    member_offsets,
    new_id,
    raw_record,
    sample_captures,
    sha1_b32,
    truncated_copy,
    warc_name,
    write_arc,
    write_raw_warc,
    write_warc,
)

from archive.check import check_file

WARCIO = Path(sys.executable).with_name("warcio")


def warcio_check(path: Path) -> int:
    return subprocess.run([str(WARCIO), "check", str(path)], capture_output=True).returncode


@pytest.fixture
def good(tmp_path: Path) -> Path:
    path = tmp_path / warc_name(0)
    write_warc(path, sample_captures())
    return path


def test_good_file_passes_here_and_in_warcio(good: Path):
    report = check_file(good)
    assert report.ok, report.errors
    assert report.records == 15
    assert report.path == str(good)
    assert warcio_check(good) == 0


@pytest.mark.parametrize("version", ["1.0", "1.1"])
def test_plain_files_pass(tmp_path: Path, version: str):
    path = tmp_path / "p.warc"
    write_warc(path, sample_captures(), gzip=False, version=version)
    assert check_file(path).ok


def test_whole_gzip_passes_with_a_warning(tmp_path: Path):
    plain = tmp_path / "p.warc"
    write_warc(plain, sample_captures(), gzip=False)
    report = check_file(gzip_whole_file(plain, tmp_path / "w.warc.gz"))
    assert report.ok and report.records == 15
    assert any("recompress" in w.message for w in report.warnings)


def test_arc_is_checked_for_readability(tmp_path: Path):
    arc = write_arc(
        tmp_path / "a.arc", [("http://example.com/", "20010101000000", http_response_bytes(b"x"))]
    )
    report = check_file(arc)
    assert report.ok and report.records == 2


def test_wrong_payload_digest_is_flagged(tmp_path: Path):
    cap = Capture("http://example.com/", html_page("A"), payload_digest=sha1_b32(b"other"))
    path = tmp_path / "bad.warc.gz"
    write_warc(path, [cap])
    report = check_file(path)
    assert not report.ok
    (error,) = report.errors
    assert error.record_id == cap.ids["response"]
    assert error.offset == member_offsets(path)[2][0]
    assert "payload digest mismatch" in error.message
    assert warcio_check(path) == 1


def test_chunked_payload_digest_over_dechunked_body_is_accepted(tmp_path: Path):
    body = html_page("Chunked body")
    # WARC 1.1: payload digest over the entity body with the transfer encoding removed
    cap = Capture("http://example.com/c", body, chunked=True, payload_digest=sha1_b32(body))
    path = tmp_path / "chunked.warc.gz"
    write_warc(path, [cap])
    assert check_file(path).ok
    assert warcio_check(path) == 1  # warcio digests the chunked bytes (warcio issue #74)
    # and what warcio writes itself (digest over the chunked bytes) is accepted as well
    path2 = tmp_path / "chunked-warcio.warc.gz"
    write_warc(path2, [Capture("http://example.com/c", body, chunked=True)])
    assert check_file(path2).ok
    assert warcio_check(path2) == 0


def _block_digest(algo: str, block: bytes, encoding: str) -> str:
    raw = hashlib.new(algo, block).digest()
    value = raw.hex() if encoding == "hex" else base64.b32encode(raw).decode()
    return f"{algo}:{value}"


@pytest.mark.parametrize("algo", ["sha1", "sha256", "sha512"])
@pytest.mark.parametrize("encoding", ["base32", "hex"])
def test_digest_algorithms_and_encodings(tmp_path: Path, algo: str, encoding: str):
    block = b"plain resource body"
    good = _block_digest(algo, block, encoding)
    bad = _block_digest(algo, block + b"!", encoding)

    def resource(digest: str) -> bytes:
        return raw_record(
            [
                ("WARC-Type", "resource"),
                ("WARC-Record-ID", new_id()),
                ("WARC-Date", "2024-05-01T10:00:00Z"),
                ("WARC-Target-URI", "http://example.com/r"),
                ("Content-Type", "text/plain"),
                ("WARC-Block-Digest", digest),
                ("WARC-Payload-Digest", digest),
                ("Content-Length", str(len(block))),
            ],
            block,
        )

    ok = write_raw_warc(tmp_path / "ok.warc.gz", [resource(good)])
    assert check_file(ok).ok
    wrong = write_raw_warc(tmp_path / "wrong.warc.gz", [resource(bad)])
    messages = [e.message for e in check_file(wrong).errors]
    assert any("block digest mismatch" in m for m in messages)
    assert any("payload digest mismatch" in m for m in messages)


def test_structure_problems(tmp_path: Path):
    body = b"software: test\r\n"
    records = [
        raw_record(  # warcinfo with a target URI
            [
                ("WARC-Type", "warcinfo"),
                ("WARC-Record-ID", new_id()),
                ("WARC-Date", "2024-05-01T10:00:00Z"),
                ("WARC-Target-URI", "http://example.com/"),
                ("Content-Type", "application/warc-fields"),
                ("Content-Length", str(len(body))),
            ],
            body,
        ),
        raw_record(  # no Content-Type, bad date, no target, unbracketed id
            [
                ("WARC-Type", "resource"),
                ("WARC-Record-ID", "urn:uuid:1234"),
                ("WARC-Date", "May 1st"),
                ("Content-Length", "5"),
            ],
            b"hello",
        ),
        raw_record(  # no WARC-Record-ID
            [
                ("WARC-Type", "metadata"),
                ("WARC-Date", "2024-05-01T10:00:00Z"),
                ("Content-Length", "0"),
            ],
            b"",
        ),
    ]
    path = write_raw_warc(tmp_path / "s.warc.gz", records)
    report = check_file(path)
    messages = [e.message for e in report.errors]
    assert "WARC-Target-URI on a warcinfo record" in messages
    assert "missing Content-Type on a non-empty block" in messages
    assert "missing WARC-Target-URI on a resource record" in messages
    assert any(m.startswith("WARC-Date not an ISO 8601") for m in messages)
    assert any(m.startswith("WARC-Record-ID not enclosed") for m in messages)
    assert "missing mandatory header WARC-Record-ID" in messages
    offsets = [o for o, _, _ in member_offsets(path)]
    assert sorted({e.offset for e in report.errors}) == offsets


def test_truncated_file_is_damage_with_offset(tmp_path: Path, good: Path):
    cut = truncated_copy(good, tmp_path / "cut.warc.gz", 100)
    report = check_file(cut)
    assert not report.ok
    assert [e.offset for e in report.errors] == [member_offsets(good)[-1][0]]
    assert report.records == 14

    plain = tmp_path / "p.warc"
    write_warc(plain, sample_captures(), gzip=False)
    report = check_file(truncated_copy(plain, tmp_path / "cut.warc", 100))
    assert [e.offset for e in report.errors] == [member_offsets(plain)[-1][0]]


def test_corrupt_member_is_reported_and_the_rest_checked(tmp_path: Path, good: Path):
    bad, offset = corrupted_copy(good, tmp_path / "bad.warc.gz", 6)
    report = check_file(bad)
    assert not report.ok
    assert [e.offset for e in report.errors] == [offset]
    assert report.records == 14  # all but the damaged one
    assert warcio_check(bad) == 1  # warcio stops at the damage ("skipping rest of file")


def test_gzip_record_with_bad_crc(tmp_path: Path):
    """A member whose data decompresses but fails its CRC: nothing in it is trusted."""
    path = tmp_path / "crc.warc.gz"
    write_warc(path, sample_captures()[:1])
    data = bytearray(path.read_bytes())
    offset, length, _ = member_offsets(path)[2]
    crc_at = offset + length - 8  # gzip trailer: CRC32, ISIZE
    data[crc_at] ^= 0x01
    path.write_bytes(bytes(data))
    report = check_file(path)
    assert [e.offset for e in report.errors] == [offset]
    assert "corrupt gzip member" in report.errors[0].message
