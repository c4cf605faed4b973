"""https portals end to end: CONNECT through the replica's proxy, http→https redirects,
absolute https links, and no page fetched under both schemes.

One crawl of a replica network whose county portals are http, https, or https listed by an
http URL (and whose townships follow their county), run as a user runs it: ``scrapy crawl``
with ``http_proxy`` and ``https_proxy`` both set.
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from urllib.parse import urlsplit

import pytest

from crawler.replica.network import build_network
from crawler.replica.server import serve_in_thread
from test_crawl_replica import crawl_process



@pytest.fixture(scope="module")
def crawl(tmp_path_factory):
    network = build_network(seed=1, https=True)
    replica = serve_in_thread(network)
    try:
        done, archive = crawl_process(replica, tmp_path_factory.mktemp("https"), timeout=420)
    finally:
        replica.stop()
    return done, network, list(replica.request_log), sqlite3.connect(archive)


def test_the_network_has_every_kind_of_portal(crawl):
    _, network, _, _ = crawl
    schemes = {site.scheme for site in network.sites.values() if site.level == "county" and site.status == "ok"}
    assert schemes == {"http", "https", "https_redirect"}
    assert any(site.absolute_links for site in network.sites.values())


def test_every_organ_year_pair_and_report_is_found_on_https_portals_too(crawl):
    done, network, _, db = crawl
    assert done.returncode == 0, done.stderr[-3000:]
    documents = {url: (organ, year) for url, organ, year in
                 db.execute("SELECT url, organ, report_year FROM documents WHERE kind IN ('report', 'image_only')")}
    reports = network.truth()["reports"]
    wanted = {(r["organ"], r["report_year"]) for r in reports}
    assert sorted(wanted - set(documents.values()), key=str) == []
    stored = set(db.execute("SELECT url FROM documents").fetchall())
    stored = {url for (url,) in stored}
    missing = [r["url"] for r in reports if r["url"] not in stored and not set(r["also_at"]) & stored]
    assert len(missing) <= len(reports) // 100, missing
    on_https = [r for r in reports if r["url"].startswith("https://")]
    assert on_https and all(r["url"] in stored or set(r["also_at"]) & stored for r in on_https)


def test_https_is_reached_through_connect_and_http_redirects_to_it(crawl):
    _, network, requests, _ = crawl
    listed_http = {host for host, site in network.sites.items() if site.scheme == "https_redirect"}
    redirected = {e["host"] for e in requests if e["url"].startswith("http://") and e["status"] == 301}
    assert listed_http and listed_http <= redirected
    served = {e["host"] for e in requests if e["url"].startswith("https://") and e["status"] == 200}
    https_hosts = {host for host, site in network.sites.items() if site.scheme != "http" and site.status == "ok"}
    assert https_hosts and https_hosts <= served


def test_no_page_is_fetched_under_both_schemes(crawl):
    _, _, requests, _ = crawl
    schemes = defaultdict(set)
    for entry in requests:
        if entry["status"] == 200:
            parts = urlsplit(entry["url"])
            schemes[(entry["host"], entry["path"])].add(parts.scheme)
    twice = [key for key, seen in schemes.items() if len(seen) > 1]
    assert twice == []


def test_a_crawl_of_static_lists_starts_no_browser(crawl):
    done, _, _, db = crawl
    stats = json.loads(db.execute("SELECT stats FROM crawl_runs").fetchone()[0])["scrapy"]
    assert stats["ogi/pages"] > 100 and "ogi/rendered" not in stats
    assert "rendering " not in done.stderr


def test_the_crawl_ends_with_the_researchers_summary(crawl):
    done, network, _, db = crawl
    log = done.stderr[done.stderr.index("crawl summary for researchers"):]
    assert "portals by status" in log and "reports by year and level" in log
    wanted = defaultdict(lambda: defaultdict(set))
    for report in network.truth()["reports"]:
        wanted[report["portal_code"][:6]][report["report_year"]].add(report["organ"])
    table = log[log.index("organs with a report, per county and year"):].splitlines()
    years = [int(y) for y in table[1].split()[1:]]
    rows = {line.split()[0]: [int(n) for n in line.split()[-len(years):]] for line in table[2:2 + len(wanted)]}
    assert rows == {county: [len(per_year.get(y, ())) for y in years] for county, per_year in wanted.items()}
    counted = {status: n for status, n in (line.split() for line in log.splitlines()[2:4] if line.strip())}
    assert counted == {"ok": str(sum(site.level in ("county", "township") for site in network.sites.values()))}
