"""Lists only a browser sees: replica portals whose columns print their first page and list
the rest only through a JSON API their own script calls (avalon and Vue styles).

One crawl of such a network, as a user runs it; the pages that show the signs are rendered
in Debian's chromium (crawler.browser), every other page never meets a browser.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from crawler.replica.network import build_network
from crawler.replica.scripted import Scripted
from crawler.replica.server import serve_in_thread

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
SETTINGS = {"AUTOTHROTTLE_ENABLED": "False", "DOWNLOAD_DELAY": "0", "CONCURRENT_REQUESTS": "32",
            "CONCURRENT_REQUESTS_PER_DOMAIN": "8", "DOWNLOAD_TIMEOUT": "25", "RETRY_BACKOFF_BASE": "0.1",
            "LOG_LEVEL": "INFO"}


@pytest.fixture(scope="module")
def crawl(tmp_path_factory):
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: apt-get install chromium (.ci/run does)"
        pytest.fail(message) if os.environ.get("CI") else pytest.skip(message)
    network = build_network(seed=1, scripted=True)
    replica = serve_in_thread(network)
    tmp = tmp_path_factory.mktemp("rendered")
    registry = tmp / "portals.csv"
    registry.write_text(network.registry_csv(), encoding="utf-8")
    archive = tmp / "archive.db"
    command = [sys.executable, "-m", "scrapy", "crawl", "county_portals", "-a", f"portals={registry}",
               "-s", f"OGI_ARCHIVE={archive}", *(arg for k, v in SETTINGS.items() for arg in ("-s", f"{k}={v}"))]
    proxy = replica.proxy_url
    env = {**os.environ, "http_proxy": proxy, "HTTP_PROXY": proxy, "https_proxy": proxy, "HTTPS_PROXY": proxy}
    try:
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    finally:
        replica.stop()
    db = sqlite3.connect(archive)
    return done, network, list(replica.request_log), db


def _stats(db) -> dict:
    return json.loads(db.execute("SELECT stats FROM crawl_runs").fetchone()[0])["scrapy"]


def _listed_only_by_api(network) -> set[str]:
    """Report pages that no HTML page of their site links: only a list API's JSON names them."""
    hidden = set()
    for host, site in network.sites.items():
        if not isinstance(site.family, Scripted):
            continue
        for path, resource in site.resources.items():
            if resource.content_type.startswith("application/json"):
                for entry in json.loads(resource.make()).get("list") or json.loads(resource.make()).get("data"):
                    hidden.add(f"{site.origin}{entry.get('url') or entry.get('linkUrl')}")
    return hidden


def test_every_report_is_found_behind_script_filled_lists(crawl):
    done, network, _, db = crawl
    assert done.returncode == 0, done.stderr[-3000:]
    reports = network.truth()["reports"]
    behind_scripts = [r for r in reports if r["page_url"] in _listed_only_by_api(network)]
    assert len(behind_scripts) >= 10  # a static crawl would miss these
    found = set(db.execute("SELECT organ, report_year FROM documents WHERE kind IN ('report', 'image_only')"))
    assert sorted({(r["organ"], r["report_year"]) for r in reports} - found, key=str) == []
    stored = {url for (url,) in db.execute("SELECT url FROM documents")}
    missing = [r["url"] for r in reports if r["url"] not in stored and not set(r["also_at"]) & stored]
    assert len(missing) <= len(reports) // 100, missing


def test_only_pages_showing_the_signs_are_rendered(crawl):
    done, network, _, db = crawl
    rendered = re.findall(r"rendering (\S+): ", done.stderr)
    scripted_hosts = {host for host, site in network.sites.items() if isinstance(site.family, Scripted)}
    assert rendered and {urlsplit(url).hostname for url in rendered} <= scripted_hosts
    assert {"avalon", "vue"} == {network.sites[urlsplit(u).hostname].family.style for u in rendered}
    assert _stats(db)["ogi/rendered"] == len(set(rendered))


def test_what_the_browser_fetched_is_archived_with_its_page(crawl):
    _, _, requests, db = crawl
    api_asked = {e["url"] for e in requests if "/trs-openapi/" in e["url"] or "/api/content/list" in e["url"]}
    rows = list(db.execute("SELECT url, status, request_headers, sha256 FROM fetches"
                           " WHERE url LIKE '%/trs-openapi/%' OR url LIKE '%/api/content/list%'"))
    assert api_asked and {row[0] for row in rows} == api_asked
    assert all(row[1] == 200 and row[3] for row in rows)
    assert all("referer" in row[2].lower() for row in rows)  # the list page that called it
