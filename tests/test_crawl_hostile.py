"""Issue 14, in a crawl: a DOCX inflating past 1 GiB and a one-page PDF of 150,000 text
operations, attached to a report-like page of a faults-on replica, are fetched, parsed
inside their caps (the DOCX ``unreadable`` with the cap in its reason) and do not stall the
crawl's end; the portal's other reports are archived all the same.
"""

from __future__ import annotations

import json

import pytest

from crawler.replica.network import build_network
from crawler.replica.server import serve_in_thread
from tests.test_crawl_replica import Crawl, run_crawl


@pytest.fixture(scope="module")
def crawl(tmp_path_factory) -> Crawl:
    """A replica of its own (its planted faults recover after hits other crawls must not spend)."""
    running = serve_in_thread(build_network(seed=1, portals=5, faults=True))
    try:
        yield run_crawl(running, tmp_path_factory.mktemp("crawl-hostile"))
    finally:
        running.stop()


def test_the_crawl_ends_by_itself(crawl):
    assert crawl.returncode == 0, crawl.log[-3000:]
    stats = json.loads(crawl.db.execute("SELECT stats FROM crawl_runs").fetchone()[0])
    assert stats["finish_reason"] == "finished"


def test_both_hostile_documents_are_fetched_and_recorded(crawl):
    planted = [f for f in crawl.truth["faults_planted"] if f.get("stage") == "parse"]
    assert {f["kind"] for f in planted} == {"docx_bomb", "dense_pdf"}
    fetched = {url for url, status in crawl.db.execute("SELECT url, status FROM fetches WHERE error IS NULL")
               if status == 200}
    assert [f["url"] for f in planted if f["url"] not in fetched] == []
    documents = {url: (kind, reason) for url, kind, reason in crawl.db.execute("SELECT url, kind, reason FROM documents")}
    for fault in planted:
        kind, reason = documents[fault["url"]]
        assert kind, fault
        if fault["kind"] == "docx_bomb":
            assert kind == "unreadable" and "word/document.xml" in reason and "cap" in reason, reason


def test_every_other_report_of_the_hostile_portal_is_archived(crawl):
    hosts = {f["host"] for f in crawl.truth["faults_planted"] if f.get("stage") == "parse"}
    assert hosts
    urls = {url for (url,) in crawl.db.execute("SELECT url FROM documents WHERE kind IN ('report', 'image_only')")}
    reports = [r for r in crawl.truth["reports"] if r["portal_host"] in hosts]
    missing = [r["url"] for r in reports if r["url"] not in urls and not set(r.get("also_at") or ()) & urls]
    assert reports and missing == []
