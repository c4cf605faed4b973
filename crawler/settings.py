"""Scrapy settings of the ogi-archive crawler: polite to small government servers by default.

Tests and benchmarks turn the politeness delays off through their own settings; nothing
here knows the replica network.
"""

from __future__ import annotations

import os

# Scrapy's cookie middleware builds a tldextract instance when it is imported, and that
# instance downloads the public-suffix list on first use (tracebacks offline). The bundled
# snapshot is enough, as for crawler/scope.py: no instance reaches for the network.
os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")

BOT_NAME = "ogi-archive"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"
COMMANDS_MODULE = "crawler.commands"  # `scrapy crawl` exits 1 on a crawl that could not start

# Every OGI_* setting has its default here and nowhere else; code reads them with
# ``settings.getint("OGI_...")`` and no fallback (tests/test_crawl_settings.py holds that).
# The environment is read here only, once: these five may come from it.
_ENV = os.environ

# Where a portal's webmaster can read who we are; the User-Agent carries it.
OGI_CONTACT_URL = _ENV.get("OGI_CONTACT_URL") or "https://pypi.org/project/ogi-archive/"
# ``{contact}`` is filled from OGI_CONTACT_URL by crawler.middlewares.ContactUserAgentMiddleware,
# so ``-s OGI_CONTACT_URL=...`` changes the header too.
USER_AGENT = "ogi-archive/0.1 (+{contact}; research archive of disclosure annual reports)"
# None: $OGI_ARCHIVE, else ./archive.db (archive.default_archive_path).
OGI_ARCHIVE = _ENV.get("OGI_ARCHIVE") or None

# Several workers, one crawl (crawler.distributed): with REDIS_URL set they share the frontier
# through Redis under OGI_CRAWL_NAME; each names itself OGI_WORKER in its own archive (None:
# hostname-pid when distributed, set by the add-on; no name in a one-machine crawl).
REDIS_URL = _ENV.get("REDIS_URL") or None
OGI_CRAWL_NAME = _ENV.get("OGI_CRAWL_NAME") or "county_portals"
OGI_WORKER = _ENV.get("OGI_WORKER") or None
ADDONS = {"crawler.distributed.DistributedCrawl": 0}
# A portal whose requests a worker holds is leased to it for this long, renewed while it works;
# a portal nobody finished nor holds is crawled again at most this many times.
OGI_PORTAL_LEASE_SECONDS = 60.0
OGI_PORTAL_MAX_RESEEDS = 3
# Requests in flight per host over all workers (0: CONCURRENT_REQUESTS_PER_DOMAIN), and how
# often a request waiting for a slot asks again.
OGI_HOST_CONCURRENCY = 0
OGI_HOST_POLL_SECONDS = 0.1
# A Redis call failing on a dropped connection is tried this many times in all, waiting
# 0.1, 0.2, 0.4 … seconds (at most OGI_REDIS_RETRY_MAX_WAIT) in between.
OGI_REDIS_RETRY_ATTEMPTS = 6
OGI_REDIS_RETRY_MAX_WAIT = 2.0

ROBOTSTXT_OBEY = True
ROBOTSTXT_USER_AGENT = "ogi-archive"
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0
# Each delay is drawn between 0.5 and 1.5 times DOWNLOAD_DELAY (Scrapy's default, said here).
RANDOMIZE_DOWNLOAD_DELAY = True
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

# A document's parse is stopped past this many seconds, or this many bytes of memory, and the
# document recorded ``unreadable`` with the limit as its reason (crawler.parsing).
OGI_PARSE_TIME_LIMIT = 30.0
OGI_PARSE_MEMORY_LIMIT = 1024 * 1024 * 1024

# Script-filled list pages (crawler.browser): the browser binary (Debian's chromium, never
# a Playwright download), pages rendered at once, and seconds one render may take.
OGI_BROWSER = "/usr/bin/chromium"
OGI_RENDER_CONCURRENCY = 2
OGI_RENDER_TIMEOUT = 30

# Per-portal limits of the county_portals spider.
OGI_PORTAL_MAX_DEPTH = 8
OGI_PORTAL_MAX_REQUESTS = 1500
# Under ``-a recrawl=new``, a known document is fetched again once older than this.
OGI_RECRAWL_MAX_AGE_DAYS = 180

EXTENSIONS = {
    # Which portals the crawl finished (crawler.progress); crawler.distributed swaps in its
    # Redis-backed subclass.
    "crawler.progress.PortalProgress": 0,
    # The researcher's summary at the end of a crawl (crawler.summary).
    "crawler.summary.CrawlSummary": 500,
}
SPIDER_MIDDLEWARES = {
    # Outermost: sees the spider's output after every other spider middleware.
    "crawler.progress.PortalProgressMiddleware": 1,
}

DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.useragent.UserAgentMiddleware": None,
    "crawler.middlewares.ContactUserAgentMiddleware": 500,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.middlewares.BackoffRetryMiddleware": 550,
    # Before the robots.txt check (100), so an out-of-scope URL never costs a robots.txt fetch.
    "crawler.middlewares.ScopeMiddleware": 60,
    # robots.txt's status read as RFC 9309 does: 5xx disallows the host, 4xx allows it.
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawler.middlewares.RFC9309RobotsTxtMiddleware": 100,
    # Next to the downloader (below redirect 600 and retry 550): sees every attempt.
    "crawler.middlewares.AttemptAuditMiddleware": 620,
    # Refuses redirects to internal addresses before the audit and redirect see them, and
    # resolves host names when no proxy is set (crawler.guard).
    "crawler.guard.AddressGuardMiddleware": 630,
    # HttpProxyMiddleware stays at its default (750): ``http_proxy`` works unchanged.
    # After it (it says whether a proxy is used): each request in its server's slot.
    "crawler.middlewares.ServerSlotMiddleware": 760,
    # Answers the few requests the spider marks for rendering from a headless browser,
    # pacing the page's requests by the slot ServerSlotMiddleware chose.
    "crawler.browser.RenderMiddleware": 770,
}
DOWNLOAD_HANDLERS = {
    "http": "crawler.handlers.AuditedHTTPDownloadHandler",
    "https": "crawler.handlers.AuditedHTTPDownloadHandler",
}
ITEM_PIPELINES = {
    "crawler.pipelines.ArchivePipeline": 300,
}

LOG_LEVEL = "INFO"
# No remote control of a crawl: neither the Telnet console nor Scrapy's HTTP remote-control
# service (an in-process Python executor on a localhost port, on by default since Scrapy 2.14)
# listens; a crawl opens no listening port at all (tests/test_crawl_orphans.py) but, while it
# renders, the browser's loopback gate, which serves only the browser (crawler.browser).
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
FEED_EXPORT_ENCODING = "utf-8"
