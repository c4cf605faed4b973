"""Worker shards merge into one archive that equals a single-worker archive of the same fetches."""

from __future__ import annotations

import hashlib
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from archive import Archive
from archive.merge import merge_shards
from crawler.replica.network import build_network
from parsers import parse_document


@pytest.fixture(scope="module")
def exchanges() -> list[dict]:
    """Real-shaped fetches: report pages and attachments of two replica portals, parsed once."""
    net = build_network(seed=4)
    truth = net.truth()
    hosts = sorted({r["portal_host"] for r in truth["reports"]})[:2]
    wanted = [r for r in truth["reports"] if r["portal_host"] in hosts][:24]
    out = []
    for n, report in enumerate(wanted):
        for url, parent in ((report["page_url"], None), (report["url"], report["page_url"])):
            if parent and url == report["page_url"]:
                continue
            reply = net.respond("GET", url)
            headers = dict(reply.headers)
            out.append({"url": url, "parent": parent, "body": reply.body, "headers": headers,
                        "portal": report["portal_code"], "at": f"2026-11-25T10:{n:02d}:00Z",
                        "record": parse_document(reply.body, url, headers.get("Content-Type"))})
    return out


def _write(path: Path, exchanges: list[dict], worker: str) -> None:
    with Archive(path, worker=worker) as db:
        run = db.start_run({"worker": worker}, code_version="test")
        db.upsert_portals({"code": code, "name": code, "level": "county"} for code in {e["portal"] for e in exchanges})
        for exchange in exchanges:
            fetch = db.record_fetch(run_id=run, url=exchange["url"], final_url=exchange["url"], status=200,
                                    request_headers={}, response_headers=exchange["headers"], body=exchange["body"],
                                    fetched_at=exchange["at"], duration=0.01, portal_code=exchange["portal"])
            db.record_document(fetch_id=fetch, url=exchange["url"], record=exchange["record"],
                               attachment_of=exchange["parent"], portal_code=exchange["portal"])
        db.finish_run(run, {"fetches": len(exchanges)})


def _content(path: Path) -> dict[str, set]:
    conn = sqlite3.connect(path)
    try:
        return {
            "bodies": set(conn.execute("SELECT sha256, size FROM bodies")),
            "documents": set(conn.execute(
                "SELECT d.url, d.kind, d.organ, d.report_year, d.version, d.sha256, p.url FROM documents d"
                " LEFT JOIN documents p ON p.id = d.attachment_of_id")),
            "values": set(conn.execute(
                "SELECT d.url, v.key, v.value, v.inferred FROM report_values v JOIN reports r ON r.id = v.report_id"
                " JOIN documents d ON d.id = r.document_id")),
            "fetches": set(conn.execute("SELECT url, fetched_at, sha256 FROM fetches")),
        }
    finally:
        conn.close()


def test_two_shards_merge_into_what_one_worker_would_have_written(tmp_path: Path, exchanges: list[dict]) -> None:
    half = len(exchanges) // 2
    overlap = exchanges[half - 2:half]  # both workers fetched these (same bytes, same moment)
    _write(tmp_path / "one.db", exchanges[:half], "w1")
    _write(tmp_path / "two.db", overlap + exchanges[half:], "w2")
    _write(tmp_path / "single.db", exchanges, "solo")

    counts = merge_shards([tmp_path / "one.db", tmp_path / "two.db"], into=tmp_path / "merged.db")
    assert counts["shards"] == 2 and counts["runs"] == 2
    merged, single = _content(tmp_path / "merged.db"), _content(tmp_path / "single.db")
    assert merged["bodies"] == single["bodies"]
    assert merged["documents"] == single["documents"]
    assert merged["values"] == single["values"]
    # every worker's fetches stay (provenance); the shared bodies are stored once
    assert merged["fetches"] == _content(tmp_path / "one.db")["fetches"] | _content(tmp_path / "two.db")["fetches"]
    with Archive(tmp_path / "merged.db") as db:
        assert db.check() == []
        workers = {row["worker"] for row in db.query("SELECT worker FROM crawl_runs")}
        assert workers == {"w1", "w2"}


def test_merging_a_shard_twice_adds_nothing(tmp_path: Path, exchanges: list[dict]) -> None:
    _write(tmp_path / "one.db", exchanges[:10], "w1")
    first = merge_shards([tmp_path / "one.db"], into=tmp_path / "merged.db")
    again = merge_shards([tmp_path / "one.db"], into=tmp_path / "merged.db")
    shard = _content(tmp_path / "one.db")
    assert (first["fetches"], first["documents"]) == (len(shard["fetches"]), len(shard["documents"]))
    assert again == {"shards": 1, "runs": 0, "bodies": 0, "fetches": 0, "documents": 0, "reports": 0}


def test_a_later_shard_updates_a_document_it_saw_change(tmp_path: Path, exchanges: list[dict]) -> None:
    page = exchanges[0]
    changed = dict(page, body=page["body"] + b"<!-- corrected -->", at="2026-12-01T00:00:00Z")
    _write(tmp_path / "old.db", [page], "w1")
    _write(tmp_path / "new.db", [changed], "w2")
    merge_shards([tmp_path / "new.db", tmp_path / "old.db"], into=tmp_path / "merged.db")
    with Archive(tmp_path / "merged.db") as db:
        doc = db.one("SELECT version, first_seen, last_seen, sha256 FROM documents WHERE url = ?", (page["url"],))
    assert doc["version"] == 2
    assert (doc["first_seen"], doc["last_seen"]) == (page["at"], changed["at"])
    assert doc["sha256"] == hashlib.sha256(changed["body"]).hexdigest()


def test_ogi_merge_command(tmp_path: Path, exchanges: list[dict]) -> None:
    _write(tmp_path / "one.db", exchanges[:4], "w1")
    _write(tmp_path / "two.db", exchanges[4:8], "w2")
    out = subprocess.run([sys.executable, "-m", "ogi.cli", "merge", str(tmp_path / "one.db"), str(tmp_path / "two.db"),
                          "--into", str(tmp_path / "all.db")], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "2 shards" in out.stdout
    assert len(_content(tmp_path / "all.db")["documents"]) == 8
    missing = subprocess.run([sys.executable, "-m", "ogi.cli", "merge", str(tmp_path / "nope.db"),
                              "--into", str(tmp_path / "all.db")], capture_output=True, text=True)
    assert missing.returncode != 0 and "no such shard" in missing.stderr


def test_a_portal_takes_its_status_from_the_run_that_finished_it(tmp_path: Path) -> None:
    # Each worker writes a status for every portal of its registry; only one of them crawled it.
    for shard, worker, finished, other in (("one.db", "w1", ("150121", "ok", None), "150122"),
                                           ("two.db", "w2", ("150122", "dead", "DNS: no such host"), "150121")):
        with Archive(tmp_path / shard, worker=worker) as db:
            run = db.start_run({"worker": worker}, code_version="test")
            db.upsert_portals({"code": code, "name": code, "level": "county"} for code in ("150121", "150122"))
            db.finish_portal(run, *finished, pages=3)
            db.set_portal_status(finished[0], finished[1], finished[2], run)
            db.set_portal_status(other, "pending", "crawled by another worker", run)  # later, and wrong
            db.finish_run(run, {})
    merge_shards([tmp_path / "one.db", tmp_path / "two.db"], into=tmp_path / "merged.db")
    with Archive(tmp_path / "merged.db") as db:
        portals = {row["code"]: (row["status"], row["reason"], row["worker"]) for row in db.query(
            "SELECT code, status, reason, worker FROM portals JOIN crawl_runs ON crawl_runs.id = portals.last_run_id")}
        finished_by = {row["portal_code"]: row["worker"] for row in db.query(
            "SELECT portal_code, worker FROM portal_runs JOIN crawl_runs ON crawl_runs.id = portal_runs.run_id")}
    assert portals == {"150121": ("ok", None, "w1"), "150122": ("dead", "DNS: no such host", "w2")}
    assert finished_by == {"150121": "w1", "150122": "w2"}
