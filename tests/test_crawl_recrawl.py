"""Incremental re-crawls on the replica: epoch 1, epoch 1 again, then epoch 2.

The second crawl of an unchanged network downloads little and creates no new versions;
the crawl of epoch 2 reports exactly the truth's new, corrected, deleted and moved reports.
Interrupted crawls (SIGINT, SIGKILL) resumed end with the archive an uninterrupted one has.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from archive import Archive

ROOT = Path(__file__).resolve().parent.parent
PORTALS = 4  # small networks: three crawls per seed
SETTINGS = {"AUTOTHROTTLE_ENABLED": "False", "DOWNLOAD_DELAY": "0", "CONCURRENT_REQUESTS": "32",
            "CONCURRENT_REQUESTS_PER_DOMAIN": "8", "DOWNLOAD_TIMEOUT": "12", "RETRY_BACKOFF_BASE": "0.1",
            "LOG_LEVEL": "INFO"}


@dataclass
class CrawlResult:
    returncode: int
    requests: list[dict]
    log: str

    @property
    def body_bytes(self) -> int:
        return sum(r["size"] for r in self.requests)


def crawl_command(replica, registry: Path, archive: Path, *extra: str) -> tuple[list[str], dict]:
    command = [sys.executable, "-m", "scrapy", "crawl", "county_portals", "-a", f"portals={registry}",
               "-s", f"OGI_ARCHIVE={archive}", *extra]
    for name, value in SETTINGS.items():
        command += ["-s", f"{name}={value}"]
    return command, {**os.environ, "http_proxy": replica.proxy_url}


def crawl(replica, registry: Path, archive: Path, *extra: str) -> CrawlResult:
    before = len(replica.request_log)
    command, env = crawl_command(replica, registry, archive, *extra)
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    return CrawlResult(done.returncode, list(replica.request_log[before:]), done.stderr)


def content(archive: Path) -> dict[str, set]:
    """What a researcher gets: documents with their state and bodies, and every value."""
    db = sqlite3.connect(archive)
    try:
        return {
            "documents": set(db.execute("SELECT url, kind, status, version, sha256 FROM documents")),
            "values": set(db.execute(
                "SELECT d.url, v.key, v.value FROM report_values v JOIN current c ON c.id = v.report_id"
                " JOIN documents d ON d.id = c.document_id")),
        }
    finally:
        db.close()


def registry_for(replica, tmp: Path) -> Path:
    path = tmp / "portals.csv"
    path.write_text(replica.network.registry_csv(), encoding="utf-8")
    return path


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_recrawls_fetch_little_and_report_exactly_what_changed(seed, replica_factory, tmp_path):
    first = replica_factory(seed=seed, portals=PORTALS)
    registry = registry_for(first, tmp_path)
    archive = tmp_path / "archive.db"
    initial = crawl(first, registry, archive)
    assert initial.returncode == 0, initial.log[-3000:]
    with Archive(archive) as db:
        versions_before = db.one("SELECT SUM(version) AS n FROM documents")["n"]

    again = crawl(first, registry, archive)
    assert again.returncode == 0, again.log[-3000:]
    assert again.body_bytes <= 0.10 * initial.body_bytes, (again.body_bytes, initial.body_bytes)
    assert any(r["status"] == 304 for r in again.requests)
    with Archive(archive) as db:
        assert db.one("SELECT SUM(version) AS n FROM documents")["n"] == versions_before
        assert db.one("SELECT COUNT(*) AS n FROM documents WHERE status != 'live'")["n"] == 0

    since = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
    second = replica_factory(seed=seed, portals=PORTALS, epoch=2)
    later = crawl(second, registry, archive)
    assert later.returncode == 0, later.log[-3000:]
    truth = second.truth["changes"]
    with Archive(archive) as db:
        found = db.changes(since)
        summary = json.loads(db.one("SELECT stats FROM crawl_runs ORDER BY id DESC LIMIT 1")["stats"])
    assert summary["report_changes"] == {what: len(rows) for what, rows in found.items()}
    assert {r["url"] for r in found["new"]} == set(truth["added"])
    assert {r["url"] for r in found["changed"]} == set(truth["republished"])
    assert {r["url"] for r in found["gone"]} == set(truth["deleted"])
    assert {(r["from_url"], r["to_url"]) for r in found["moved"]} == {(m["from"], m["to"]) for m in truth["moved"]}


def _kill_after(replica, registry: Path, archive: Path, jobdir: Path, how: signal.Signals, requests: int) -> None:
    command, env = crawl_command(replica, registry, archive, "-s", f"JOBDIR={jobdir}")
    before = len(replica.request_log)
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while len(replica.request_log) - before < requests and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(how)
    if how == signal.SIGINT:
        process.wait(timeout=120)  # Scrapy stops gracefully and saves its queue in JOBDIR
    else:
        process.wait(timeout=30)


@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGKILL], ids=["sigint", "sigkill"])
def test_an_interrupted_crawl_resumed_ends_like_an_uninterrupted_one(how, replica_factory, tmp_path):
    replica = replica_factory(seed=2, portals=PORTALS)
    registry = registry_for(replica, tmp_path)
    whole = tmp_path / "whole.db"
    assert crawl(replica, registry, whole).returncode == 0
    resumed = tmp_path / "resumed.db"
    jobdir = tmp_path / "job"
    _kill_after(replica, registry, resumed, jobdir, how, requests=60)
    finished = crawl(replica, registry, resumed, "-s", f"JOBDIR={jobdir}")
    assert finished.returncode == 0, finished.log[-3000:]
    assert content(resumed) == content(whole)
    with Archive(resumed) as db:
        assert db.check() == []
