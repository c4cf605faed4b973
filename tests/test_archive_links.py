"""The link context archived with each fetch of a document, and the one completion that reads it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from click.testing import CliRunner

import parsers
from archive import Archive, Link
from archive import cli as archive_cli

PAGE = "http://www.example.gov.cn/art/2024/1/16/art_42.html"
SCAN = "http://www.example.gov.cn/uploads/scan.pdf"
LISTED = "http://www.example.gov.cn/uploads/listed.pdf"
SCAN_TITLE = "某某县某某镇2023年政府信息公开工作年度报告（图片版）"
# An image-only PDF: a page with no text layer, so the parser can read nothing from it.
IMAGE_ONLY_PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
                  b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
                  b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
                  b"trailer<</Root 1 0 R>>\n%%EOF\n")


def store_scan(db: Archive, url: str, link: Link, body: bytes = IMAGE_ONLY_PDF) -> int:
    run = db.start_run({}, code_version="test")
    fetch = db.record_fetch(run_id=run, url=url, status=200, body=body,
                            response_headers={"Content-Type": "application/pdf"})
    record = db.complete(parsers.parse_document(body, url=url, content_type="application/pdf"), link)
    db.record_document(fetch_id=fetch, url=url, record=record, link=link)
    return fetch


def test_a_scan_found_in_a_list_is_completed_from_its_link_text_after_a_reparse(tmp_path: Path) -> None:
    path = tmp_path / "archive.db"
    with Archive(path) as db:
        store_scan(db, LISTED, Link(link_text=SCAN_TITLE))
        crawled = db.page_record(LISTED)
    assert crawled["kind"] == "image_only" and crawled["report_year"] == 2023
    assert crawled["metadata_from"] == "link text"
    result = CliRunner().invoke(archive_cli.reparse, ["--archive", str(path), "--force"])
    assert result.exit_code == 0, result.output
    with Archive(path, read_only=True) as db:
        assert db.page_record(LISTED) == crawled
        assert db.one("SELECT link_text, page_url FROM document_links") == {"link_text": SCAN_TITLE,
                                                                            "page_url": None}


def test_a_relinked_document_is_completed_from_its_newest_link(tmp_path: Path) -> None:
    with Archive(tmp_path / "archive.db") as db:
        store_scan(db, LISTED, Link(link_text="附件"))
        store_scan(db, LISTED, Link(link_text=SCAN_TITLE))  # the same bytes, linked again under a title
        document = db.one("SELECT id, sha256 FROM documents")
        assert db.link(document["id"], document["sha256"]) == Link(link_text=SCAN_TITLE)
        assert db.one("SELECT COUNT(*) AS n FROM document_links")["n"] == 2  # both links are kept


def test_a_known_document_asked_again_keeps_the_link_that_led_to_it(tmp_path: Path) -> None:
    """A re-crawl revalidates a known scan without reading a link to it; its new bytes are
    completed from the link archived for it before, and that link is kept with the new fetch."""
    with Archive(tmp_path / "archive.db") as db:
        store_scan(db, LISTED, Link(link_text=SCAN_TITLE))
        asked_again = db.link_for(LISTED, Link(link_text=""))
        assert asked_again == Link(link_text=SCAN_TITLE)
        store_scan(db, LISTED, asked_again, body=IMAGE_ONLY_PDF + b"%republished\n")
        document = db.one("SELECT id, sha256, version, report_year FROM documents")
        assert (document["version"], document["report_year"]) == (2, 2023)
        assert db.link(document["id"], document["sha256"]) == Link(link_text=SCAN_TITLE)
        assert db.link_for(LISTED, Link(link_text="附件")) == Link(link_text="附件")  # a new link wins
        assert db.link_for(PAGE, Link(page_url=PAGE)) == Link(page_url=PAGE)  # nothing known: as given


def test_reparse_url_stores_one_documents_new_parse(tmp_path: Path) -> None:
    path = tmp_path / "archive.db"
    with Archive(path) as db:
        store_scan(db, LISTED, Link(link_text=SCAN_TITLE))
        store_scan(db, SCAN, Link(link_text="附件"), body=IMAGE_ONLY_PDF + b"%other\n")
    result = CliRunner().invoke(archive_cli.reparse, ["--archive", str(path), "--url", LISTED, "--force"])
    assert result.exit_code == 0, result.output
    assert ": 1 parsed, 0 already parsed" in result.output
    absent = CliRunner().invoke(archive_cli.reparse, ["--archive", str(path), "--url", PAGE])
    assert absent.exit_code != 0 and "no document archived" in absent.output


def test_migration_gives_older_archives_the_links_they_archived(tmp_path: Path) -> None:
    """Attachments archived before link contexts were stored keep what was archived then:
    the page they hang from and that page's link text."""
    path = tmp_path / "old.db"
    with Archive(path) as db:
        run = db.start_run({}, code_version="test")
        page_fetch = db.record_fetch(run_id=run, url=PAGE, status=200, body=b"<html>page</html>")
        db.record_document(fetch_id=page_fetch, url=PAGE, record={
            "kind": "not_report", "parser_version": "old", "attachments": [{"url": SCAN, "text": SCAN_TITLE}]})
        scan_fetch = db.record_fetch(run_id=run, url=SCAN, status=200, body=IMAGE_ONLY_PDF)
        db.record_document(fetch_id=scan_fetch, url=SCAN, attachment_of=PAGE,
                           record={"kind": "image_only", "parser_version": "old"})
    conn = sqlite3.connect(path)
    conn.execute("DELETE FROM document_links")
    conn.execute("PRAGMA user_version = 2")
    conn.commit()
    conn.close()
    with Archive(path) as db:
        assert (db.schema_before, db.schema_version) == (2, 3)
        assert list(db.query("SELECT fetch_id, page_url, link_text FROM document_links")) == [
            {"fetch_id": scan_fetch, "page_url": PAGE, "link_text": SCAN_TITLE}]
