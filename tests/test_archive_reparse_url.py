"""``ogi reparse --url URL --print``: re-parse one stored document from the archive, store nothing."""

from __future__ import annotations

import json
import random
import subprocess
import sys

import pytest
from click.testing import CliRunner

from archive.db import Archive
from crawler.replica import render, reports
from parsers import parse_document
from archive.cli import reparse


PAGE_URL = "http://www.example.gov.cn/col/col1/art/2024/art_42.html"
MOVED_URL = "http://www.example.gov.cn/art/2024/1/16/art_42.html"


@pytest.fixture()
def stored(tmp_path):
    """An archive holding one GBK report page (fetched via a redirect) and one PDF attachment."""
    rng = random.Random(11)
    spec = reports.generate_report(rng, organ="泰宁县朱口镇人民政府", organ_level="township", report_year=2023)
    page = (f"<html><head><meta charset='gbk'><title>{spec.title}</title>"
            f"<meta name='PubDate' content='{spec.published_on} 09:30'></head><body>"
            f"{render.render_body_html(spec, 'html_table', random.Random(11))}</body></html>").encode("gb18030")
    pdf = render.render_pdf(spec, random.Random(11), ruled=True)
    path = tmp_path / "archive.db"
    with Archive(path) as db:
        run = db.start_run({}, code_version="test")
        db.record_fetch(run_id=run, url=PAGE_URL, final_url=MOVED_URL, status=200, body=page,
                        response_headers={"Content-Type": "text/html"})
        db.record_fetch(run_id=run, url=MOVED_URL + ".pdf", status=200, body=pdf,
                        response_headers={"Content-Type": "application/pdf"})
    return path, spec, page


def test_archived_page_is_parsed_as_when_fetched(stored) -> None:
    path, spec, page = stored
    result = CliRunner().invoke(reparse, ["--archive", str(path), "--url", PAGE_URL, "--print"])
    assert result.exit_code == 0, result.output
    record = json.loads(result.output)
    # the stored Content-Type carries no charset: the page's own meta tag decides (GBK)
    assert record == json.loads(json.dumps(parse_document(page, url=MOVED_URL, content_type="text/html")))
    assert record["kind"] == "report" and record["organ"] == "泰宁县朱口镇人民政府"
    assert record["source"]["url"] == MOVED_URL
    assert record["values"] == spec.truth()["values"]


def test_archived_document_is_found_by_its_final_url_too(stored) -> None:
    path, spec, _ = stored
    result = CliRunner().invoke(reparse, ["--archive", str(path), "--url", MOVED_URL + ".pdf", "--print"])
    assert result.exit_code == 0, result.output
    record = json.loads(result.output)
    assert record["source"]["content_type"] == "application/pdf"
    assert record["kind"] == "report" and record["report_year"] == 2023


def test_url_not_archived_fails_with_one_line(stored) -> None:
    path, _, _ = stored
    result = subprocess.run([sys.executable, "-m", "ogi.cli", "reparse", "--archive", str(path),
                             "--url", "http://www.example.gov.cn/absent.html", "--print"], capture_output=True, text=True)
    assert result.returncode != 0
    assert len(result.stderr.strip().splitlines()) == 1 and "absent.html" in result.stderr
    assert result.stdout == ""


def test_missing_archive_is_not_created(tmp_path) -> None:
    absent = tmp_path / "absent.db"
    result = CliRunner().invoke(reparse, ["--archive", str(absent), "--url", PAGE_URL, "--print"])
    assert result.exit_code != 0 and "absent.db" in result.output
    assert not absent.exists()


def test_print_needs_a_url(stored) -> None:
    path, _, _ = stored
    result = CliRunner().invoke(reparse, ["--archive", str(path), "--print"])
    assert result.exit_code != 0 and "--url" in result.output


def test_print_stores_nothing(stored) -> None:
    path, _, _ = stored
    before = path.read_bytes()
    assert CliRunner().invoke(reparse, ["--archive", str(path), "--url", PAGE_URL, "--print"]).exit_code == 0
    with Archive(path) as db:
        assert db.one("SELECT COUNT(*) AS n FROM reports")["n"] == 0
    assert path.stat().st_size == len(before)
