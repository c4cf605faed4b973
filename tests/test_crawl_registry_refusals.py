"""A crawl never requests internal addresses: not from registry rows, not through a redirect.

One small crawl of the replica (through its proxy, as a user runs it) with a registry that
holds a good township portal, a county portal whose home page redirects to the cloud
metadata address, and rows pointing at loopback, private, link-local hosts and localhost.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from scrapy import Request

from crawler.faults import RefusedAddress
from crawler.guard import AddressGuardMiddleware
from crawler.replica.network import Resource, build_network
from crawler.replica.server import serve_in_thread

ROOT = Path(__file__).resolve().parent.parent
FAST = {"AUTOTHROTTLE_ENABLED": "False", "DOWNLOAD_DELAY": "0", "DOWNLOAD_TIMEOUT": "25",
        "RETRY_BACKOFF_BASE": "0.1", "LOG_LEVEL": "INFO"}
METADATA = "http://169.254.169.254/latest/meta-data/"
INTERNAL_HOSTS = {"127.0.0.1", "10.0.0.5", "localhost", "169.254.169.254", "192.168.1.1"}


@pytest.fixture(scope="module")
def crawl(tmp_path_factory):
    network = build_network(seed=1, portals=2)
    county = network.sites["www.lingui.gov.cn"]
    county.resources["/go/"] = Resource("text/html", bytes, dt.date(2024, 1, 1), status=302,
                                        headers=[("Location", METADATA)])
    township = network.sites["shoule.linxi.gov.cn"]
    replica = serve_in_thread(network)
    tmp = tmp_path_factory.mktemp("refusals")
    rows = [
        "code,name,level,province,city,url",
        f"{township.code},{township.name},township,{township.province},{township.city},{township.url}",
        f"{county.code},{county.name},county,{county.province},{county.city},http://{county.host}/go/",
        f"110101,东城区,county,北京市,北京市,{replica.proxy_url}/",          # the proxy itself, on loopback
        "110102,西城区,county,北京市,北京市,http://10.0.0.5/",
        "110105,朝阳区,county,北京市,北京市,http://localhost:8080/",
        "110106,丰台区,county,北京市,北京市,http://169.254.169.254/",
        "110107,石景山区,county,北京市,北京市,http://[::ffff:192.168.1.1]/",
    ]
    registry = tmp / "portals.csv"
    registry.write_text("\n".join(rows) + "\n", encoding="utf-8")
    archive = tmp / "archive.db"
    command = [sys.executable, "-m", "scrapy", "crawl", "county_portals", "-a", f"portals={registry}",
               "-s", f"OGI_ARCHIVE={archive}", *(arg for k, v in FAST.items() for arg in ("-s", f"{k}={v}"))]
    env = {**os.environ, "http_proxy": replica.proxy_url, "HTTP_PROXY": replica.proxy_url}
    try:
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    finally:
        replica.stop()
    return done, list(replica.request_log), sqlite3.connect(archive), county


def test_refused_rows_are_logged_by_line_and_never_requested(crawl):
    done, requests, db, _ = crawl
    assert done.returncode == 0, done.stderr[-3000:]
    for line in (4, 5, 6, 7, 8):
        assert f"registry line {line}: " in done.stderr
    assert {entry["host"] for entry in requests} & INTERNAL_HOSTS == set()
    portals = {row[0] for row in db.execute("SELECT code FROM portals")}
    assert not portals & {"110101", "110102", "110105", "110106", "110107"}


def test_a_redirect_to_an_internal_address_is_a_failed_fetch_with_the_302(crawl):
    done, requests, db, county = crawl
    assert not [entry for entry in requests if entry["url"].startswith(METADATA)]
    (fetch,) = db.execute("SELECT status, error FROM fetches WHERE url = ?", (f"http://{county.host}/go/",))
    assert fetch[0] == 302 and fetch[1].startswith("refused_address: HTTP 302 to " + METADATA), fetch
    status, reason = db.execute("SELECT status, reason FROM portals WHERE code = ?", (county.code,)).fetchone()
    assert status == "dead" and "internal address" in reason


def test_the_good_portal_is_crawled(crawl):
    _, _, db, _ = crawl
    reports = db.execute("SELECT COUNT(*) FROM documents WHERE kind IN ('report', 'image_only')").fetchone()[0]
    assert reports >= 1


class _Crawler:
    """Just what the middleware touches of a crawler: stats and signals, recorded."""

    def __init__(self):
        self.sent: list[dict] = []
        self.stats = self
        self.signals = self

    def inc_value(self, key):
        self.sent.append({"stat": key})

    def send_catch_log(self, signal, **kwargs):
        self.sent.append(kwargs)


def test_without_a_proxy_a_name_resolving_to_a_private_address_is_refused():
    answers = {"inside.linxi.gov.cn": "10.1.2.3", "www.linxi.gov.cn": "61.135.1.1", "v6.linxi.gov.cn": "fe80::1"}

    async def resolve(host: str) -> str:
        return answers[host]

    crawler = _Crawler()
    guard = AddressGuardMiddleware(crawler, resolve=resolve)
    with pytest.raises(RefusedAddress, match="resolves to 10.1.2.3, an internal IP address"):
        asyncio.run(guard.process_request(Request("http://inside.linxi.gov.cn/xxgk/")))
    assert crawler.sent[-1]["cause"] == "refused_address" and crawler.sent[-1]["status"] is None
    with pytest.raises(RefusedAddress, match="link-local"):
        asyncio.run(guard.process_request(Request("http://v6.linxi.gov.cn/")))
    assert asyncio.run(guard.process_request(Request("http://www.linxi.gov.cn/"))) is None
    behind_proxy = AddressGuardMiddleware(_Crawler(), resolve=None)
    assert asyncio.run(behind_proxy.process_request(Request("http://inside.linxi.gov.cn/xxgk/"))) is None


def test_an_unreadable_registry_is_one_error_line_and_no_crawl(tmp_path):
    (tmp_path / "binary.csv").write_bytes(b"\xff\xfe\x00\x01 not a registry")
    for registry, reason in ((tmp_path / "missing.csv", "No such file"), (tmp_path / "binary.csv", "lacks the column")):
        done = subprocess.run([sys.executable, "-m", "scrapy", "crawl", "county_portals", "-a", f"portals={registry}",
                               "-s", f"OGI_ARCHIVE={tmp_path / 'archive.db'}", "-s", "LOG_LEVEL=INFO"],
                              cwd=ROOT, capture_output=True, text=True, timeout=120)
        errors = [line for line in done.stderr.splitlines() if "] ERROR: " in line]
        assert len(errors) == 1 and reason in errors[0], done.stderr[-2000:]
        assert "Traceback" not in done.stderr and "Spider closed (registry_error" in done.stderr
        assert done.returncode == 1, done.stderr[-2000:]  # a script running the crawl sees it failed


@pytest.mark.parametrize("argument,says", [("recrawl=bogus", "recrawl must be one of"),
                                           ("sample=abc", "sample must be a positive number")])
def test_a_bad_spider_argument_is_one_error_line_and_exit_1(argument, says, tmp_path):
    env = {**os.environ, "http_proxy": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9"}  # never out
    done = subprocess.run([sys.executable, "-m", "scrapy", "crawl", "county_portals", "-a", "codes=152223",
                           "-a", argument, "-s", f"OGI_ARCHIVE={tmp_path / 'archive.db'}", "-s", "LOG_LEVEL=INFO"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    errors = [line for line in done.stderr.splitlines() if "] ERROR: " in line]
    assert done.returncode == 1 and len(errors) == 1 and says in errors[0], done.stderr[-2000:]
    assert "Traceback" not in done.stderr and "Spider closed (argument_error" in done.stderr
    assert not (tmp_path / "archive.db").exists()  # nothing crawled, nothing written
