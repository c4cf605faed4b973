"""Distributed crawling on Redis (scrapy-redis), and which portals a run finished.

With ``REDIS_URL`` set (environment or ``-s REDIS_URL=...``), ``scrapy crawl county_portals``
shares its frontier through Redis: scrapy-redis's scheduler and duplicate filter, keyed by
the crawl name (``-s OGI_CRAWL_NAME=...``, default ``county_portals``). Several workers on
several machines then crawl one network; each writes its own archive file (``OGI_ARCHIVE``)
under its own worker name (``OGI_WORKER``), and ``ogi merge`` joins the shards.

Without ``REDIS_URL`` the scheduler is Scrapy's own; only the bookkeeping below is added.

Bookkeeping, per portal: every request of a portal is counted when scheduled and counted
off when its callback (or errback) is done, its child requests being counted before. A
document the callback yields is counted too, until the archive pipeline has parsed and
committed it (parsing runs behind the crawl): a worker killed before then must not leave
its portal finished. A portal whose count falls to zero is *finished*: the archive records
it (``Archive.finish_portal``) and, when distributed, so does a Redis set.

Kill resilience: scrapy-redis does not acknowledge requests, so the requests a dead worker
had popped are gone and their portals' counts never fall to zero. A worker holds a lease
(a Redis key with expiry) on every portal whose requests it has in hand and renews it while
it works. When the shared queue runs dry, an idle worker re-seeds every portal that no one
finished and no one holds: its home page again, under a new *generation*, which is part of
the duplicate filter's fingerprint so the re-crawl is not dropped as already seen.

Politeness across workers: ``HostGateMiddleware`` lets at most ``OGI_HOST_CONCURRENCY``
requests (default ``CONCURRENT_REQUESTS_PER_DOMAIN``) be in flight per host over all workers,
through a Redis semaphore whose entries expire, waiting with an async sleep.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import socket
import uuid
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Response
from scrapy.settings import BaseSettings
from scrapy_redis.connection import get_redis_from_settings
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.scheduler import Scheduler
from twisted.internet import task

from crawler.middlewares import PORTAL_META

logger = logging.getLogger(__name__)

DEFAULT_CRAWL_NAME = "county_portals"
GENERATION_META = "ogi_generation"  # which crawl of its portal a request belongs to (1: the first)
TOKEN_META = "ogi_counted"          # set once a request is counted in its portal's outstanding requests

ITEM_TOKEN = "ogi_progress_token"  # on a document item: counted in its portal until archived

# Sent when a portal has no outstanding request left: kwargs code, status, reason, pages.
# The archive pipeline records it with Archive.finish_portal.
portal_finished = object()
# Sent by the archive pipeline once a document item is parsed and committed: kwarg token
# (the item's ITEM_TOKEN).
document_stored = object()


def default_worker_name() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


def redis_url(settings: BaseSettings) -> str | None:
    return settings.get("REDIS_URL") or os.environ.get("REDIS_URL") or None


def crawl_name(settings: BaseSettings) -> str:
    return settings.get("OGI_CRAWL_NAME") or DEFAULT_CRAWL_NAME


class DistributedCrawl:
    """Scrapy add-on: portal bookkeeping always; the Redis frontier when ``REDIS_URL`` is set.

    An add-on sees the final settings (``-s`` options included), which ``settings.py`` cannot.
    """

    def update_settings(self, settings: BaseSettings) -> None:
        settings["EXTENSIONS"]["crawler.distributed.PortalProgress"] = 0
        # Outermost: sees the spider's output after every other spider middleware.
        settings["SPIDER_MIDDLEWARES"]["crawler.distributed.PortalProgressMiddleware"] = 1
        url = redis_url(settings)
        if url is None:
            return
        name = crawl_name(settings).replace("%", "%%")  # scrapy-redis %-formats its keys
        for key, value in {
            "REDIS_URL": url,
            "SCHEDULER": "crawler.distributed.PortalScheduler",
            "SCHEDULER_PERSIST": True,
            "SCHEDULER_QUEUE_KEY": f"{name}:requests",
            "SCHEDULER_DUPEFILTER_KEY": f"{name}:dupefilter",
            "DUPEFILTER_CLASS": "crawler.distributed.GenerationDupeFilter",
        }.items():
            settings.set(key, value, priority="addon")
        # Closest to the downloader: holds a host slot exactly while the request is on the wire.
        settings["DOWNLOADER_MIDDLEWARES"]["crawler.distributed.HostGateMiddleware"] = 950


# -- the shared frontier -------------------------------------------------------------------


class GenerationDupeFilter(RFPDupeFilter):
    """scrapy-redis's duplicate filter, with the portal's crawl generation in the fingerprint."""

    def request_fingerprint(self, request: Request) -> str:
        fingerprint = super().request_fingerprint(request)
        generation = request.meta.get(GENERATION_META, 1)
        if generation == 1:
            return fingerprint
        return hashlib.sha1(f"{fingerprint}/{generation}".encode()).hexdigest()


class PortalScheduler(Scheduler):
    """scrapy-redis's scheduler, telling the portal bookkeeping which requests this worker took."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PortalScheduler:
        scheduler = super().from_crawler(crawler)
        scheduler.progress = crawler.get_extension(PortalProgress)
        return scheduler

    def next_request(self) -> Request | None:
        request = super().next_request()
        if request is not None and self.progress is not None:
            self.progress.taken(request)
        return request


# -- per-portal outstanding requests -------------------------------------------------------


class LocalLedger:
    """Outstanding requests per (portal, generation), in this process."""

    def __init__(self) -> None:
        self.outstanding: dict[tuple[str, int], int] = {}
        self.finished: set[str] = set()

    def add(self, code: str, generation: int) -> None:
        key = (code, generation)
        self.outstanding[key] = self.outstanding.get(key, 0) + 1

    def done(self, code: str, generation: int) -> bool:
        """Count one request off; True when this made the portal finished."""
        key = (code, generation)
        left = self.outstanding.get(key, 0) - 1
        if left > 0:
            self.outstanding[key] = left
            return False
        self.outstanding.pop(key, None)
        if code in self.finished:
            return False
        self.finished.add(code)
        return True


# Count one request off; at zero, add the portal to the finished set. 1: newly finished.
_DONE_SCRIPT = """
local left = redis.call('HINCRBY', KEYS[1], ARGV[1], -1)
if left > 0 then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
return redis.call('SADD', KEYS[2], ARGV[2])
"""

# A host slot: drop expired holders, then take one if fewer than the limit hold it.
# Server time, so that workers' clocks need not agree.
_ACQUIRE_SCRIPT = """
local now = redis.call('TIME')
local t = tonumber(now[1]) + tonumber(now[2]) / 1000000
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', t)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], t + tonumber(ARGV[2]), ARGV[3])
  redis.call('EXPIRE', KEYS[1], math.ceil(tonumber(ARGV[2])) + 1)
  return 1
end
return 0
"""


class RedisLedger:
    """Outstanding requests per (portal, generation), finished portals, leases and re-seeds, in Redis."""

    def __init__(self, server, name: str, worker: str, lease_seconds: float):
        self.server = server
        self.worker = worker
        self.lease_seconds = max(1, round(lease_seconds))
        self.outstanding_key = f"{name}:outstanding"
        self.finished_key = f"{name}:finished"
        self.reseeds_key = f"{name}:reseeds"
        self.lease_prefix = f"{name}:lease:"
        self._done = server.register_script(_DONE_SCRIPT)

    def add(self, code: str, generation: int) -> None:
        pipe = self.server.pipeline()
        pipe.hincrby(self.outstanding_key, f"{code}/{generation}", 1)
        pipe.set(self.lease_prefix + code, self.worker, ex=self.lease_seconds)
        pipe.execute()

    def done(self, code: str, generation: int) -> bool:
        return self._done(keys=[self.outstanding_key, self.finished_key], args=[f"{code}/{generation}", code]) == 1

    def renew(self, codes) -> None:
        pipe = self.server.pipeline()
        for code in codes:
            pipe.set(self.lease_prefix + code, self.worker, ex=self.lease_seconds)
        pipe.execute()

    def finished(self) -> set[str]:
        return {_text(code) for code in self.server.smembers(self.finished_key)}

    def mark_finished(self, code: str) -> bool:
        return self.server.sadd(self.finished_key, code) == 1

    def claim(self, code: str) -> int | None:
        """Take an unheld portal for a re-crawl: its new re-seed count, or None if someone holds it."""
        if not self.server.set(self.lease_prefix + code, self.worker, ex=self.lease_seconds, nx=True):
            return None
        return self.server.hincrby(self.reseeds_key, code, 1)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


class PortalProgress:
    """Counts each portal's outstanding requests; finishes portals; re-seeds lost ones.

    A request is counted when scheduled (children: when their parent's callback yields
    them, so a parent is never counted off before its children are counted in), and counted
    off when dropped as a duplicate, when its callback's output is exhausted
    (``PortalProgressMiddleware``) or, for the few paths no middleware sees (a download error
    handed to the errback), when the worker goes idle: an idle engine holds no request.
    """

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        settings = crawler.settings
        self.worker = settings.get("OGI_WORKER") or default_worker_name()
        url = redis_url(settings)
        self.distributed = url is not None
        self.lease_seconds = settings.getfloat("OGI_PORTAL_LEASE_SECONDS", 60.0)
        self.max_reseeds = settings.getint("OGI_PORTAL_MAX_RESEEDS", 3)
        if self.distributed:
            self.ledger = RedisLedger(get_redis_from_settings(settings), crawl_name(settings), self.worker,
                                      self.lease_seconds)
        else:
            self.ledger = LocalLedger()
        # Requests this worker holds: token -> (portal, generation). Locally that is every
        # counted request; distributed, those it took from the shared queue.
        self.held: dict[str, tuple[str, int]] = {}
        # Documents yielded and not archived yet: token -> (portal, generation).
        self.storing: dict[str, tuple[str, int]] = {}
        self.renewal: task.LoopingCall | None = None
        crawler.signals.connect(self.request_scheduled, signal=signals.request_scheduled)
        crawler.signals.connect(self.request_dropped, signal=signals.request_dropped)
        crawler.signals.connect(self.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(self.document_stored, signal=document_stored)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PortalProgress:
        return cls(crawler)

    # -- counting ----------------------------------------------------------------------------

    def count(self, request: Request) -> None:
        """Count a request of a portal in, once (a retry or redirect carries its parent's count)."""
        code = request.meta.get(PORTAL_META)
        if code is None or TOKEN_META in request.meta:
            return
        token = uuid.uuid4().hex
        request.meta[TOKEN_META] = token
        generation = request.meta.setdefault(GENERATION_META, 1)
        self.ledger.add(code, generation)
        if not self.distributed:
            self.held[token] = (code, generation)

    def taken(self, request: Request) -> None:
        """This worker took ``request`` from the shared queue."""
        token = request.meta.get(TOKEN_META)
        if token is not None:
            self.held[token] = (request.meta[PORTAL_META], request.meta.get(GENERATION_META, 1))
            self.ledger.renew([request.meta[PORTAL_META]])

    def hold_document(self, item: dict, parent: Request) -> None:
        """Count a document item in until the archive holds it (``document_stored``)."""
        code = parent.meta.get(PORTAL_META)
        if code is None:
            return
        generation = parent.meta.get(GENERATION_META, 1)
        token = uuid.uuid4().hex
        self.ledger.add(code, generation)
        self.storing[token] = (code, generation)
        item[ITEM_TOKEN] = token

    def document_stored(self, token: str | None) -> None:
        stored = self.storing.pop(token, None)
        if stored is not None:
            self._count_off(*stored)

    def done(self, request: Request) -> None:
        """The request's callback or errback is done (its children are counted already)."""
        held = self.held.pop(request.meta.get(TOKEN_META), None)
        if held is not None:
            self._count_off(*held)

    def _count_off(self, code: str, generation: int) -> None:
        if self.ledger.done(code, generation):
            self._finished(code)

    def _finished(self, code: str, status: str | None = None, reason: str | None = None) -> None:
        spider = self.crawler.spider
        state = getattr(spider, "states", {}).get(code)
        if status is None:
            status, reason = (state.status, state.reason) if state is not None else ("ok", None)
        self.crawler.stats.inc_value("ogi/portals_finished")
        logger.info("portal %s finished (%s) by worker %s", code, status, self.worker)
        self.crawler.signals.send_catch_log(
            signal=portal_finished, code=code, status=status, reason=reason,
            pages=state.pages if state is not None else None,
        )

    # -- signals -----------------------------------------------------------------------------

    def request_scheduled(self, request: Request, spider: Spider | None = None) -> None:
        if TOKEN_META in request.meta and self.distributed:
            # a retry or redirect of a request this worker held goes back to the shared queue
            self.held.pop(request.meta[TOKEN_META], None)
            return
        self.count(request)

    def request_dropped(self, request: Request, spider: Spider | None = None) -> None:
        """A duplicate: counted in when scheduled, never to be done."""
        code = request.meta.get(PORTAL_META)
        token = request.meta.get(TOKEN_META)
        if code is None or token is None:
            return
        self.held.pop(token, None)
        self._count_off(code, request.meta.get(GENERATION_META, 1))

    def spider_opened(self, spider: Spider) -> None:
        if self.distributed:
            self.renewal = task.LoopingCall(self._renew_leases)
            self.renewal.start(max(0.5, self.lease_seconds / 4), now=False)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.renewal is not None and self.renewal.running:
            self.renewal.stop()

    def _renew_leases(self) -> None:
        codes = {code for code, _ in [*self.held.values(), *self.storing.values()]}
        if codes:
            self.ledger.renew(codes)

    def spider_idle(self, spider: Spider) -> None:
        # An idle engine holds no request: whatever is still held went a way no hook sees.
        # (Documents still being parsed are not requests: they stay counted.)
        for token in list(self.held):
            self._count_off(*self.held.pop(token))
        if not self.distributed:
            return
        codes = list(getattr(spider, "states", {}))
        finished = self.ledger.finished()
        unfinished = [code for code in codes if code not in finished]
        if not unfinished:
            return  # the whole crawl is done: this worker may close
        for code in unfinished:
            reseeds = self.ledger.claim(code)
            if reseeds is None:
                continue  # another worker is on it
            if reseeds > self.max_reseeds:
                if self.ledger.mark_finished(code):
                    self._finished(code, "incomplete",
                                   f"its requests were lost {reseeds - 1} times (workers killed); gave up")
                continue
            self._reseed(spider, code, generation=reseeds + 1)
        raise DontCloseSpider("portals not finished yet: other workers are on them, or re-seeded")

    def _reseed(self, spider: Spider, code: str, generation: int) -> None:
        request = spider.restart_portal(code)
        request.meta[GENERATION_META] = generation
        self.crawler.stats.inc_value("ogi/portals_reseeded")
        logger.warning("portal %s: no worker finished it or holds it; crawling it again (generation %d)",
                       code, generation)
        self.crawler.engine.crawl(request)


class PortalProgressMiddleware:
    """Spider middleware: counts children in as they are yielded, the parent off at the end."""

    def __init__(self, progress: PortalProgress):
        self.progress = progress

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PortalProgressMiddleware:
        return cls(crawler.get_extension(PortalProgress))

    async def process_spider_output(self, response: Response, result: AsyncIterator[Any],
                                    spider: Spider | None = None) -> AsyncIterator[Any]:
        parent = response.request
        generation = parent.meta.get(GENERATION_META, 1) if parent is not None else 1
        try:
            async for output in result:
                if isinstance(output, Request) and PORTAL_META in output.meta:
                    if parent is not None and output.meta[PORTAL_META] == parent.meta.get(PORTAL_META):
                        output.meta.setdefault(GENERATION_META, generation)
                    self.progress.count(output)
                elif isinstance(output, dict) and output.get("kind") == "document" and parent is not None:
                    self.progress.hold_document(output, parent)
                yield output
        finally:
            if parent is not None:
                self.progress.done(parent)


# -- politeness across workers --------------------------------------------------------------


class HostGateMiddleware:
    """At most ``OGI_HOST_CONCURRENCY`` requests in flight per host, over all workers.

    Each request in flight holds an entry in a Redis sorted set per host, expiring after
    ``DOWNLOAD_TIMEOUT`` plus a margin so that a dead worker's entries free themselves. A
    request finding the host full waits (an async sleep: the reactor stays free).
    """

    SLOT_META = "ogi_host_slot"

    def __init__(self, server, name: str, limit: int, hold_seconds: float, poll_seconds: float):
        self.server = server
        self.prefix = f"{name}:host:"
        self.limit = limit
        self.hold_seconds = hold_seconds
        self.poll_seconds = poll_seconds
        self._acquire = server.register_script(_ACQUIRE_SCRIPT)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> HostGateMiddleware:
        settings = crawler.settings
        limit = settings.getint("OGI_HOST_CONCURRENCY") or settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN", 2)
        return cls(get_redis_from_settings(settings), crawl_name(settings), limit,
                   hold_seconds=settings.getfloat("DOWNLOAD_TIMEOUT", 180) + 30,
                   poll_seconds=settings.getfloat("OGI_HOST_POLL_SECONDS", 0.1))

    def try_acquire(self, host: str, token: str) -> bool:
        return self._acquire(keys=[self.prefix + host], args=[self.limit, self.hold_seconds, token]) == 1

    def release(self, host: str, token: str) -> None:
        self.server.zrem(self.prefix + host, token)

    async def process_request(self, request: Request, spider: Spider | None = None) -> None:
        host = urlsplit(request.url).hostname or ""
        token = uuid.uuid4().hex
        while not self.try_acquire(host, token):
            await asyncio.sleep(self.poll_seconds)
        request.meta[self.SLOT_META] = (host, token)

    def _release(self, request: Request) -> None:
        slot = request.meta.pop(self.SLOT_META, None)
        if slot is not None:
            self.release(*slot)

    def process_response(self, request: Request, response: Response, spider: Spider | None = None) -> Response:
        self._release(request)
        return response

    def process_exception(self, request: Request, exception: Exception, spider: Spider | None = None) -> None:
        self._release(request)
