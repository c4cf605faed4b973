"""The archive: provenance round trip, deduplication, reparse without network, check, export."""

from __future__ import annotations

import json
import socket
import sqlite3
import zlib
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

import parsers
from archive import Archive, ArchiveError, default_archive_path
from archive.db import sha256_hex
from archive.schema import SCHEMA_VERSION
from archive import cli as archive_cli
from conftest import shared_path

RUN_AT = "2026-11-22T10:00:00Z"


def seed_cases() -> list[tuple[str, dict]]:
    """(report text, expected record) of every real seed report."""
    expected_dir = shared_path("seeds", "expected")
    cases = []
    for expected_path in sorted(expected_dir.glob("*.json")):
        text = (expected_dir.parent / f"{expected_path.stem}.txt").read_text(encoding="utf-8")
        cases.append((text, json.loads(expected_path.read_text(encoding="utf-8"))))
    return cases


def report_page(text: str) -> bytes:
    """A report page as county portals serve it: GBK-encoded HTML around the text."""
    paragraphs = "".join(f"<p>{line}</p>" for line in text.splitlines() if line.strip())
    html = (
        '<html><head><meta charset="gbk"><title>年度报告</title></head>'
        f'<body><div class="content">{paragraphs}</div></body></html>'
    )
    return html.encode("gbk", errors="replace")


def record_for(text: str, expected: dict, parser_version: str = "test-1") -> dict:
    """A parser-shaped record carrying a seed's expected values."""
    title = text.splitlines()[0].strip()
    return {
        "schema_version": 1,
        "parser_version": parser_version,
        "kind": "report",
        "reason": "title and tables of the annual report",
        "title": title,
        "organ": expected["organ"],
        "organ_level": "township" if "乡" in expected["organ"] else "county",
        "report_year": expected["report_year"],
        "published_on": expected["published_on"],
        "signed_on": expected["signed_on"],
        "table_format": expected["table_format"],
        "values": expected["values"],
        "inferred": [],
        "checks": [{"name": "t3.balance", "scope": "total", "ok": True, "detail": "seed"}],
        "warnings": [],
        "text": text,
        "attachments": [],
    }


def list_page_record(attachments: list[dict]) -> dict:
    return {
        "schema_version": 1,
        "parser_version": "test-1",
        "kind": "not_report",
        "reason": "a list of links",
        "title": "政府信息公开年报",
        "values": {},
        "checks": [],
        "text": "政府信息公开年报 列表",
        "attachments": attachments,
    }


def crawl(db: Archive, cases: list[tuple[str, dict]]) -> dict:
    """A crawl-shaped sequence: run, registry, a list page, its report pages, finish."""
    run = db.start_run({"CONCURRENT_REQUESTS": 8}, code_version="test-sha", worker="w1")
    db.upsert_portals(
        [{"code": "152223", "name": "扎赉特旗", "level": "county", "province": "内蒙古自治区",
          "url": "http://www.zltq.gov.cn/", "source": "registry.csv", "timezone": "+08"}]
    )
    list_url = "http://www.zltq.gov.cn/zfxxgk/ndbg/index.html"
    report_urls = [f"http://www.zltq.gov.cn/zfxxgk/ndbg/{i}.html" for i in range(len(cases))]
    list_body = "".join(f'<a href="{u}">年度报告</a>' for u in report_urls).encode("utf-8")
    list_fetch = db.record_fetch(
        run_id=run, url=list_url, final_url=list_url, status=200,
        request_headers={b"User-Agent": [b"ogi-archive"]},
        response_headers={b"Content-Type": [b"text/html; charset=utf-8"]},
        body=list_body, fetched_at=RUN_AT, duration=0.1, portal_code="152223",
    )
    list_doc = db.record_document(
        fetch_id=list_fetch, url=list_url, portal_code="152223",
        record=list_page_record([{"url": u, "text": "年度报告"} for u in report_urls]),
    )
    fetches, documents = [], []
    for url, (text, expected) in zip(report_urls, cases, strict=True):
        fetch = db.record_fetch(
            run_id=run, url=url, final_url=url + "?redirected=1", status=200,
            request_headers={"User-Agent": "ogi-archive"},
            response_headers={"Content-Type": "text/html; charset=gbk", "ETag": '"v1"',
                              "Last-Modified": "Tue, 16 Jan 2024 01:22:31 GMT"},
            body=report_page(text), fetched_at=RUN_AT, duration=0.2, portal_code="152223",
        )
        fetches.append(fetch)
        documents.append(db.record_document(
            fetch_id=fetch, url=url, record=record_for(text, expected), attachment_of=list_url,
        ))
    db.set_portal_status("152223", "ok", None, run)
    db.finish_run(run, {"pages": len(cases) + 1})
    return {"run": run, "list_url": list_url, "list_doc": list_doc, "report_urls": report_urls,
            "fetches": fetches, "documents": documents}


@pytest.fixture
def archive_path(tmp_path: Path) -> Path:
    return tmp_path / "archive.db"


def test_crawl_shaped_writes_round_trip(archive_path: Path) -> None:
    cases = seed_cases()
    with Archive(archive_path) as db:
        crawled = crawl(db, cases)
    with Archive(archive_path) as db:  # reopened: everything was committed at close
        for url, fetch_id, (text, _) in zip(crawled["report_urls"], crawled["fetches"], cases,
                                            strict=True):
            body, content_type, final_url = db.body_for_url(url)
            assert body == report_page(text)
            assert content_type == "text/html; charset=gbk"
            assert final_url == url + "?redirected=1"
            fetch = db.fetch(fetch_id)
            assert json.loads(fetch["request_headers"]) == {"User-Agent": "ogi-archive"}
            assert fetch["size"] == len(body) and fetch["worker"] == "w1"
        list_fetch = next(db.query("SELECT * FROM fetches WHERE url = ?", (crawled["list_url"],)))
        assert json.loads(list_fetch["request_headers"]) == {"User-Agent": "ogi-archive"}
        assert list_fetch["content_type"] == "text/html; charset=utf-8"

        report_doc = db.one("SELECT * FROM documents WHERE id = ?", (crawled["documents"][0],))
        assert report_doc["attachment_of"] == crawled["list_url"]
        assert report_doc["attachment_of_id"] == crawled["list_doc"]
        assert (report_doc["kind"], report_doc["report_year"]) == ("report", cases[0][1]["report_year"])
        links = list(db.query("SELECT url FROM attachments WHERE document_id = ?",
                              (crawled["list_doc"],)))
        assert [link["url"] for link in links] == crawled["report_urls"]

        run = db.one("SELECT * FROM crawl_runs WHERE id = ?", (crawled["run"],))
        assert run["finished_at"] and json.loads(run["stats"]) == {"pages": len(cases) + 1}
        portal = db.one("SELECT * FROM portals WHERE code = '152223'")
        assert (portal["status"], portal["last_run_id"], portal["timezone"]) == ("ok", run["id"], "+08")

        exported = {r["source"]["url"]: r for r in db.export_records(kind="report")}
        for url, (_, expected) in zip(crawled["report_urls"], cases, strict=True):
            record = exported[url]
            assert record["values"] == expected["values"]  # ints stay ints, nulls stay null
            assert (record["status"], record["version"]) == ("live", 1)
            assert record["first_seen"] == record["last_seen"] == "2026-11-22"
            assert record["source"]["attachment_of"] == crawled["list_url"]
            assert "text" not in record
        assert db.check() == []


def test_pdf_attachment_bytes_come_back_exactly(archive_path: Path) -> None:
    body = shared_path("realdata", "hongze-2024.pdf").read_bytes()
    url = "http://www.hongze.gov.cn/uploadfiles/2025/01/ndbg.pdf"
    with Archive(archive_path) as db:
        run = db.start_run({}, code_version="test-sha")
        db.record_fetch(run_id=run, url=url, status=200, body=body,
                        response_headers={"Content-Type": "application/pdf"})
    with Archive(archive_path) as db:
        assert db.body_for_url(url) == (body, "application/pdf", url)
        assert db.check() == []
        with pytest.raises(ArchiveError, match="no stored body"):
            db.body_for_url(url + "?other")


@settings(max_examples=60, deadline=None)
@given(bodies=st.lists(st.binary(max_size=2000), min_size=1, max_size=8))
def test_any_bytes_are_stored_once_and_returned_exactly(bodies: list[bytes]) -> None:
    with Archive(":memory:") as db:
        run = db.start_run({}, code_version="test-sha")
        for number, body in enumerate(bodies):
            fetch = db.record_fetch(run_id=run, url=f"http://a.gov.cn/{number}", body=body)
            assert db.body(db.fetch(fetch)["sha256"]) == body
        assert db.one("SELECT COUNT(*) AS n FROM bodies")["n"] == len(set(bodies))
        assert db.check() == []


def test_report_values_keep_types_and_inferred_flags(archive_path: Path) -> None:
    text, expected = seed_cases()[0]
    record = record_for(text, expected)
    record["values"] = {"t2.fees.amount": 190.457379, "t3.new.total": 12,
                        "t3.carried_in.total": 0, "t2.rules.in_force": None}
    record["inferred"] = ["t3.carried_in.total"]
    record["checks"] = [{"name": "t3.balance", "scope": "total", "ok": False,
                         "detail": "12 + 0 != 11 + 0"}]
    with Archive(archive_path) as db:
        run = db.start_run({}, code_version="test-sha")
        fetch = db.record_fetch(run_id=run, url="http://x.gov.cn/a.html", status=200,
                                body=report_page(text), fetched_at=RUN_AT)
        db.record_document(fetch_id=fetch, url="http://x.gov.cn/a.html", record=record)
        rows = {r["key"]: r for r in db.query("SELECT * FROM report_values")}
        checks = list(db.query("SELECT name, ok, detail FROM report_checks"))
        stats = db.stats()
    assert rows["t3.new.total"]["value"] == 12 and isinstance(rows["t3.new.total"]["value"], int)
    assert rows["t2.fees.amount"]["value"] == pytest.approx(190.457379)
    assert rows["t2.rules.in_force"]["value"] is None
    assert [k for k, r in rows.items() if r["inferred"]] == ["t3.carried_in.total"]
    assert checks == [{"name": "t3.balance", "ok": 0, "detail": "12 + 0 != 11 + 0"}]
    assert stats["checks failed"] == {"t3.balance": 1}
    level = record["organ_level"]
    assert stats["reports by year and level"] == {f"{expected['report_year']} {level}": 1}


def test_same_body_fetched_twice_is_stored_once(archive_path: Path) -> None:
    text, expected = seed_cases()[1]
    body = report_page(text)
    url, mirror = "http://a.gov.cn/r.html", "http://b.gov.cn/r.html"
    with Archive(archive_path) as db:
        run = db.start_run({}, code_version="test-sha")
        for fetch_url in (url, url, mirror):
            fetch = db.record_fetch(run_id=run, url=fetch_url, status=200, body=body,
                                    fetched_at=RUN_AT)
            doc = db.record_document(fetch_id=fetch, url=fetch_url,
                                     record=record_for(text, expected))
        bodies = db.one("SELECT COUNT(*) AS n, SUM(size) AS size FROM bodies")
        fetches = db.one("SELECT COUNT(*) AS n FROM fetches")["n"]
        versions = [r["version"] for r in db.query("SELECT version FROM documents ORDER BY id")]
        reports = db.one("SELECT COUNT(*) AS n FROM reports")["n"]
        stored = db.one("SELECT length(compressed) AS n FROM bodies")["n"]
    assert (bodies["n"], bodies["size"], fetches) == (1, len(body), 3)
    assert versions == [1, 1]  # the repeated fetch of url is not a new version
    assert reports == 2  # one parse per document and body, not per fetch
    assert stored < len(body)
    assert doc


def test_changed_body_is_a_new_version_and_current_follows_it(archive_path: Path) -> None:
    (text, expected), (new_text, new_expected) = seed_cases()[:2]
    url = "http://a.gov.cn/r.html"
    with Archive(archive_path) as db:
        run = db.start_run({}, code_version="test-sha")
        first = db.record_fetch(run_id=run, url=url, status=200, body=report_page(text),
                                fetched_at="2026-11-20T00:00:00Z")
        db.record_document(fetch_id=first, url=url, record=record_for(text, expected))
        second = db.record_fetch(run_id=run, url=url, status=200, body=report_page(new_text),
                                 fetched_at="2026-11-22T00:00:00Z")
        doc = db.record_document(fetch_id=second, url=url, record=record_for(new_text, new_expected))
        current = list(db.query("SELECT * FROM current"))
        document = db.one("SELECT * FROM documents WHERE id = ?", (doc,))
        assert db.one("SELECT COUNT(*) AS n FROM reports")["n"] == 2  # the old parse stays
    assert (document["version"], document["first_seen"][:10], document["last_seen"][:10]) == (
        2, "2026-11-20", "2026-11-22")
    assert [row["fetch_id"] for row in current] == [second]
    assert current[0]["organ"] == new_expected["organ"]


def test_every_report_provenance_chain_resolves(archive_path: Path) -> None:
    cases = seed_cases()
    with Archive(archive_path) as db:
        crawled = crawl(db, cases)
        report_ids = [r["id"] for r in db.query("SELECT id FROM reports")]
        assert len(report_ids) == len(cases) + 1
        for report_id in report_ids:
            chain = db.provenance(report_id)
            assert chain["run_id"] == crawled["run"] and chain["code_version"] == "test-sha"
            assert chain["parser_version"] == "test-1"
            assert db.fetch(chain["fetch_id"])["sha256"] == chain["sha256"]
            assert sha256_hex(db.body(chain["sha256"])) == chain["sha256"]
        with pytest.raises(ArchiveError, match="provenance"):
            db.provenance(10_000)


def test_chinese_full_text_search_finds_report(archive_path: Path) -> None:
    cases = seed_cases()
    with Archive(archive_path) as db:
        crawl(db, cases)
        hits = db.search("巴彦扎拉")  # four characters from the middle of an organ name
        misses = db.search("不存在的词")
        two_characters = db.search("复议")  # below the trigram size: a scan answers
        mentions = [expected["organ"] for text, expected in cases if "复议" in text]
    assert {hit["organ"] for hit in hits} == {"扎赉特旗巴彦扎拉嘎乡人民政府"}
    assert misses == []
    assert mentions and [hit["organ"] for hit in two_characters] == mentions
    result = run_cli(archive_cli.search, "--archive", str(archive_path), "巴彦扎拉")
    assert [json.loads(line)["organ"] for line in result.output.splitlines()] == [
        "扎赉特旗巴彦扎拉嘎乡人民政府"]


def test_gone_and_not_modified_update_documents_and_validators(archive_path: Path) -> None:
    text, expected = seed_cases()[0]
    url = "http://a.gov.cn/r.html"
    with Archive(archive_path) as db:
        run = db.start_run({}, code_version="test-sha")
        assert db.validators(url) is None
        fetch = db.record_fetch(run_id=run, url=url, status=200, body=report_page(text),
                                response_headers={"etag": '"abc"'}, fetched_at=RUN_AT)
        db.record_document(fetch_id=fetch, url=url, record=record_for(text, expected))
        db.record_fetch(run_id=run, url=url, status=304, fetched_at="2026-11-23T00:00:00Z")
        after_304 = db.one("SELECT status, last_seen FROM documents")
        db.record_fetch(run_id=run, url=url, status=404, body=b"<html>404</html>",
                        fetched_at="2026-11-24T00:00:00Z")
        after_404 = db.one("SELECT status, last_seen, gone_at, gone_evidence FROM documents")
        validators = db.validators(url)
        exported = list(db.export_records())
    assert after_304 == {"status": "live", "last_seen": "2026-11-23T00:00:00Z"}
    # gone keeps the last time it was seen, and says when and why it went
    assert after_404["status"] == "gone" and after_404["last_seen"] == "2026-11-23T00:00:00Z"
    assert after_404["gone_at"] == "2026-11-24T00:00:00Z" and after_404["gone_evidence"].startswith("HTTP 404")
    assert validators == {"etag": '"abc"', "last_modified": None,
                          "sha256": sha256_hex(report_page(text))}
    assert exported[0]["status"] == "gone"


def test_failed_fetch_is_kept_with_its_reason(archive_path: Path) -> None:
    with Archive(archive_path) as db:
        run = db.start_run({}, code_version="test-sha")
        fetch = db.record_fetch(run_id=run, url="http://down.gov.cn/", error="DNS lookup failed")
        row = db.fetch(fetch)
        with pytest.raises(ArchiveError, match="no body"):
            db.record_document(fetch_id=fetch, url="http://down.gov.cn/",
                               record=list_page_record([]))
    assert (row["error"], row["sha256"], row["status"]) == ("DNS lookup failed", None, None)


def test_batched_writes_are_invisible_to_others_until_flushed(archive_path: Path) -> None:
    db = Archive(archive_path, batch_size=100, batch_seconds=3600)
    run = db.start_run({}, code_version="test-sha")
    for i in range(10):
        db.record_fetch(run_id=run, url=f"http://a.gov.cn/{i}", status=200, body=b"x%d" % i)
    other = sqlite3.connect(archive_path)
    assert other.execute("SELECT COUNT(*) FROM fetches").fetchone()[0] == 0
    db.flush()
    assert other.execute("SELECT COUNT(*) FROM fetches").fetchone()[0] == 10
    db.close()
    other.close()


def test_archive_path_comes_from_env_else_default(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.delenv("OGI_ARCHIVE", raising=False)
    assert default_archive_path() == Path("archive.db")
    monkeypatch.setenv("OGI_ARCHIVE", str(tmp_path / "env.db"))
    assert default_archive_path() == tmp_path / "env.db"
    Archive().close()
    result = CliRunner().invoke(archive_cli.migrate, [])
    assert result.exit_code == 0 and f"schema version {SCHEMA_VERSION}, up to date" in result.output
    assert (tmp_path / "env.db").exists()


def test_half_applied_migration_completes_on_next_open(archive_path: Path) -> None:
    import sqlite_utils

    from archive.schema import _v1_initial

    partial = sqlite_utils.Database(archive_path)
    partial["crawl_runs"].create({"id": int, "started_at": str}, pk="id")  # killed here
    partial["portals"].insert({"code": "152223", "timezone": "+08"}, pk="code")
    partial.close()
    with Archive(archive_path) as db:
        assert (db.schema_before, db.schema_version) == (0, SCHEMA_VERSION)
        run = db.start_run({}, code_version="test-sha")
        db.record_fetch(run_id=run, url="http://a.gov.cn/", status=200, body=b"<html></html>")
        assert db.check() == []
        _v1_initial(db.db)  # every step is idempotent
        assert db.one("SELECT timezone FROM portals") == {"timezone": "+08"}
        assert {"fetches", "bodies", "reports", "report_text_fts"} <= set(db.db.table_names())
        assert db.db["current"].exists()


def test_newer_schema_is_refused(archive_path: Path) -> None:
    Archive(archive_path).close()
    conn = sqlite3.connect(archive_path)
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    with pytest.raises(RuntimeError, match="schema version 99 is newer"):
        Archive(archive_path)


# -- command line -------------------------------------------------------------------


def run_cli(command, *args: str):
    return CliRunner().invoke(command, list(args), catch_exceptions=False)


def stand_in_parse(body: bytes, url: str | None = None, content_type: str | None = None) -> dict:
    """Used only until parsers.parse_document lands: a record from the page's own text."""
    text = body.decode("gbk", errors="replace")
    return {"schema_version": 1, "parser_version": "stand-in", "kind": "report",
            "title": text[:40], "values": {}, "checks": [], "text": text}


@pytest.fixture
def no_network(monkeypatch) -> list[tuple]:
    """Every attempt to open a connection is recorded and refused."""
    attempts: list[tuple] = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise OSError("network use is forbidden in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    return attempts


def test_network_guard_catches_a_connection(no_network: list[tuple]) -> None:
    import urllib.request

    with pytest.raises(OSError):
        urllib.request.urlopen("http://www.zltq.gov.cn/", timeout=1)
    assert no_network


def test_reparse_after_version_bump_adds_rows_without_network(
    archive_path: Path, monkeypatch, no_network: list[tuple]
) -> None:
    cases = seed_cases()
    with Archive(archive_path) as db:
        crawl(db, cases)
        before = {r["document_id"]: r["id"] for r in db.query("SELECT * FROM current")}
    if not hasattr(parsers, "parse_document"):
        monkeypatch.setattr(parsers, "parse_document", stand_in_parse, raising=False)
    monkeypatch.setattr(parsers, "PARSER_VERSION", "bumped-2", raising=False)

    result = run_cli(archive_cli.reparse, "--archive", str(archive_path))
    assert result.exit_code == 0, result.output
    assert f"{len(cases) + 1} parsed" in result.output
    again = run_cli(archive_cli.reparse, "--archive", str(archive_path))
    assert f"0 parsed, {len(cases) + 1} already parsed" in again.output
    assert no_network == []

    with Archive(archive_path) as db:
        current = {r["document_id"]: r for r in db.query("SELECT * FROM current")}
        versions = [r["parser_version"] for r in
                    db.query("SELECT parser_version FROM reports ORDER BY id")]
        assert db.check() == []
    assert current.keys() == before.keys()
    assert all(row["parser_version"] == "bumped-2" for row in current.values())
    assert all(row["id"] > before[doc] for doc, row in current.items())
    assert versions.count("test-1") == versions.count("bumped-2") == len(cases) + 1


def test_reparse_completes_attachments_from_their_pages_as_the_crawl_did(
    archive_path: Path, monkeypatch, no_network: list[tuple]
) -> None:
    from crawler.replica.network import build_network

    net = build_network(seed=1, portals=6)
    attached = [r for r in net.truth()["reports"] if r["attachment_of"]]
    assert {r["kind"] for r in attached} >= {"pdf", "image_only"}
    with Archive(archive_path) as db:
        run = db.start_run({}, code_version="test")
        for report in attached:
            records = {}
            for url, parent in ((report["attachment_of"], None), (report["url"], report["attachment_of"])):
                reply = net.respond("GET", url)
                headers = dict(reply.headers)
                record = parsers.parse_document(reply.body, url, headers.get("Content-Type"))
                if parent:  # as the crawl's pipeline completes an attachment
                    page = dict(records[parent], source={"url": parent})
                    link = next((a["text"] for a in page["attachments"] if a["url"] == url), None)
                    record = parsers.complete_from_links(record, page, link)
                record["parser_version"] = "test-1"
                records[url] = record
                fetch = db.record_fetch(run_id=run, url=url, final_url=url, status=200, request_headers={},
                                        response_headers=headers, body=reply.body, fetched_at=RUN_AT)
                db.record_document(fetch_id=fetch, url=url, record=record,
                                   link=parent and {"page_url": parent, "link_text": link})
        crawled = {r["document_id"]: (r["kind"], r["organ"], r["report_year"], r["published_on"])
                   for r in db.query("SELECT * FROM current")}
    assert all(organ and year for kind, organ, year, _ in crawled.values() if kind in ("report", "image_only"))

    monkeypatch.setattr(parsers, "PARSER_VERSION", "bumped-2")
    assert run_cli(archive_cli.reparse, "--archive", str(archive_path)).exit_code == 0
    with Archive(archive_path) as db:
        reparsed = {r["document_id"]: (r["kind"], r["organ"], r["report_year"], r["published_on"])
                    for r in db.query("SELECT * FROM current WHERE parser_version = 'bumped-2'")}
    assert reparsed == crawled
    # one document re-parsed on its own is completed the same way
    scan = next(r for r in attached if r["kind"] == "image_only")
    shown = json.loads(run_cli(archive_cli.reparse, "--archive", str(archive_path), "--url", scan["url"],
                               "--print").output)
    assert (shown["organ"], shown["report_year"]) == (scan["organ"], scan["report_year"])


def test_check_reports_corrupted_and_missing_bodies(archive_path: Path) -> None:
    cases = seed_cases()
    with Archive(archive_path) as db:
        crawl(db, cases)
    assert run_cli(archive_cli.check, "--archive", str(archive_path)).exit_code == 0

    conn = sqlite3.connect(archive_path)
    damaged, removed = [r[0] for r in conn.execute(
        "SELECT sha256 FROM fetches WHERE sha256 IS NOT NULL ORDER BY id LIMIT 2")]
    conn.execute("UPDATE bodies SET compressed = ? WHERE sha256 = ?",
                 (zlib.compress(b"tampered"), damaged))
    conn.execute("DELETE FROM bodies WHERE sha256 = ?", (removed,))
    conn.commit()
    conn.close()

    result = CliRunner().invoke(archive_cli.check, ["--archive", str(archive_path)])
    assert result.exit_code == 1
    assert f"body {damaged}: bytes hash to" in result.output
    assert f"references missing body {removed}" in result.output


def test_export_jsonl_writes_newest_records(archive_path: Path, tmp_path: Path) -> None:
    cases = seed_cases()
    with Archive(archive_path) as db:
        crawl(db, cases)
    everything, reports = tmp_path / "all.jsonl", tmp_path / "reports.jsonl"
    run_cli(archive_cli.export, "--archive", str(archive_path), "--format", "jsonl",
            "--out", str(everything))
    run_cli(archive_cli.export, "--archive", str(archive_path), "--kind", "report",
            "--out", str(reports))
    all_records = [json.loads(line) for line in everything.read_text("utf-8").splitlines()]
    report_records = [json.loads(line) for line in reports.read_text("utf-8").splitlines()]
    assert sorted(r["kind"] for r in all_records) == ["not_report"] + ["report"] * len(cases)
    assert [r["organ"] for r in report_records] == [expected["organ"] for _, expected in cases]
    for record in report_records:
        assert {"kind", "status", "version", "first_seen", "last_seen", "source",
                "values", "parser_version"} <= record.keys()
        assert set(record["source"]) == {"url", "final_url", "fetched_at", "sha256",
                                         "content_type", "attachment_of"}


def test_stats_prints_counts(archive_path: Path) -> None:
    cases = seed_cases()
    with Archive(archive_path) as db:
        crawl(db, cases)
    result = run_cli(archive_cli.stats, "--archive", str(archive_path), "--json")
    counts = json.loads(result.output)
    assert counts["portals by status"] == {"ok": 1}
    assert counts["documents by kind"] == {"not_report": 1, "report": len(cases)}
    assert sum(counts["reports by year and level"].values()) == len(cases)
    assert counts["checks failed"] == {}
