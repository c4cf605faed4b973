"""Distributed crawling on Redis (scrapy-redis): one frontier, several workers.

With ``REDIS_URL`` set (environment or ``-s REDIS_URL=...``), ``scrapy crawl county_portals``
shares its frontier through Redis: scrapy-redis's scheduler and duplicate filter, keyed by
the crawl name (``-s OGI_CRAWL_NAME=...``). Several workers on several machines then crawl
one network; each writes its own archive file (``OGI_ARCHIVE``) under its own worker name
(``OGI_WORKER``), and ``ogi merge`` joins the shards. Without ``REDIS_URL`` none of this is
loaded.

Portal bookkeeping (crawler.progress) moves to Redis: each portal's outstanding work is a
set of tokens, so that counting one in or off is idempotent and a call retried after a lost
reply counts nothing twice; finished portals are a Redis set.

Kill resilience: scrapy-redis does not acknowledge requests, so the requests a dead worker
had popped are gone and their portals' counts never fall to zero. A worker holds a lease
(a Redis key with expiry) on every portal whose requests it has in hand and renews it while
it works. When the shared queue runs dry, an idle worker re-seeds every portal that no one
finished and no one holds: its home page again, under a new *generation*, which is part of
the duplicate filter's fingerprint so the re-crawl is not dropped as already seen.

Politeness across workers: ``HostGateMiddleware`` lets at most ``OGI_HOST_CONCURRENCY``
requests (0: ``CONCURRENT_REQUESTS_PER_DOMAIN``) be in flight per host over all workers,
through a Redis semaphore whose entries expire, waiting with an async sleep.

Redis going away for a moment (a restart, a failover, a dropped connection) is retried with
tenacity wherever the project talks to Redis itself: at most ``OGI_REDIS_RETRY_ATTEMPTS``
tries, waiting up to ``OGI_REDIS_RETRY_MAX_WAIT`` seconds between them, each retry logged and
counted in the stats (``ogi/redis_retries``). The ledger's retries block the reactor for
those seconds: without Redis the crawl cannot count anything anyway.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import socket
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from scrapy import Request, Spider
from scrapy import signals as scrapy_signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Response
from scrapy.settings import BaseSettings
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.scheduler import Scheduler
from tenacity import AsyncRetrying, Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential
from twisted.internet import task

from crawler.middlewares import PORTAL_META
from crawler.progress import GENERATION_META, TOKEN_META, PortalProgress, portal_progress

logger = logging.getLogger(__name__)

# What a reconnect can cure; a wrong command or a script error is not retried.
TRANSIENT_REDIS_ERRORS = (redis.ConnectionError, redis.TimeoutError, redis.BusyLoadingError)


class DistributedCrawl:
    """Scrapy add-on: the Redis frontier and bookkeeping when ``REDIS_URL`` is set.

    An add-on sees the final settings (``-s`` options included), which ``settings.py`` cannot.
    """

    def update_settings(self, settings: BaseSettings) -> None:
        url = settings.get("REDIS_URL")
        if not url:
            return
        name = settings.get("OGI_CRAWL_NAME").replace("%", "%%")  # scrapy-redis %-formats its keys
        if not settings.get("OGI_WORKER"):  # workers must tell their leases apart
            settings.set("OGI_WORKER", f"{socket.gethostname()}-{os.getpid()}", priority="addon")
        for key, value in {
            "SCHEDULER": "crawler.distributed.PortalScheduler",
            "SCHEDULER_PERSIST": True,
            "SCHEDULER_QUEUE_KEY": f"{name}:requests",
            "SCHEDULER_DUPEFILTER_KEY": f"{name}:dupefilter",
            "DUPEFILTER_CLASS": "crawler.distributed.GenerationDupeFilter",
        }.items():
            settings.set(key, value, priority="addon")
        extensions = settings["EXTENSIONS"]
        extensions["crawler.progress.PortalProgress"] = None
        extensions["crawler.distributed.DistributedProgress"] = 0
        # Closest to the downloader: holds a host slot exactly while the request is on the wire.
        settings["DOWNLOADER_MIDDLEWARES"]["crawler.distributed.HostGateMiddleware"] = 950


def redis_retries(crawler: Crawler) -> dict[str, Any]:
    """tenacity's arguments for a call to Redis: bounded, logged, counted."""
    settings = crawler.settings
    attempts = settings.getint("OGI_REDIS_RETRY_ATTEMPTS")

    def before_sleep(state) -> None:
        crawler.stats.inc_value("ogi/redis_retries")
        logger.warning("Redis: %s; try %d of %d in %.1f s", state.outcome.exception(),
                       state.attempt_number + 1, attempts, state.next_action.sleep)

    return {
        "retry": retry_if_exception_type(TRANSIENT_REDIS_ERRORS),
        "stop": stop_after_attempt(attempts),
        "wait": wait_exponential(multiplier=0.1, max=settings.getfloat("OGI_REDIS_RETRY_MAX_WAIT")),
        "before_sleep": before_sleep,
        "reraise": True,
    }


def project_redis(settings: BaseSettings) -> redis.Redis:
    """The client of the project's own Redis calls: redis-py's silent retries off (it retries
    10 times by default), so that tenacity's, logged and counted, are the only ones."""
    return redis.Redis.from_url(settings.get("REDIS_URL"), retry=Retry(NoBackoff(), 0))


def _once(function: Callable, *args, **kwargs):
    return function(*args, **kwargs)


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
        scheduler.progress = portal_progress(crawler)
        return scheduler

    def next_request(self) -> Request | None:
        request = super().next_request()
        if request is not None:
            self.progress.taken(request)
        return request


# -- per-portal outstanding work -----------------------------------------------------------


# Count one token off; when the portal's set is empty, add the portal to the finished set.
# 1: newly finished. A token counted off twice (a retried call) is counted once.
_DONE_SCRIPT = """
if redis.call('SREM', KEYS[1], ARGV[1]) == 0 then return 0 end
if redis.call('SCARD', KEYS[1]) > 0 then return 0 end
return redis.call('SADD', KEYS[2], ARGV[2])
"""

# A host slot: drop expired holders, then take one if fewer than the limit hold it.
# Server time, so that workers' clocks need not agree.
_ACQUIRE_SCRIPT = """
local now = redis.call('TIME')
local t = tonumber(now[1]) + tonumber(now[2]) / 1000000
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', t)
if redis.call('ZSCORE', KEYS[1], ARGV[3]) then return 1 end
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], t + tonumber(ARGV[2]), ARGV[3])
  redis.call('EXPIRE', KEYS[1], math.ceil(tonumber(ARGV[2])) + 1)
  return 1
end
return 0
"""


class RedisLedger:
    """Outstanding work per (portal, generation), finished portals, leases and re-seeds, in Redis.

    Every call is retried on a transient Redis error (``call``) and safe to repeat.
    """

    def __init__(self, server, name: str, worker: str, lease_seconds: float, call: Callable = _once):
        self.server = server
        self.worker = worker
        self.lease_seconds = max(1, round(lease_seconds))
        self.call = call
        self.outstanding_prefix = f"{name}:outstanding:"
        self.finished_key = f"{name}:finished"
        self.reseeds_key = f"{name}:reseeds"
        self.lease_prefix = f"{name}:lease:"
        self._done = server.register_script(_DONE_SCRIPT)

    def _outstanding(self, code: str, generation: int) -> str:
        return f"{self.outstanding_prefix}{code}/{generation}"

    def add(self, code: str, generation: int, token: str) -> None:
        def add() -> None:
            pipe = self.server.pipeline()
            pipe.sadd(self._outstanding(code, generation), token)
            pipe.set(self.lease_prefix + code, self.worker, ex=self.lease_seconds)
            pipe.execute()
        self.call(add)

    def done(self, code: str, generation: int, token: str) -> bool:
        """Count ``token`` off; True when this made the portal finished."""
        return self.call(self._done, keys=[self._outstanding(code, generation), self.finished_key],
                         args=[token, code]) == 1

    def renew(self, codes) -> None:
        def renew() -> None:
            pipe = self.server.pipeline()
            for code in codes:
                pipe.set(self.lease_prefix + code, self.worker, ex=self.lease_seconds)
            pipe.execute()
        self.call(renew)

    def finished(self) -> set[str]:
        return {_text(code) for code in self.call(self.server.smembers, self.finished_key)}

    def mark_finished(self, code: str) -> bool:
        return self.call(self.server.sadd, self.finished_key, code) == 1

    def claim(self, code: str) -> int | None:
        """Take an unheld portal for a re-crawl: its new re-seed count, or None if someone holds it.

        (A retry after a lost reply finds the lease taken and returns None: the portal is
        claimed again at the next idle.)"""
        def claim() -> int | None:
            if not self.server.set(self.lease_prefix + code, self.worker, ex=self.lease_seconds, nx=True):
                return None
            return self.server.hincrby(self.reseeds_key, code, 1)
        return self.call(claim)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


class DistributedProgress(PortalProgress):
    """Portal bookkeeping shared by all workers through Redis; re-seeds portals lost with a worker.

    Requests are counted in when scheduled (into the shared queue) and held by the worker
    that takes them from it (``PortalScheduler``).
    """

    def __init__(self, crawler: Crawler):
        settings = crawler.settings
        self.worker_name = settings.get("OGI_WORKER")
        self.lease_seconds = settings.getfloat("OGI_PORTAL_LEASE_SECONDS")
        self.max_reseeds = settings.getint("OGI_PORTAL_MAX_RESEEDS")
        self.retrying = Retrying(**redis_retries(crawler))
        super().__init__(crawler)
        self.renewal: task.LoopingCall | None = None
        crawler.signals.connect(self.spider_opened, signal=scrapy_signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=scrapy_signals.spider_closed)

    def make_ledger(self) -> RedisLedger:
        return RedisLedger(project_redis(self.crawler.settings), self.crawler.settings.get("OGI_CRAWL_NAME"),
                           self.worker_name, self.lease_seconds, call=self.retrying)

    @property
    def worker(self) -> str:
        return self.worker_name

    def hold(self, token: str, code: str, generation: int) -> None:
        """Counted into the shared queue: held by whichever worker takes it (``taken``)."""

    def taken(self, request: Request) -> None:
        """This worker took ``request`` from the shared queue."""
        token = request.meta.get(TOKEN_META)
        if token is not None:
            code = request.meta[PORTAL_META]
            self.held[token] = (code, request.meta.get(GENERATION_META, 1))
            self.ledger.renew([code])

    def request_scheduled(self, request: Request, spider: Spider | None = None) -> None:
        if TOKEN_META in request.meta:
            # a retry or redirect of a request this worker held goes back to the shared queue
            self.held.pop(request.meta[TOKEN_META], None)
            return
        self.count(request)

    def spider_opened(self, spider: Spider) -> None:
        self.renewal = task.LoopingCall(self._renew_leases)
        self.renewal.start(max(0.5, self.lease_seconds / 4), now=False)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.renewal is not None and self.renewal.running:
            self.renewal.stop()

    def _renew_leases(self) -> None:
        codes = {code for code, _ in [*self.held.values(), *self.storing.values()]}
        if codes:
            try:
                self.ledger.renew(codes)
            except TRANSIENT_REDIS_ERRORS as exc:  # retried already; the next renewal tries again
                logger.error("Redis: could not renew the leases of %d portals: %s", len(codes), exc)

    def spider_idle(self, spider: Spider) -> None:
        super().spider_idle(spider)
        codes = list(self.states)
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
                    self.finished(code, "incomplete",
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


# -- politeness across workers --------------------------------------------------------------


class HostGateMiddleware:
    """At most ``OGI_HOST_CONCURRENCY`` requests in flight per server, over all workers.

    Each request in flight holds an entry in a Redis sorted set per host, expiring after
    ``DOWNLOAD_TIMEOUT`` plus a margin so that a dead worker's entries free themselves. A
    request finding the host full waits (an async sleep: the reactor stays free).
    """

    SLOT_META = "ogi_host_slot"

    def __init__(self, server, name: str, limit: int, hold_seconds: float, poll_seconds: float,
                 retries: dict[str, Any] | None = None):
        self.server = server
        self.prefix = f"{name}:host:"
        self.limit = limit
        self.hold_seconds = hold_seconds
        self.poll_seconds = poll_seconds
        self.retries = retries or {"stop": stop_after_attempt(1), "reraise": True}
        self._acquire = server.register_script(_ACQUIRE_SCRIPT)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> HostGateMiddleware:
        settings = crawler.settings
        limit = settings.getint("OGI_HOST_CONCURRENCY") or settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN")
        return cls(project_redis(settings), settings.get("OGI_CRAWL_NAME"), limit,
                   hold_seconds=settings.getfloat("DOWNLOAD_TIMEOUT") + 30,
                   poll_seconds=settings.getfloat("OGI_HOST_POLL_SECONDS"), retries=redis_retries(crawler))

    def try_acquire(self, host: str, token: str) -> bool:
        """Take a slot of ``host`` for ``token`` (again: a no-op), if the host has one free."""
        return self._acquire(keys=[self.prefix + host], args=[self.limit, self.hold_seconds, token]) == 1

    def release(self, host: str, token: str) -> None:
        Retrying(**self.retries)(self.server.zrem, self.prefix + host, token)

    async def _try_acquire(self, host: str, token: str) -> bool:
        async for attempt in AsyncRetrying(**self.retries):
            with attempt:
                return self.try_acquire(host, token)
        raise AssertionError("unreachable: tenacity reraises")

    async def process_request(self, request: Request, spider: Spider | None = None) -> None:
        # the request's server (crawler.middlewares.ServerSlotMiddleware), else its hostname
        host = request.meta.get("download_slot") or urlsplit(request.url).hostname or ""
        token = uuid.uuid4().hex
        while not await self._try_acquire(host, token):
            await asyncio.sleep(self.poll_seconds)
        request.meta[self.SLOT_META] = (host, token)

    def _release(self, request: Request) -> None:
        slot = request.meta.pop(self.SLOT_META, None)
        if slot is not None:
            try:
                self.release(*slot)
            except TRANSIENT_REDIS_ERRORS as exc:  # the entry expires by itself
                logger.error("Redis: could not free a slot of %s: %s", slot[0], exc)

    def process_response(self, request: Request, response: Response, spider: Spider | None = None) -> Response:
        self._release(request)
        return response

    def process_exception(self, request: Request, exception: Exception, spider: Spider | None = None) -> None:
        self._release(request)
