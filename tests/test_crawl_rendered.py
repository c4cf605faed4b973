"""Lists only a browser sees: replica portals whose columns print their first page and list
the rest only through a JSON API their own script calls (avalon and Vue styles).

One crawl of such a network, as a user runs it; the pages that show the signs are rendered
in Debian's chromium (crawler.browser), every other page never meets a browser, and the
browser itself sends nothing but the portals' own requests (no update checks to Google).
"""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from conftest import unavailable
from scrapy import Request
from scrapy.core.downloader import Slot
from scrapy.utils.test import get_crawler

from crawler.browser import RENDER_META, RenderMiddleware
from crawler.replica.network import build_network
from crawler.replica.scripted import PAGE_SIZE, Scripted
from crawler.replica.server import serve_in_thread
from test_crawl_replica import crawl_process

CHROMIUM = Path("/usr/bin/chromium")


def _need_chromium() -> None:
    if not CHROMIUM.exists():
        unavailable(f"{CHROMIUM} is missing: apt-get install chromium (.ci/run does)")


@pytest.fixture(scope="module")
def crawl(tmp_path_factory):
    _need_chromium()
    network = build_network(seed=1, scripted=True)
    replica = serve_in_thread(network)
    try:
        done, archive = crawl_process(replica, tmp_path_factory.mktemp("rendered"), timeout=600)
    finally:
        replica.stop()
    return done, network, list(replica.request_log), sqlite3.connect(archive)


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


def test_the_browser_requests_nothing_but_the_portals_pages(crawl):
    """Chromium asks update.googleapis.com at every start: the browser's own proxy refuses it unsent."""
    done, network, requests, db = crawl
    assert done.returncode == 0, done.stderr[-3000:]
    assert {e["host"] for e in requests} - set(network.sites) == set()
    stats = _stats(db)  # every request the browser sent is counted: the pages and their API calls
    assert stats["ogi/render_requests"] >= stats["ogi/rendered"] + stats["ogi/rendered_fetches"]


def test_a_pages_api_calls_wait_for_the_hosts_download_delay(monkeypatch):
    """A render's requests are spaced by the delay of the host's Scrapy slot, as static ones are."""
    _need_chromium()
    network = build_network(seed=1, scripted=True)
    page = next(f"{site.origin}{path}" for site in network.sites.values() if isinstance(site.family, Scripted)
                for path, resource in site.resources.items()
                if resource.content_type.startswith("text/html") and _api_pages(resource.make()) >= 2)
    replica = serve_in_thread(network)
    monkeypatch.setenv("http_proxy", replica.proxy_url)
    monkeypatch.setenv("https_proxy", replica.proxy_url)
    crawler = get_crawler(settings_dict={"OGI_BROWSER": str(CHROMIUM), "OGI_RENDER_CONCURRENCY": 1,
                                         "OGI_RENDER_TIMEOUT": 30})
    delay = 0.5
    crawler.engine = SimpleNamespace(downloader=SimpleNamespace(slots={"portal": Slot(1, delay, jitter=0)}))
    middleware = RenderMiddleware(crawler)

    async def render():
        try:
            await middleware.process_request(Request(page, meta={RENDER_META: "test", "download_slot": "portal"}))
        finally:
            await middleware.close()

    try:
        asyncio.run(render())
    finally:
        replica.stop()
    host = urlsplit(page).hostname
    times = sorted(e["time"] for e in replica.request_log if e["host"] == host)
    assert len(times) >= 3  # the page and at least two API pages
    # unpaced, the API calls follow each other within milliseconds
    assert min(b - a for a, b in zip(times, times[1:])) >= delay / 2
    assert {e["host"] for e in replica.request_log} == {host}


def _api_pages(html: str | bytes) -> int:
    """How many API pages a script-filled list page asks for (recordCount / prepage, beyond the first)."""
    text = html.decode("utf-8", "replace") if isinstance(html, bytes) else html
    total = re.search(r"recordCount = (\d+)|data-total=\"(\d+)\"", text)
    return 0 if total is None else -(-int(total.group(1) or total.group(2)) // PAGE_SIZE) - 1
