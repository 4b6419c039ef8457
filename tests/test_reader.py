"""archive.reader: every kind of file users hold, and damaged ones."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from pathlib import Path

import pytest
from warc_fixtures import (
    Capture,
    WarcBuilder,
    corrupted_copy,
    gzip_whole_file,
    html_page,
    http_response_bytes,
    member_offsets,
    sample_captures,
    truncated_copy,
    warc_name,
    write_arc,
    write_warc,
)

from archive.reader import ReadError, iter_records, read_record_at

LAYOUT = (
    ["warcinfo"]
    + ["request", "response", "metadata", "conversion"] * 3
    + [
        "request",
        "response",
    ]
)


def _types(refs):
    return [r.rec_type for r in refs]


@pytest.fixture
def good(tmp_path: Path) -> Path:
    path = tmp_path / warc_name(0)
    write_warc(path, sample_captures())
    return path


def test_layout_offsets_match_warcio_and_read_back(good: Path):
    errors: list[ReadError] = []
    refs = list(iter_records(good, errors=errors))
    assert errors == []
    assert _types(refs) == LAYOUT
    assert [(r.offset, r.length) for r in refs] == [(o, n) for o, n, _ in member_offsets(good)]
    for ref in refs:
        assert ref.addressable
        for length in (ref.length, None):
            with read_record_at(good, ref.offset, length) as again:
                assert again.header("WARC-Record-ID") == ref.header("WARC-Record-ID")
                assert again.length == ref.length


def test_payloads_decoded(good: Path):
    caps = sample_captures()
    bodies = [
        r.record.content_stream().read() for r in iter_records(good) if r.rec_type == "response"
    ]
    # the gzip-encoded and the chunked bodies come back as the page
    assert bodies == [c.body for c in caps]
    raw = [r.record.raw_stream.read() for r in iter_records(good) if r.rec_type == "response"]
    # a record's buffer lives until the iteration moves on
    kept = list(iter_records(good))
    with pytest.raises(ValueError):
        kept[2].record.raw_stream.read()
    assert raw[1] == gzip.compress(caps[1].body, mtime=0)
    assert raw[2].startswith(b"10\r\n")


def test_parse_http_false_gives_whole_block(good: Path):
    for ref in iter_records(good, parse_http=False):
        if ref.rec_type == "response":
            block = ref.record.raw_stream.read()
            break
    assert block.startswith(b"HTTP/1.1 200 OK\r\n")
    assert len(block) == int(ref.header("Content-Length"))


@pytest.mark.parametrize("version", ["1.0", "1.1"])
def test_plain_warc(tmp_path: Path, version: str):
    path = tmp_path / "plain.warc"
    write_warc(path, sample_captures(), gzip=False, version=version)
    errors: list[ReadError] = []
    refs = list(iter_records(path, errors=errors))
    assert errors == []
    assert _types(refs) == LAYOUT
    assert refs[0].record.rec_headers.protocol == f"WARC/{version}"
    for ref in refs:
        with read_record_at(path, ref.offset, ref.length) as again:
            assert again.header("WARC-Record-ID") == ref.header("WARC-Record-ID")


def test_warc_0_17(tmp_path: Path):
    plain = tmp_path / "plain.warc"
    write_warc(plain, sample_captures()[:1], gzip=False, version="1.0")
    old = tmp_path / "old.warc"
    old.write_bytes(plain.read_bytes().replace(b"WARC/1.0\r\n", b"WARC/0.17\r\n"))
    refs = list(iter_records(old))
    assert _types(refs) == ["warcinfo", "request", "response", "metadata", "conversion"]
    assert refs[2].record.rec_headers.protocol == "WARC/0.17"


def test_gzip_named_warc_and_plain_named_gz(tmp_path: Path, good: Path):
    disguised = tmp_path / "really-gzip.warc"
    disguised.write_bytes(good.read_bytes())
    assert _types(iter_records(disguised)) == LAYOUT
    plain = tmp_path / "p.warc"
    write_warc(plain, sample_captures(), gzip=False)
    misnamed = tmp_path / "really-plain.warc.gz"
    misnamed.write_bytes(plain.read_bytes())
    assert _types(iter_records(misnamed)) == LAYOUT


def test_whole_file_gzip_is_read_but_not_addressable(tmp_path: Path):
    plain = tmp_path / "p.warc"
    write_warc(plain, sample_captures(), gzip=False)
    whole = gzip_whole_file(plain, tmp_path / "whole.warc.gz")
    errors: list[ReadError] = []
    refs, bodies = [], []
    for ref in iter_records(whole, errors=errors):
        refs.append(ref)
        if ref.rec_type == "response":
            bodies.append(ref.record.content_stream().read())
    assert errors == []
    assert _types(refs) == LAYOUT
    assert not any(r.addressable for r in refs)
    assert bodies == [c.body for c in sample_captures()]


@pytest.mark.parametrize("compress", [False, True])
def test_arc_v1(tmp_path: Path, compress: bool):
    pages = [
        ("http://example.com/", "20240501100000", http_response_bytes(html_page("A"))),
        ("http://example.com/b", "20240501100001", http_response_bytes(b"bee", "text/plain")),
    ]
    path = write_arc(tmp_path / ("x.arc.gz" if compress else "x.arc"), pages, compress=compress)
    errors: list[ReadError] = []
    refs, bodies = [], []
    for ref in iter_records(path, errors=errors):
        refs.append(ref)
        bodies.append(ref.record.content_stream().read())
    assert errors == []
    assert _types(refs) == ["warcinfo", "response", "response"]
    assert all(r.format == "arc" for r in refs)
    assert refs[1].header("WARC-Target-URI") == "http://example.com/"
    assert refs[1].header("WARC-Date") == "2024-05-01T10:00:00Z"
    assert bodies[2] == b"bee"
    with read_record_at(path, refs[2].offset, refs[2].length) as again:
        assert again.header("WARC-Target-URI") == "http://example.com/b"


def test_revisit_and_bracketed_target(tmp_path: Path):
    path = tmp_path / "r.warc.gz"
    first = Capture("http://example.com/", html_page("A"), date="2024-05-01T10:00:00Z")
    with WarcBuilder(path) as b:
        b.warcinfo()
        b.capture(first)
        b.revisit(Capture("http://example.com/"), first, "2024-05-02T10:00:00Z")
        b.request_response(Capture("http://example.com/x", b"x"), target="<http://example.com/x>")
    refs = list(iter_records(path))
    assert _types(refs) == ["warcinfo", "request", "response", "revisit", "request", "response"]
    assert refs[3].header("WARC-Refers-To") == first.ids["response"]
    assert refs[5].header("WARC-Target-URI") == "http://example.com/x"


@pytest.mark.parametrize("compress", [True, False])
def test_truncated_last_record(tmp_path: Path, compress: bool):
    src = tmp_path / ("a.warc.gz" if compress else "a.warc")
    write_warc(src, sample_captures(), gzip=compress)
    last_offset = member_offsets(src)[-1][0]
    cut = truncated_copy(src, tmp_path / ("cut" + src.suffix), 60)
    errors: list[ReadError] = []
    refs = list(iter_records(cut, errors=errors))
    assert _types(refs) == LAYOUT[:-1]
    assert [(e.path, e.offset) for e in errors] == [(str(cut), last_offset)]
    assert "cut" in errors[0].message


def test_corrupt_member_in_the_middle(tmp_path: Path, good: Path):
    bad, offset = corrupted_copy(good, tmp_path / "bad.warc.gz", 6)
    errors: list[ReadError] = []
    refs = list(iter_records(bad, errors=errors))
    assert _types(refs) == LAYOUT[:6] + LAYOUT[7:]
    assert len(errors) == 1
    assert errors[0].offset == offset
    next_offset = member_offsets(good)[7][0]
    assert f"resumed at offset {next_offset}" in errors[0].message
    # records after the damage keep their true offsets
    for ref in refs[6:]:
        with read_record_at(bad, ref.offset, ref.length) as again:
            assert again.header("WARC-Record-ID") == ref.header("WARC-Record-ID")


def test_garbage_between_members_and_records(tmp_path: Path, good: Path):
    data = good.read_bytes()
    cut_at = member_offsets(good)[5][0]
    junk = b"this is not gzip\n" * 10
    mixed = tmp_path / "junk.warc.gz"
    mixed.write_bytes(data[:cut_at] + junk + data[cut_at:])
    errors: list[ReadError] = []
    assert _types(iter_records(mixed, errors=errors)) == LAYOUT
    assert [e.offset for e in errors] == [cut_at]

    plain = tmp_path / "p.warc"
    write_warc(plain, sample_captures(), gzip=False)
    data = plain.read_bytes()
    cut_at = member_offsets(plain)[5][0]
    broken = tmp_path / "junk.warc"
    broken.write_bytes(
        data[:cut_at] + b"garbage line one\r\nWARC-Type: nonsense\r\n" + data[cut_at:]
    )
    errors = []
    assert _types(iter_records(broken, errors=errors)) == LAYOUT
    assert [e.offset for e in errors] == [cut_at]


def test_wrong_content_length_in_plain_file_is_skipped(tmp_path: Path):
    plain = tmp_path / "p.warc"
    write_warc(plain, sample_captures(), gzip=False)
    offsets = member_offsets(plain)
    data = bytearray(plain.read_bytes())
    start = offsets[6][0]  # the second response: claim 40 bytes fewer than it has
    head_end = data.index(b"\r\n\r\n", start)
    header = bytes(data[start:head_end])
    old = header.split(b"Content-Length: ")[1].split(b"\r\n")[0]
    new = str(int(old) - 40).encode().rjust(len(old))
    data[start:head_end] = header.replace(b"Content-Length: " + old, b"Content-Length: " + new)
    broken = tmp_path / "cl.warc"
    broken.write_bytes(bytes(data))
    errors: list[ReadError] = []
    refs = list(iter_records(broken, errors=errors))
    assert errors, "a wrong Content-Length is reported"
    # everything after the damaged region is found again
    assert _types(refs)[-6:] == LAYOUT[-6:]


def test_empty_and_non_archive_files(tmp_path: Path):
    empty = tmp_path / "e.warc.gz"
    empty.write_bytes(b"")
    assert list(iter_records(empty)) == []
    html = tmp_path / "page.warc"
    html.write_bytes(b"<html>not an archive</html>\n")
    errors: list[ReadError] = []
    assert list(iter_records(html, errors=errors)) == []
    assert [e.offset for e in errors] == [0]


def test_read_record_at_bad_offset(good: Path):
    with pytest.raises(ValueError):
        read_record_at(good, 5)


def test_truncated_whole_file_gzip_keeps_the_records_before_the_cut(tmp_path: Path):
    plain = tmp_path / "p.warc"
    write_warc(plain, sample_captures(), gzip=False)
    whole = gzip_whole_file(plain, tmp_path / "w.warc.gz")
    cut = truncated_copy(whole, tmp_path / "cut.warc.gz", 200)
    errors: list[ReadError] = []
    refs = list(iter_records(cut, errors=errors))
    assert 0 < len(refs) < len(LAYOUT)
    assert _types(refs) == LAYOUT[: len(refs)]
    assert [e.offset for e in errors] == [0]


def test_fast_path_reads_what_the_careful_path_reads(tmp_path: Path, monkeypatch) -> None:
    """Healthy gzip members take the in-memory fast path; records, offsets and every
    attribute a consumer sees are those of the careful (spooled, per-member) path."""
    import archive.reader._gzip as gzip_reader
    from archive.records import build_conversion_record, build_metadata_record, serialize

    date = datetime(2024, 5, 1, tzinfo=UTC)
    records = [
        build_metadata_record("http://e.org/a", "<urn:uuid:1>", date, {"links": [], "t": "é"}),
        build_conversion_record("http://e.org/a", "<urn:uuid:1>", date, "Tïtle", "text " * 500),
    ]
    members = [gzip.compress(serialize(record)) for record in records]
    path = tmp_path / "x.warc.gz"
    with open(path, "wb") as fh:
        for member in members * 3:
            fh.write(member)
        fh.write(b"junk that is not gzip")
        fh.write(members[0])

    def dump() -> tuple[list, list]:
        errors: list[ReadError] = []
        out = []
        for parse_http in (True, False):
            for ref in iter_records(path, errors=errors, parse_http=parse_http):
                r = ref.record
                out.append(
                    (
                        ref.offset,
                        ref.length,
                        ref.addressable,
                        ref.format,
                        r.rec_type,
                        r.length,
                        r.content_type,
                        r.rec_headers.protocol,
                        r.rec_headers.headers,
                        r.rec_headers.total_len,
                        r.raw_stream.read(),
                    )
                )
        return out, errors

    fast = dump()
    monkeypatch.setattr(gzip_reader, "fast_member", lambda *args: None)
    careful = dump()
    assert fast == careful
    assert len(fast[0]) == 14 and len(fast[1]) == 2


# -- ranges and skipped blocks ---------------------------------------------------------------


def _big_captures() -> list[Capture]:
    """Pages large enough (several KB compressed) for their headers to be read alone."""
    import random

    rng = random.Random(7)
    caps = sample_captures()
    for i, cap in enumerate(caps):
        noise = "".join(rng.choice("abcdefghij klmnopqrstuvwxyz") for _ in range(6000 + i))
        cap.body = html_page(f"Page {i}", noise)
    return caps


def _dump(refs) -> list[tuple]:
    return [
        (r.offset, r.length, r.rec_type, r.record.rec_headers.headers, r.header("WARC-Record-ID"))
        for r in refs
    ]


@pytest.mark.parametrize("compress", [True, False])
def test_range_reads_the_records_that_start_in_it(tmp_path: Path, compress: bool):
    path = tmp_path / ("r.warc.gz" if compress else "r.warc")
    write_warc(path, sample_captures(), gzip=compress)
    whole = _dump(iter_records(path))
    offsets = [o for o, _, _ in member_offsets(path)]
    for start_i, end_i in ((0, 3), (3, 7), (7, len(offsets)), (5, 6)):
        start = offsets[start_i]
        end = offsets[end_i] if end_i < len(offsets) else None
        errors: list[ReadError] = []
        part = _dump(iter_records(path, start=start, end=end, errors=errors))
        assert part == whole[start_i:end_i]
        assert errors == []
    # an end inside a record: that record starts in the range, so it is read whole
    assert _dump(iter_records(path, start=offsets[2], end=offsets[3] + 1)) == whole[2:4]


def test_range_reports_damage_with_file_and_offset(tmp_path: Path, good: Path):
    bad, offset = corrupted_copy(good, tmp_path / "bad.warc.gz", 6)
    offsets = [o for o, _, _ in member_offsets(good)]
    errors: list[ReadError] = []
    refs = list(iter_records(bad, start=offsets[4], end=offsets[9], errors=errors))
    assert _types(refs) == LAYOUT[4:6] + LAYOUT[7:9]
    assert [(e.path, e.offset) for e in errors] == [(str(bad), offset)]
    assert f"resumed at offset {offsets[7]}" in errors[0].message
    # damage in the last member of a range: reading resumes where the next range starts
    errors = []
    refs = list(iter_records(bad, start=offsets[4], end=offsets[7], errors=errors))
    assert _types(refs) == LAYOUT[4:6]
    assert [e.offset for e in errors] == [offset]
    assert f"resumed at offset {offsets[7]}" in errors[0].message


def _members(path: Path) -> dict[int, tuple[int, str]]:
    """offset -> (length, URL) of the responses, as a CDXJ index gives them."""
    out = {}
    for ref in iter_records(path):
        if ref.rec_type == "response":
            out[ref.offset] = (ref.length, ref.header("WARC-Target-URI"))
    return out


def test_skipper_leaves_response_blocks_unread(tmp_path: Path):
    from archive.reader import BlockSkipper

    path = tmp_path / "big.warc.gz"
    write_warc(path, _big_captures())
    members = _members(path)
    skipper = BlockSkipper(members, lambda ref: ref.rec_type == "response")
    full = list(_dump(iter_records(path)))
    statuses = [
        (r.record.http_headers.statusline, r.record.http_headers.headers)
        for r in iter_records(path)
        if r.rec_type == "response"
    ]
    seen, seen_statuses = [], []
    for ref in iter_records(path, skipper=skipper):
        seen.append(_dump([ref])[0])
        if ref.rec_type == "response":
            assert not ref.block_read
            with pytest.raises(ValueError, match="not read"):
                ref.record.content_stream().read()
            http = ref.record.http_headers
            seen_statuses.append((http.statusline, http.headers))
        else:
            assert ref.block_read
            ref.record.content_stream().read()
    assert seen == full
    assert seen_statuses == statuses
    assert skipper.skipped == len(members) == 4
    assert skipper.mismatch is None
    # the predicate is asked: nothing skipped when it says no
    keep = BlockSkipper(members, lambda ref: False)
    assert _dump(iter_records(path, skipper=keep)) == full and keep.skipped == 0


@pytest.mark.parametrize("damage", ["length", "url", "offset"])
def test_skipper_stops_where_the_index_does_not_fit(tmp_path: Path, damage: str):
    from archive.reader import BlockSkipper

    path = tmp_path / "big.warc.gz"
    write_warc(path, _big_captures())
    members = _members(path)
    second = sorted(members)[1]
    length, url = members[second]
    if damage == "length":
        members[second] = (length - 7, url)
    elif damage == "url":
        members[second] = (length, url + "?other")
    else:
        members[second + 3] = members.pop(second)
    skipper = BlockSkipper(members, lambda ref: ref.rec_type == "response")
    errors: list[ReadError] = []
    refs = list(iter_records(path, skipper=skipper, errors=errors))
    assert _dump(refs) == _dump(iter_records(path)) and errors == []
    if damage == "offset":  # an offset that is no record start is never looked at
        assert skipper.mismatch is None
    else:
        assert skipper.mismatch is not None and skipper.mismatch[0] == second
        assert skipper.skipped == 1  # the first response; none after the mismatch


def _odd_member(headers: str, block: bytes) -> bytes:
    head = headers.replace("\n", "\r\n").encode("utf-8")
    return gzip.compress(
        head + f"Content-Length: {len(block)}\r\n\r\n".encode() + block + b"\r\n\r\n"
    )


def test_lazy_fast_path_agrees_with_warcio(tmp_path: Path, good: Path, monkeypatch) -> None:
    """The fast path parses WARC headers itself and builds warcio's record only on demand:
    rec_type, header(), http_headers, read_content() and the record are those of the careful
    path, for usual records and for the unusual ones it leaves to warcio."""
    import archive.reader._gzip as gzip_reader
    from archive.reader._lazy import MemberRef

    http = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nX-A:  b \r\n\r\n<p>hi</p>"
    odd = [
        # angle-bracketed target URI (warcio rewrites it), a continuation line, a second
        # WARC-Type in another case, WARC/1.0, an empty block, a non-UTF-8 header value
        "WARC/1.1\nWARC-Type: response\nWARC-Target-URI: <http://e.org/b>\n"
        "Content-Type: application/http; msgtype=response\n",
        "WARC/1.1\nWARC-Type: response\nWARC-Target-URI: http://e.org/c\nX-Long: a\n b\n",
        "WARC/1.0\nwarc-type: resource\nWARC-Type: response\nWARC-Target-URI: http://e.org/d\n",
        "WARC/1.1\nWARC-Type: metadata\nWARC-Refers-To: <urn:uuid:2>\n",
        "WARC/1.1\nWARC-Type: request\nWARC-Target-URI: https://e.org/e\n",
    ]
    path = tmp_path / "mixed.warc.gz"
    with open(path, "wb") as fh:
        fh.write(good.read_bytes())
        for i, headers in enumerate(odd):
            fh.write(_odd_member(headers, b"" if i == 3 else http))
        fh.write(
            gzip.compress(
                b"WARC/1.1\r\nWARC-Type: resource\r\nX: \xff\r\n"
                + b"Content-Length: 2\r\n\r\nok\r\n\r\n"
            )
        )

    names = ("WARC-Type", "warc-target-uri", "WARC-Record-ID", "Content-Type", "X-Long", "Nope")

    def dump(parse_http: bool) -> tuple[list, list, int]:
        out, errors, lazy = [], [], 0
        for ref in iter_records(path, errors=errors, parse_http=parse_http):
            lazy += isinstance(ref, MemberRef)
            h = ref.http_headers
            row = [
                ref.offset,
                ref.length,
                ref.rec_type,
                [ref.header(n) for n in names],
                None if h is None else (h.protocol, h.statusline, h.headers, h.total_len),
                ref.read_content(),
            ]
            r = ref.record
            row += [r.rec_type, r.rec_headers.headers, r.rec_headers.protocol, r.length]
            row += [r.content_type, r.payload_length, r.rec_headers.total_len]
            row.append(None if r.http_headers is None else r.http_headers.headers)
            out.append(row)
        return out, errors, lazy

    fast = [dump(True), dump(False)]
    # the usual records, and the odd ones warcio reads the same way (WARC/1.0, a WARC-Type
    # given twice, an empty block, an https request), took the lazy path
    assert fast[0][2] == len(LAYOUT) + 3
    monkeypatch.setattr(gzip_reader, "fast_member", lambda *args: None)
    careful = [dump(True), dump(False)]
    assert [f[:2] for f in fast] == [c[:2] for c in careful]
    assert len(fast[0][0]) == len(LAYOUT) + len(odd) + 1


def test_lazy_record_after_close_is_closed(good: Path) -> None:
    refs = list(iter_records(good))  # each closed as the iteration moved on
    conv = next(r for r in refs if r.rec_type == "conversion")
    with pytest.raises(ValueError):
        conv.read_content()
    with pytest.raises(ValueError):
        conv.record.raw_stream.read()


def test_skipped_blocks_keep_their_http_headers(tmp_path: Path) -> None:
    from archive.reader import BlockSkipper

    path = tmp_path / "big.warc.gz"
    write_warc(path, _big_captures())
    full = [
        (r.offset, r.http_headers.statusline, r.http_headers.headers)
        for r in iter_records(path)
        if r.rec_type == "response"
    ]
    skipper = BlockSkipper(_members(path), lambda ref: ref.rec_type == "response")
    seen = []
    for ref in iter_records(path, skipper=skipper):
        if ref.rec_type == "response":
            seen.append((ref.offset, ref.http_headers.statusline, ref.http_headers.headers))
            with pytest.raises(ValueError, match="not read"):
                ref.read_content()
    assert seen == full and skipper.skipped == 4


def _big_whole_file(tmp_path: Path) -> tuple[Path, int]:
    """A file gzipped as a whole, far larger than warcio's read buffer: 60 captures of
    ~20 KB, some of them Content-Encoding: gzip (a gzip stream inside the stream)."""
    caps = [
        Capture(
            f"http://example.com/{i}",
            html_page(f"Page {i}", "word " * 4000),
            content_encoding="gzip" if i % 3 == 0 else None,
        )
        for i in range(60)
    ]
    plain = tmp_path / "plain.warc"
    write_warc(plain, caps, gzip=False)
    records = sum(1 for _ in iter_records(plain))
    assert records > 120
    return gzip_whole_file(plain, tmp_path / "whole.warc.gz"), records


def test_a_large_file_gzipped_as_a_whole_is_read_to_its_end(tmp_path: Path) -> None:
    whole, records = _big_whole_file(tmp_path)
    errors: list[ReadError] = []
    refs = [(r.rec_type, r.header("WARC-Target-URI")) for r in iter_records(whole, errors=errors)]
    assert errors == [] and len(refs) == records
    assert refs[-1] == ("response", "http://example.com/59")


def test_damage_in_a_file_gzipped_as_a_whole_keeps_the_records_before_it(
    tmp_path: Path,
) -> None:
    whole, records = _big_whole_file(tmp_path)
    data = bytearray(whole.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 64] = bytes(b ^ 0x5A for b in data[middle : middle + 64])
    whole.write_bytes(bytes(data))
    errors: list[ReadError] = []
    read = sum(1 for _ in iter_records(whole, errors=errors))
    assert records // 4 < read < records  # the records before the damage, not nothing
    assert len(errors) == 1 and errors[0].offset == 0 and "corrupt" in errors[0].message
