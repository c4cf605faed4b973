"""Scrapy settings of the ogi-archive crawler: polite to small government servers by default.

Tests and benchmarks turn the politeness delays off through their own settings; nothing
here knows the replica network.
"""

from __future__ import annotations

import os

BOT_NAME = "ogi-archive"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# Where a portal's webmaster can read who we are; the User-Agent carries it.
OGI_CONTACT_URL = os.environ.get("OGI_CONTACT_URL", "https://pypi.org/project/ogi-archive/")
# ``{contact}`` is filled from OGI_CONTACT_URL by crawler.middlewares.ContactUserAgentMiddleware,
# so ``-s OGI_CONTACT_URL=...`` changes the header too.
USER_AGENT = "ogi-archive/0.1 (+{contact}; research archive of disclosure annual reports)"
# None: $OGI_ARCHIVE, else ./archive.db (archive.default_archive_path).
OGI_ARCHIVE = os.environ.get("OGI_ARCHIVE") or None

# Several workers, one crawl (crawler.distributed): with REDIS_URL set they share the frontier
# through Redis under OGI_CRAWL_NAME; each names itself OGI_WORKER (None: hostname-pid) in its
# own archive. The add-on also records which portals each run finished.
REDIS_URL = os.environ.get("REDIS_URL") or None
OGI_CRAWL_NAME = os.environ.get("OGI_CRAWL_NAME") or "county_portals"
OGI_WORKER = os.environ.get("OGI_WORKER") or None
ADDONS = {"crawler.distributed.DistributedCrawl": 0}

ROBOTSTXT_OBEY = True
ROBOTSTXT_USER_AGENT = "ogi-archive"
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0
DOWNLOAD_DELAY_JITTER = 0.5
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0

DOWNLOAD_TIMEOUT = 30
# Both caps also apply to the decompressed size of gzip/deflate/br bodies
# (HttpCompressionMiddleware), which is what stops a gzip bomb.
DOWNLOAD_MAXSIZE = 64 * 1024 * 1024
DOWNLOAD_WARNSIZE = 16 * 1024 * 1024

RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
# Seconds before retry n: RETRY_BACKOFF_BASE * 2 ** (n - 1), at most RETRY_BACKOFF_MAX.
RETRY_BACKOFF_BASE = 2.0
RETRY_BACKOFF_MAX = 60.0

# A response yields a handful of links and at most one item; Scrapy starts this many tasks
# per response to handle them (100 by default, most of them idle).
CONCURRENT_ITEMS = 8

REDIRECT_MAX_TIMES = 10
COOKIES_ENABLED = True
# Scheduling follows request priority (likely links first), breadth-first within a priority.
DEPTH_PRIORITY = 1
SCHEDULER_DISK_QUEUE = "scrapy.squeues.PickleFifoDiskQueue"
SCHEDULER_MEMORY_QUEUE = "scrapy.squeues.FifoMemoryQueue"

# Worker processes that parse the documents beside the crawl (crawler.parsing).
OGI_PARSE_PROCESSES = 1
# Bytes of fetched documents waiting for a parser before the crawl waits for them.
OGI_PARSE_BACKLOG_BYTES = 256 * 1024 * 1024

# Script-filled list pages (crawler.browser): the browser binary (Debian's chromium, never
# a Playwright download), pages rendered at once, and seconds one render may take.
OGI_BROWSER = "/usr/bin/chromium"
OGI_RENDER_CONCURRENCY = 2
OGI_RENDER_TIMEOUT = 30

# Per-portal limits of the county_portals spider.
OGI_PORTAL_MAX_DEPTH = 8
OGI_PORTAL_MAX_REQUESTS = 1500

DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.useragent.UserAgentMiddleware": None,
    "crawler.middlewares.ContactUserAgentMiddleware": 500,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.middlewares.BackoffRetryMiddleware": 550,
    # Before the robots.txt check (100), so an out-of-scope URL never costs a robots.txt fetch.
    "crawler.middlewares.ScopeMiddleware": 60,
    # Next to the downloader (below redirect 600 and retry 550): sees every attempt.
    "crawler.middlewares.AttemptAuditMiddleware": 620,
    # Refuses redirects to internal addresses before the audit and redirect see them, and
    # resolves host names when no proxy is set (crawler.guard).
    "crawler.guard.AddressGuardMiddleware": 630,
    # Answers the few requests the spider marks for rendering from a headless browser.
    "crawler.browser.RenderMiddleware": 640,
    # HttpProxyMiddleware stays at its default (750): ``http_proxy`` works unchanged.
}
DOWNLOAD_HANDLERS = {
    "http": "crawler.handlers.AuditedHTTPDownloadHandler",
    "https": "crawler.handlers.AuditedHTTPDownloadHandler",
}
# Logs portals by status, reports by year and level, organs with a report per county and year.
EXTENSIONS = {"crawler.summary.CrawlSummary": 500}
ITEM_PIPELINES = {
    "crawler.pipelines.ArchivePipeline": 300,
}

LOG_LEVEL = "INFO"
TELNETCONSOLE_ENABLED = False
FEED_EXPORT_ENCODING = "utf-8"
