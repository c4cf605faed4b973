"""robots.txt as RFC 9309 reads it, on the replica: a host whose robots.txt answers 503 gets no
page fetched and its portal says why; one answering 404 is crawled as if it had none."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from urllib.parse import urlsplit

import pytest

from crawler.replica.network import Reply, build_network
from crawler.replica.server import serve_in_thread
from tests.test_crawl_replica import ROOT, TEST_SETTINGS


@pytest.fixture(scope="module")
def crawl(tmp_path_factory):
    """A five-portal replica whose first county's robots.txt answers 503, the second's 404; crawled."""
    network = build_network(seed=5, portals=5, faults=False)
    counties = [p for p in network.truth()["portals"] if p["level"] == "county"]
    unreachable, unavailable = (urlsplit(p["url"]).hostname for p in counties[:2])
    answer = network.respond

    def respond(method, url, headers=None, body=b""):
        parts = urlsplit(url)
        if parts.path == "/robots.txt" and parts.hostname == unreachable:
            return Reply(503, [("Content-Type", "text/html; charset=utf-8")], b"<h1>503 Service Unavailable</h1>")
        if parts.path == "/robots.txt" and parts.hostname == unavailable:
            return Reply(404, [("Content-Type", "text/plain")], b"User-agent: *\nDisallow: /\n")  # an error page
        return answer(method, url, headers, body)

    network.respond = respond
    replica = serve_in_thread(network)
    tmp = tmp_path_factory.mktemp("robots")
    registry = tmp / "portals.csv"
    registry.write_text(network.registry_csv(), encoding="utf-8")
    archive = tmp / "archive.db"
    command = [sys.executable, "-m", "scrapy", "crawl", "county_portals", "-a", f"portals={registry}",
               "-s", f"OGI_ARCHIVE={archive}"]
    for name, value in {**TEST_SETTINGS, "RETRY_TIMES": "1"}.items():
        command += ["-s", f"{name}={value}"]
    env = {**os.environ, "http_proxy": replica.proxy_url, "HTTP_PROXY": replica.proxy_url}
    try:
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=420)
    finally:
        replica.stop()
    assert done.returncode == 0, done.stderr[-3000:]
    codes = {urlsplit(p["url"]).hostname: p["code"] for p in counties}
    yield {"log": list(replica.request_log), "db": sqlite3.connect(archive), "unreachable": unreachable,
           "unavailable": unavailable, "codes": codes}


def test_a_host_whose_robots_txt_answers_503_gets_no_page_fetched(crawl):
    asked = [r["path"] for r in crawl["log"] if r["host"] == crawl["unreachable"]]
    assert asked and set(asked) == {"/robots.txt"}
    assert len(asked) == 2  # asked again once (RETRY_TIMES=1), then disallowed
    status, reason = crawl["db"].execute("SELECT status, reason FROM portals WHERE code = ?",
                                         (crawl["codes"][crawl["unreachable"]],)).fetchone()
    assert status == "robots_refused"
    assert "robots.txt answered HTTP 503" in reason and "RFC 9309" in reason


def test_a_host_whose_robots_txt_answers_404_is_crawled(crawl):
    pages = {r["path"] for r in crawl["log"] if r["host"] == crawl["unavailable"]} - {"/robots.txt"}
    assert len(pages) > 5
    status, = crawl["db"].execute("SELECT status FROM portals WHERE code = ?",
                                  (crawl["codes"][crawl["unavailable"]],)).fetchone()
    assert status == "ok"
