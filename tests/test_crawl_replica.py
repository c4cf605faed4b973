"""The county_portals crawl on the replica network, through its forward proxy.

Each configuration is crawled once per session (``scrapy crawl`` in a subprocess with
``http_proxy`` set, exactly as a user runs it); the tests then read the archive, the truth
and the replica's request log.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from crawler import faults
from crawler.scope import registrable_domain

ROOT = Path(__file__).resolve().parent.parent
# Politeness off for tests; a timeout above the replica's rendering time on a busy machine
# and below its planted slow responses.
TEST_SETTINGS = {
    "AUTOTHROTTLE_ENABLED": "False",
    "DOWNLOAD_DELAY": "0",
    "CONCURRENT_REQUESTS": "32",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "8",
    "DOWNLOAD_TIMEOUT": "25",
    "RETRY_BACKOFF_BASE": "0.1",
    "LOG_LEVEL": "INFO",
}
# Seeds 1–3, faults off and on: the Done-when of issue 5.
CONFIGS = [(seed, faults) for seed in (1, 2, 3) for faults in (False, True)]
CRAWL_TIMEOUT = 420


@dataclass
class Crawl:
    seed: int
    faults: bool
    truth: dict
    requests: list[dict]
    db: sqlite3.Connection
    returncode: int
    log: str

    def documents(self) -> dict[str, dict]:
        rows = self.db.execute("SELECT url, kind, organ, report_year, portal_code, attachment_of FROM documents")
        return {r[0]: {"kind": r[1], "organ": r[2], "report_year": r[3], "portal": r[4], "attachment_of": r[5]}
                for r in rows}

    def fetch_errors(self) -> list[tuple[str, str | None, str]]:
        return list(self.db.execute("SELECT url, final_url, error FROM fetches WHERE error IS NOT NULL"))


def crawl_process(replica, tmp: Path, timeout: float = CRAWL_TIMEOUT) -> tuple[subprocess.CompletedProcess, Path]:
    """`scrapy crawl county_portals` of the replica's registry through its proxy (http and https),
    into ``tmp/archive.db``: the finished process and the archive's path."""
    registry = tmp / "portals.csv"
    registry.write_text(replica.network.registry_csv(), encoding="utf-8")
    archive = tmp / "archive.db"
    command = [sys.executable, "-m", "scrapy", "crawl", "county_portals", "-a", f"portals={registry}",
               "-s", f"OGI_ARCHIVE={archive}"]
    for name, value in TEST_SETTINGS.items():
        command += ["-s", f"{name}={value}"]
    proxy = replica.proxy_url
    env = {**os.environ, "http_proxy": proxy, "HTTP_PROXY": proxy, "https_proxy": proxy, "HTTPS_PROXY": proxy}
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    return done, archive


def run_crawl(replica, tmp: Path) -> Crawl:
    before = len(replica.request_log)
    done, archive = crawl_process(replica, tmp)
    truth = replica.truth
    return Crawl(truth["seed"], truth["faults"], truth, list(replica.request_log[before:]),
                 sqlite3.connect(archive), done.returncode, done.stderr)


@pytest.fixture(scope="module", params=CONFIGS, ids=[f"seed{s}-{'faults' if f else 'clean'}" for s, f in CONFIGS])
def crawl(request, replica_factory, tmp_path_factory) -> Crawl:
    seed, with_faults = request.param
    replica = replica_factory(seed=seed, faults=with_faults)
    return run_crawl(replica, tmp_path_factory.mktemp(f"crawl-{seed}-{with_faults}"))


def test_crawl_finishes_by_itself(crawl):
    assert crawl.returncode == 0, crawl.log[-3000:]
    stats = json.loads(crawl.db.execute("SELECT stats FROM crawl_runs").fetchone()[0])
    assert stats["finish_reason"] == "finished"
    assert "Spider closed (finished)" in crawl.log


def test_every_organ_year_pair_is_found(crawl):
    found = {(d["organ"], d["report_year"]) for d in crawl.documents().values()
             if d["kind"] in ("report", "image_only")}
    wanted = {(r["organ"], r["report_year"]) for r in crawl.truth["reports"]}
    assert wanted, "the truth lists no reports"
    assert sorted(wanted - found, key=str) == []


def test_report_documents_are_archived_attachments_included(crawl):
    urls = set(crawl.documents())
    reports = crawl.truth["reports"]
    missing = [r["url"] for r in reports if r["url"] not in urls and not set(r.get("also_at") or ()) & urls]
    assert len(missing) <= len(reports) // 100, missing
    attachments = [r for r in reports if r["attachment_of"]]
    assert attachments and all(r["url"] in urls for r in attachments if r["url"] not in missing)


def test_no_lookalike_is_stored_as_a_report(crawl):
    documents = crawl.documents()
    lookalikes = [lookalike["url"] for lookalike in crawl.truth["lookalikes"]]
    stored = [url for url in lookalikes if url in documents]
    assert stored, "the crawl should meet look-alikes and keep them as documents"
    assert [url for url in stored if documents[url]["kind"] == "report"] == []


def test_every_planted_fault_is_recorded_with_its_cause(crawl):
    planted = crawl.truth.get("faults_planted") or []
    if not crawl.faults:
        assert planted == []
        return
    assert planted
    recorded = {(url, faults.cause_of(error)) for url, _, error in crawl.fetch_errors()}
    statuses = {code: (status, reason) for code, status, reason in
                crawl.db.execute("SELECT code, status, reason FROM portals")}
    portal_status = {"dns": "dead", "waf_challenge": "waf", "robots": "robots_refused"}
    unrecorded = []
    for fault in planted:
        if fault.get("stage") == "parse":  # fetched fine; their parse is tests/test_crawl_hostile.py's
            continue
        if fault["kind"].startswith("portal_"):
            status, reason = statuses.get(fault["portal_code"], (None, None))
            if status != portal_status[fault["cause"]] or not reason:
                unrecorded.append((fault, status, reason))
        elif (fault["url"], fault["cause"]) not in recorded:
            unrecorded.append(fault)
    assert unrecorded == []


def test_no_request_leaves_the_listed_portals_domains(crawl):
    registry_hosts = {urlsplit(p["url"]).hostname for p in crawl.truth["portals"] if p["level"] in ("county", "township")}
    domains = {registrable_domain(host) for host in registry_hosts}
    outside = sorted({r["host"] for r in crawl.requests if registrable_domain(r["host"]) not in domains})
    assert crawl.requests and outside == []


def test_nothing_disallowed_by_robots_txt_is_fetched(crawl):
    disallowed = crawl.truth["disallowed"]
    refused_portals = [p["url"] for p in crawl.truth["portals"] if p["status"] == "robots_refused"]
    fetched = [r["url"] for r in crawl.requests if not r["path"].startswith("/robots.txt")]
    assert [u for u in fetched if any(u.startswith(prefix) for prefix in disallowed)] == []
    assert [u for u in fetched if any(u.startswith(home) for home in refused_portals)] == []


def test_traps_are_not_walked(crawl):
    traps = crawl.truth["traps"]
    assert [r["url"] for r in crawl.requests if any(r["url"].startswith(t) for t in traps)] == []


def test_portal_statuses_and_per_portal_stats(crawl):
    stats = json.loads(crawl.db.execute("SELECT stats FROM crawl_runs").fetchone()[0])
    truth_status = {p["code"]: p["status"] for p in crawl.truth["portals"] if p["level"] in ("county", "township")}
    assert {code: s["status"] for code, s in stats["portals"].items()} == truth_status
    for code, summary in stats["portals"].items():
        if summary["status"] == "ok":
            assert summary["pages"] > 0 and summary["reports_by_year"], code
        else:
            assert summary["reason"] and summary["failures_by_cause"], code
