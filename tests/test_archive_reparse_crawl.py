"""``ogi reparse --force`` reproduces the crawl: the Done-when of issue 12 point 1.

The replica is crawled by the real pipeline (``scrapy crawl`` in a subprocess, faults on),
then a copy of its archive is re-parsed from the stored bytes alone. Every exported
record must come out identical in every field of report-schema.md, and so must the
documents' summary columns; only when a parse ran may differ.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from test_crawl_replica import ROOT, run_crawl

import parsers
from archive import Archive

SEEDS = (1, 2, 3)
PARSE_TIMESTAMPS = ("parsed_at",)


def exported(path: Path) -> dict[str, dict]:
    with Archive(path, read_only=True) as db:
        return {record["source"]["url"]: {k: v for k, v in record.items() if k not in PARSE_TIMESTAMPS}
                for record in db.export_records()}


def document_summaries(path: Path) -> dict[str, tuple]:
    with Archive(path, read_only=True) as db:
        return {row["url"]: tuple(row.values()) for row in db.query(
            "SELECT url, kind, reason, title, organ, organ_level, report_year, status, version FROM documents")}


@pytest.fixture(scope="module", params=SEEDS, ids=[f"seed{seed}-faults" for seed in SEEDS])
def crawled_and_reparsed(request, replica_factory, tmp_path_factory) -> tuple[Path, Path, str]:
    tmp = tmp_path_factory.mktemp(f"reparse-{request.param}")
    crawl = run_crawl(replica_factory(seed=request.param, faults=True), tmp)
    crawl.db.close()
    assert crawl.returncode == 0, crawl.log[-3000:]
    crawled = tmp / "archive.db"
    reparsed = tmp / "reparsed.db"
    shutil.copyfile(crawled, reparsed)
    done = subprocess.run([sys.executable, "-m", "ogi.cli", "reparse", "--archive", str(reparsed), "--force"],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return crawled, reparsed, done.stdout


def test_reparse_force_gives_the_crawls_records(crawled_and_reparsed) -> None:
    crawled, reparsed, _ = crawled_and_reparsed
    before, after = exported(crawled), exported(reparsed)
    assert before.keys() == after.keys()
    differing = {url: {k: (before[url].get(k), after[url].get(k)) for k in before[url].keys() | after[url].keys()
                       if before[url].get(k) != after[url].get(k)}
                 for url in before if before[url] != after[url]}
    assert differing == {}
    assert document_summaries(crawled) == document_summaries(reparsed)


def test_reparse_force_parsed_every_body_again(crawled_and_reparsed) -> None:
    crawled, reparsed, output = crawled_and_reparsed
    with Archive(crawled, read_only=True) as db:
        bodies = db.one("SELECT COUNT(*) AS n FROM document_bodies")["n"]
        newest = db.one("SELECT MAX(id) AS id FROM reports")["id"]
    assert f": {bodies} parsed, 0 already parsed" in output
    with Archive(reparsed, read_only=True) as db:
        current = [row["id"] for row in db.query("SELECT id FROM current")]
        assert db.check() == []
        # the newest parse wins: one row per (document, body, version), all of them new
        assert db.one("SELECT COUNT(*) AS n FROM reports")["n"] == bodies
    assert current and min(current) > newest


def test_the_archived_link_is_what_completes_the_scans(crawled_and_reparsed) -> None:
    """An image-only scan prints nothing readable: its organ and year come from the link that
    led to it (its page's record, the link text). After the reparse they are still there,
    though a bare parse of the same bytes has neither: the context was archived."""
    _, reparsed, _ = crawled_and_reparsed
    scans = [r for r in exported(reparsed).values() if r["kind"] == "image_only"]
    assert scans, "no image-only document: the test would prove nothing"
    with Archive(reparsed, read_only=True) as db:
        for scan in scans:
            bare = parsers.parse_document(db.body(scan["source"]["sha256"]), url=scan["source"]["final_url"],
                                          content_type=scan["source"]["content_type"])
            assert not (bare.get("organ") and bare.get("report_year")), scan["source"]["url"]
            assert scan["organ"] and scan["report_year"], scan["source"]["url"]
