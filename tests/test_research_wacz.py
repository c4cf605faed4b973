"""CDXJ and WACZ: the index points at the right records; the package validates and replays.

Replay is checked the way a replay tool serves a capture: look the page up in the WACZ's
CDXJ index, read the WARC record at that offset inside the package, and compare its
payload with the bytes the archive holds. pywb itself replays the package in
test_research_pywb.py (from its own virtualenv: it pins redis 2.10, the crawl needs redis 5).
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import subprocess
import sys
import zipfile
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_research_archive import research_archive, run_cli  # noqa: F401 - shared fixture
from warcio.archiveiterator import ArchiveIterator

from archive import Archive
from archive import cli as archive_cli
from archive.wacz import INDEX_ENTRY, INDEX_IDX_ENTRY, PAGES_ENTRY, WARC_ENTRY

WACZ = str(Path(sys.executable).parent / "wacz")


def cdxj_lines(text: str) -> list[tuple[str, str, dict]]:
    out = []
    for line in text.splitlines():
        key, timestamp, fields = line.split(" ", 2)
        out.append((key, timestamp, json.loads(fields)))
    return out


def record_at(stream: io.BufferedIOBase, offset: int, length: int):
    """The one WARC record of ``length`` bytes at ``offset``, with its payload read."""
    stream.seek(offset)
    chunk = stream.read(length)
    record = next(iter(ArchiveIterator(io.BytesIO(chunk))))
    return record, record.content_stream().read()


def fetch_ids_by_record(warc: Path) -> dict[str, int]:
    """WARC-Record-ID of each response/revisit -> the archive's fetch id (metadata record)."""
    found = {}
    with warc.open("rb") as stream:
        for record in ArchiveIterator(stream):
            if record.rec_type == "metadata":
                fields = dict(line.split(": ", 1) for line in
                              record.content_stream().read().decode().splitlines())
                found[record.rec_headers.get_header("WARC-Concurrent-To")] = int(
                    fields["ogi-fetch-id"])
    return found


def sha1_base32(data: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode()


def timestamp14(fetched_at: str) -> str:
    return "".join(ch for ch in fetched_at[:19] if ch.isdigit())


@pytest.fixture(scope="module")
def warc_and_cdxj(research_archive: Path, tmp_path_factory) -> tuple[Path, Path]:  # noqa: F811
    out = tmp_path_factory.mktemp("cdxj") / "archive.warc.gz"
    result = run_cli(archive_cli.warc, "--archive", str(research_archive), "--out", str(out),
                     "--cdxj")
    index = out.with_name("archive.cdxj")
    assert f"{index}: " in result.output
    return out, index


def test_every_cdxj_line_points_at_its_fetch(warc_and_cdxj, research_archive: Path) -> None:  # noqa: F811
    warc, index = warc_and_cdxj
    lines = cdxj_lines(index.read_text(encoding="utf-8"))
    assert [(key, ts) for key, ts, _ in lines] == sorted((key, ts) for key, ts, _ in lines)
    fetch_of = fetch_ids_by_record(warc)
    with Archive(research_archive) as db:
        fetches = {row["id"]: row for row in db.query(
            "SELECT * FROM fetches WHERE status IS NOT NULL")}
        seen_digest: dict[str, str] = {}
        covered = []
        with warc.open("rb") as stream:
            for _key, timestamp, fields in lines:
                record, payload = record_at(stream, int(fields["offset"]), int(fields["length"]))
                fetch = fetches[fetch_of[record.rec_headers.get_header("WARC-Record-ID")]]
                covered.append(fetch["id"])
                assert fields["filename"] == "archive.warc.gz"
                assert fields["url"] == fetch["final_url"] == record.rec_headers.get_header(
                    "WARC-Target-URI")
                assert timestamp == timestamp14(fetch["fetched_at"])
                assert fields["status"] == str(fetch["status"])
                body = db.body(fetch["sha256"]) if fetch["sha256"] else b""
                if record.rec_type == "response":
                    assert payload == body
                    assert fields["digest"] == sha1_base32(body)
                    seen_digest.setdefault(fetch["sha256"], fields["digest"])
                else:
                    assert record.rec_type == "revisit" and fields["mime"] == "warc/revisit"
                    assert fields["digest"] == sha1_base32(body)
    assert Counter(covered) == Counter(list(fetches))  # each stored fetch exactly once
    assert any(fields["mime"] == "warc/revisit" for _, _, fields in lines)


@pytest.fixture(scope="module")
def package(research_archive: Path, tmp_path_factory) -> Path:  # noqa: F811
    out = tmp_path_factory.mktemp("wacz") / "crawl.wacz"
    result = run_cli(archive_cli.wacz, "--archive", str(research_archive), "--out", str(out))
    assert "pages" in result.output
    return out


def test_wacz_validate_accepts_the_package(package: Path) -> None:
    check = subprocess.run([WACZ, "validate", "-f", str(package)], capture_output=True,
                           text=True, check=False)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "Validation succeeded" in check.stdout
    with zipfile.ZipFile(package) as wacz:
        stored = {info.filename: info.compress_type for info in wacz.infolist()}
        datapackage = json.loads(wacz.read("datapackage.json"))
        digest = json.loads(wacz.read("datapackage-digest.json"))
        assert stored[WARC_ENTRY] == stored[INDEX_ENTRY] == zipfile.ZIP_STORED
        for resource in datapackage["resources"]:
            data = wacz.read(resource["path"])
            assert resource["hash"] == "sha256:" + hashlib.sha256(data).hexdigest()
            assert resource["bytes"] == len(data)
        assert digest["hash"] == "sha256:" + hashlib.sha256(
            wacz.read("datapackage.json")).hexdigest()
    assert datapackage["wacz_version"] == "1.1.1"
    assert {r["path"] for r in datapackage["resources"]} == set(stored) - {
        "datapackage.json", "datapackage-digest.json"}


def test_pages_list_every_report_and_its_page_with_title(package: Path,
                                                         research_archive: Path) -> None:  # noqa: F811
    with zipfile.ZipFile(package) as wacz:
        header, *pages = [json.loads(line) for line in
                          wacz.read(PAGES_ENTRY).decode("utf-8").splitlines()]
    assert header["format"] == "json-pages-1.0" and header["id"] == "pages"
    with Archive(research_archive) as db:
        documents = list(db.query(
            "SELECT documents.url, documents.attachment_of, current.title, current.kind"
            " FROM current JOIN documents ON documents.id = current.document_id"))
    titles = {row["url"]: row["title"] for row in documents}
    reports = [row for row in documents if row["kind"] in ("report", "image_only")]
    expected = {row["url"] for row in reports} | {
        row["attachment_of"] for row in reports if row["attachment_of"]}
    listed = {page["url"]: page for page in pages}
    assert len(listed) == len(pages) and set(listed) == expected  # the replica never redirects
    assert all(page.get("title") == titles[url] for url, page in listed.items())
    assert sum(1 for page in pages if page.get("title")) > len(reports) // 2


def test_a_report_page_replays_from_the_package_with_the_archived_bytes(
        package: Path, research_archive: Path) -> None:  # noqa: F811
    with zipfile.ZipFile(package) as wacz:
        pages = [json.loads(line) for line in
                 wacz.read(PAGES_ENTRY).decode("utf-8").splitlines()[1:]]
        blocks = wacz.read(INDEX_ENTRY)
        meta, *secondary = cdxj_lines(wacz.read(INDEX_IDX_ENTRY).decode("utf-8"))
        assert meta[0] == "!meta" and meta[2]["filename"] == "index.cdx.gz"
        assert secondary
        for _key, _ts, block in secondary:  # each block of the ZipNum index stands alone
            start, size = int(block["offset"]), int(block["length"])
            first = gzip.decompress(blocks[start:start + size]).decode("utf-8").split(" ", 2)
            assert (first[0], first[1]) == (_key, _ts)
        lines = cdxj_lines(gzip.decompress(blocks).decode("utf-8"))
        with Archive(research_archive) as db:
            report = db.one(
                "SELECT documents.url, fetches.sha256, fetches.fetched_at FROM current"
                " JOIN documents ON documents.id = current.document_id"
                " JOIN fetches ON fetches.id = current.fetch_id"
                " WHERE current.kind = 'report' AND fetches.content_type LIKE 'application/pdf%'"
                " ORDER BY current.id LIMIT 1")
            archived = db.body(report["sha256"])
        page = next(p for p in pages if p["url"] == report["url"])
        capture = next(fields for _key, ts, fields in lines
                       if fields["url"] == page["url"] and ts == timestamp14(page["ts"]))
        assert capture["filename"] == "data.warc.gz" and capture["mime"] == "application/pdf"
        with wacz.open(WARC_ENTRY) as warc:
            record, payload = record_at(warc, int(capture["offset"]), int(capture["length"]))
    assert record.rec_type == "response" and payload == archived
    assert record.http_headers.get_statuscode() == "200"


def test_an_unwritable_output_is_a_clear_error(research_archive: Path, tmp_path: Path) -> None:  # noqa: F811
    missing = tmp_path / "missing"
    for command, out, extra in ((archive_cli.wacz, missing / "crawl.wacz", []),
                                (archive_cli.warc, missing / "archive.warc.gz", ["--cdxj"])):
        result = CliRunner().invoke(command, ["--archive", str(research_archive),
                                              "--out", str(out), *extra])
        assert result.exit_code == 1, result.output
        assert f"{out}: No such file or directory" in result.output
        assert isinstance(result.exception, SystemExit)  # no traceback
