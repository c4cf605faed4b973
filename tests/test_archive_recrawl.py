"""What the archive remembers across crawls: versions, gone and moved documents, finished portals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from archive import Archive
from archive import cli as archive_cli
from crawler.replica.network import build_network
from parsers import parse_document


@pytest.fixture(scope="module")
def pages() -> list[tuple[str, bytes, str]]:
    """Three real-shaped report pages of the replica: (url, body, content type)."""
    net = build_network(seed=5)
    reports = [r for r in net.truth()["reports"] if r["kind"] == "html"][:3]
    out = []
    for report in reports:
        reply = net.respond("GET", report["url"])
        out.append((report["url"], reply.body, dict(reply.headers)["Content-Type"]))
    return out


def _crawl(db: Archive, run: int, url: str, body: bytes, content_type: str, at: str, *,
           final_url: str | None = None, status: int = 200) -> int:
    fetch = db.record_fetch(run_id=run, url=url, final_url=final_url or url, status=status,
                            response_headers={"Content-Type": content_type}, body=body, fetched_at=at)
    if status == 200:
        document_url = final_url or url
        db.record_document(fetch_id=fetch, url=document_url,
                           record=parse_document(body, document_url, content_type))
    return fetch


def test_a_changed_body_is_a_new_version_and_the_old_one_stays(tmp_path: Path, pages) -> None:
    url, body, content_type = pages[0]
    with Archive(tmp_path / "a.db") as db:
        run = db.start_run({}, "t")
        _crawl(db, run, url, body, content_type, "2025-01-10T00:00:00Z")
        _crawl(db, run, url, body.replace(b"</html>", b"<!-- corrected --></html>"), content_type,
               "2025-06-01T00:00:00Z")
        doc = db.one("SELECT id, version, first_seen, last_seen FROM documents WHERE url = ?", (url,))
        bodies = list(db.query("SELECT first_seen FROM document_bodies WHERE document_id = ? ORDER BY 1", (doc["id"],)))
        reports = db.one("SELECT COUNT(*) AS n FROM reports WHERE document_id = ?", (doc["id"],))
        found = db.changes("2025-05-01")
    assert doc["version"] == 2 and (doc["first_seen"], doc["last_seen"]) == ("2025-01-10T00:00:00Z", "2025-06-01T00:00:00Z")
    assert [b["first_seen"] for b in bodies] == ["2025-01-10T00:00:00Z", "2025-06-01T00:00:00Z"]
    assert reports["n"] == 2
    assert [c["url"] for c in found["changed"]] == [url] and found["new"] == []


def test_a_404_marks_gone_with_evidence_and_keeps_everything(tmp_path: Path, pages) -> None:
    url, body, content_type = pages[0]
    with Archive(tmp_path / "a.db") as db:
        run = db.start_run({}, "t")
        _crawl(db, run, url, body, content_type, "2025-01-10T00:00:00Z")
        _crawl(db, run, url, b"<html>404</html>", "text/html", "2025-06-01T00:00:00Z", status=404)
        doc = db.one("SELECT status, last_seen, gone_at, gone_evidence, sha256 FROM documents WHERE url = ?", (url,))
        assert db.one("SELECT COUNT(*) AS n FROM reports")["n"] == 1
        found = db.changes("2025-05-01")
    assert doc["status"] == "gone" and doc["last_seen"] == "2025-01-10T00:00:00Z"
    assert doc["gone_at"] == "2025-06-01T00:00:00Z" and "404" in doc["gone_evidence"]
    assert [g["url"] for g in found["gone"]] == [url]


def test_a_document_that_left_its_list_is_marked_gone(tmp_path: Path, pages) -> None:
    url, body, content_type = pages[0]
    with Archive(tmp_path / "a.db") as db:
        run = db.start_run({}, "t")
        _crawl(db, run, url, body, content_type, "2025-01-10T00:00:00Z")
        assert db.mark_gone(url, "no longer listed on http://x.gov.cn/col/col1/index.html", at="2025-06-01T00:00:00Z")
        assert not db.mark_gone(url, "again")  # only live documents go
        doc = db.one("SELECT status, gone_evidence FROM documents WHERE url = ?", (url,))
    assert doc == {"status": "gone", "gone_evidence": "no longer listed on http://x.gov.cn/col/col1/index.html"}


def test_a_redirect_to_the_same_bytes_at_a_new_url_is_a_move(tmp_path: Path, pages) -> None:
    url, body, content_type = pages[0]
    new_url = url.replace(".html", "_1.html")
    with Archive(tmp_path / "a.db") as db:
        run = db.start_run({}, "t")
        _crawl(db, run, url, body, content_type, "2025-01-10T00:00:00Z")
        _crawl(db, run, new_url, body, content_type, "2025-06-01T00:00:00Z")  # listed at its new address
        assert db.one("SELECT status FROM documents WHERE url = ?", (url,))["status"] == "live"  # not yet known
        _crawl(db, run, url, body, content_type, "2025-06-01T00:01:00Z", final_url=new_url)  # the old one redirects
        old = db.one("SELECT status, moved_to_id FROM documents WHERE url = ?", (url,))
        new = db.one("SELECT id, status FROM documents WHERE url = ?", (new_url,))
        found = db.changes("2025-05-01")
    assert old == {"status": "moved", "moved_to_id": new["id"]} and new["status"] == "live"
    assert [(m["from_url"], m["to_url"]) for m in found["moved"]] == [(url, new_url)]
    assert found["new"] == [] and found["gone"] == []


def test_a_gone_document_whose_bytes_reappear_elsewhere_moved_there(tmp_path: Path, pages) -> None:
    url, body, content_type = pages[1]
    new_url = url.replace(".html", "_moved.html")
    with Archive(tmp_path / "a.db") as db:
        run = db.start_run({}, "t")
        _crawl(db, run, url, body, content_type, "2025-01-10T00:00:00Z")
        _crawl(db, run, url, b"gone", "text/html", "2025-06-01T00:00:00Z", status=404)
        _crawl(db, run, new_url, body, content_type, "2025-06-01T00:05:00Z")
        assert db.one("SELECT status FROM documents WHERE url = ?", (url,))["status"] == "moved"


def test_the_same_report_live_at_two_urls_is_not_a_move(tmp_path: Path, pages) -> None:
    url, body, content_type = pages[2]
    alias = url.replace(".html", "_copy.html")
    with Archive(tmp_path / "a.db") as db:
        run = db.start_run({}, "t")
        _crawl(db, run, url, body, content_type, "2025-01-10T00:00:00Z")
        _crawl(db, run, alias, body, content_type, "2025-01-10T00:01:00Z")
        statuses = {row["url"]: row["status"] for row in db.query("SELECT url, status FROM documents")}
    assert statuses == {url: "live", alias: "live"}


def test_runs_record_the_portals_they_finished(tmp_path: Path) -> None:
    with Archive(tmp_path / "a.db") as db:
        run = db.start_run({}, "t")
        db.finish_portal(run, "150124", "ok", pages=12, reports=5)
        db.finish_portal(run, "150424", "dead", "dns: could not resolve host")
        assert db.finished_portals() == {"150124", "150424"}


def test_ogi_changes_and_export_status_filter(tmp_path: Path, pages) -> None:
    path = tmp_path / "a.db"
    with Archive(path) as db:
        run = db.start_run({}, "t")
        for url, body, content_type in pages:
            _crawl(db, run, url, body, content_type, "2025-01-10T00:00:00Z")
        _crawl(db, run, pages[0][0], b"x", "text/html", "2025-06-01T00:00:00Z", status=410)
    out = CliRunner().invoke(archive_cli.changes, ["--archive", str(path), "--since", "2025-05-01", "--json"])
    assert out.exit_code == 0, out.output
    assert [g["url"] for g in json.loads(out.output)["gone"]] == [pages[0][0]]
    every = CliRunner().invoke(archive_cli.export, ["--archive", str(path), "--format", "jsonl"])
    live = CliRunner().invoke(archive_cli.export, ["--archive", str(path), "--format", "jsonl", "--status", "live"])
    statuses = [json.loads(line)["status"] for line in every.output.splitlines() if line.startswith("{")]
    assert sorted(statuses) == ["gone", "live", "live"]
    assert len([line for line in live.output.splitlines() if line.startswith("{")]) == 2
