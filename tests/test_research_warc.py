"""WARC export: passes `warcio check`, indexes, and holds every archived body."""

from __future__ import annotations

import gzip
import hashlib
import json
import subprocess
import sys
from pathlib import Path

from test_research_archive import research_archive, run_cli  # noqa: F401 - shared fixture
from warcio.archiveiterator import ArchiveIterator

from archive import Archive
from archive import cli as archive_cli
from archive.warc import write_warc

WARCIO = str(Path(sys.executable).parent / "warcio")


def read_records(path: Path) -> list[dict]:
    records = []
    with path.open("rb") as stream:
        for record in ArchiveIterator(stream):
            entry = {"type": record.rec_type,
                     "uri": record.rec_headers.get_header("WARC-Target-URI"),
                     "date": record.rec_headers.get_header("WARC-Date"),
                     "id": record.rec_headers.get_header("WARC-Record-ID"),
                     "refers_to": record.rec_headers.get_header("WARC-Refers-To"),
                     "concurrent_to": record.rec_headers.get_header("WARC-Concurrent-To"),
                     "http": record.http_headers}
            entry["payload"] = record.content_stream().read()
            records.append(entry)
    return records


def test_warc_passes_warcio_check_and_holds_every_body(research_archive: Path,  # noqa: F811
                                                        tmp_path: Path) -> None:
    out = tmp_path / "archive.warc.gz"
    result = run_cli(archive_cli.warc, "--archive", str(research_archive), "--out", str(out))
    assert "revisit" in result.output

    check = subprocess.run([WARCIO, "check", "-v", str(out)], capture_output=True, text=True,
                           check=False)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "digest pass" in check.stdout and "fail" not in check.stdout.lower()
    index = subprocess.run([WARCIO, "index", "-f", "warc-type,warc-target-uri", str(out)],
                           capture_output=True, text=True, check=True)
    indexed = [json.loads(line) for line in index.stdout.splitlines()]

    records = read_records(out)
    assert [r["warc-type"] for r in indexed] == [r["type"] for r in records]
    with Archive(research_archive) as db:
        fetches = list(db.query("SELECT * FROM fetches WHERE status IS NOT NULL ORDER BY id"))
        bodies = {r["sha256"] for r in db.query("SELECT sha256 FROM bodies")}
        failed = db.one("SELECT COUNT(*) AS n FROM fetches WHERE status IS NULL")["n"]
    responses = [r for r in records if r["type"] == "response"]
    revisits = [r for r in records if r["type"] == "revisit"]
    written = {hashlib.sha256(r["payload"]).hexdigest() for r in responses}
    assert bodies <= written  # every archived body, byte for byte
    distinct = len({f["sha256"] for f in fetches})
    assert len(revisits) == len(fetches) - distinct > 0
    assert len(responses) + len(revisits) == len(fetches)
    assert sum(r["type"] == "request" for r in records) == len(fetches)
    assert failed == 2 and records[0]["type"] == "warcinfo"

    by_id = {r["id"]: r for r in records}
    for revisit in revisits:
        original = by_id[revisit["refers_to"]]
        assert original["type"] == "response" and original["date"] <= revisit["date"]
    captured = {(r["uri"], r["date"]) for r in responses + revisits}
    assert all((f["final_url"], f["fetched_at"][:19] + "Z") in captured for f in fetches)


def test_warc_keeps_redirects_and_original_encodings(tmp_path: Path) -> None:
    page = "<html><body>2023年政府信息公开工作年度报告</body></html>".encode("gbk")
    with Archive(tmp_path / "a.db") as db:
        run = db.start_run({}, code_version="test-sha")
        db.record_fetch(
            run_id=run, url="http://www.xx.gov.cn/ndbg", final_url="http://www.xx.gov.cn/ndbg/",
            status=200, body=page, fetched_at="2026-11-22T10:00:00.250000Z",
            request_headers={"User-Agent": "ogi-archive", "Accept-Encoding": "gzip"},
            response_headers={"Content-Type": "text/html; charset=gbk",
                              "Content-Encoding": "gzip",
                              "Content-Length": str(len(gzip.compress(page)))},
        )
        db.record_fetch(run_id=run, url="http://www.xx.gov.cn/ndbg/", status=304,
                        fetched_at="2026-11-23T10:00:00Z")
        counts = write_warc(db, tmp_path / "a.warc.gz")
    assert counts == {"request": 2, "response": 2, "revisit": 0, "metadata": 2,
                      "failed fetches": 0}
    assert subprocess.run([WARCIO, "check", str(tmp_path / "a.warc.gz")],
                          check=False).returncode == 0
    records = read_records(tmp_path / "a.warc.gz")
    response, request, metadata = records[1:4]
    assert (response["uri"], response["date"]) == ("http://www.xx.gov.cn/ndbg/",
                                                  "2026-11-22T10:00:00Z")
    assert response["payload"] == page
    assert response["http"].get_header("Content-Encoding") is None
    assert response["http"].get_header("X-Archive-Orig-Content-Encoding") == "gzip"
    assert response["http"].get_header("Content-Length") == str(len(page))
    assert request["http"].get_header("Host") == "www.xx.gov.cn"
    assert request["http"].protocol == "GET"
    assert request["concurrent_to"] == response["id"] == metadata["concurrent_to"]
    assert b"ogi-requested-uri: http://www.xx.gov.cn/ndbg\r\n" in metadata["payload"]
    not_modified = records[4]
    assert not_modified["http"].get_statuscode() == "304" and not_modified["payload"] == b""
