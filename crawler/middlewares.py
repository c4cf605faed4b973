"""Downloader middlewares: scope, a User-Agent with a contact URL, robots.txt as RFC 9309
reads it, politeness per server, retries with backoff, and an audit of every failed attempt
(retried ones included) and of redirect loops."""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from urllib.parse import urljoin, urlsplit

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.utils.httpobj import urlparse_cached

from crawler import cues, faults
from crawler.signals import attempt_failed
from crawler.faults import OutOfScope, RedirectLoop
from crawler.scope import Scope, registrable_domain

logger = logging.getLogger(__name__)

PORTAL_META = "portal"            # the registry code of the portal a request belongs to
RETRY_DELAY_META = "ogi_retry_delay"
STARTED_META = "ogi_started"      # monotonic time the current attempt went out


class ScopeMiddleware:
    """Drop every request outside its portal's scope, redirects included.

    Spiders expose ``scope`` (a ``crawler.scope.Scope``); requests carry their portal code in
    ``meta["portal"]``. Requests without one (robots.txt) must fall in some portal's scope.
    """

    def __init__(self, crawler: Crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ScopeMiddleware:
        return cls(crawler)

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        scope: Scope | None = getattr(self.crawler.spider, "scope", None)
        if scope is None:
            return None
        reason = scope.refusal(request.url, request.meta.get(PORTAL_META))
        if reason is not None:
            self.crawler.stats.inc_value("ogi/out_of_scope")
            logger.debug("out of scope: %s (%s)", request.url, reason)
            raise OutOfScope(f"out of scope: {reason}")
        return None


class RFC9309RobotsTxtMiddleware(RobotsTxtMiddleware):
    """Scrapy's robots.txt check, reading the robots.txt status as RFC 9309 (2.3.1) says.

    A 4xx robots.txt is *unavailable*: everything is allowed (Scrapy would parse the error
    page as rules). A 5xx one is *unreachable*: everything is disallowed, the portal's status
    says why, and the next crawl asks again (this one already retried it, as any 5xx, with
    backoff). A WAF challenge, or a proxy's "could not resolve host", is not the server
    failing: it is allowed, so that the home page meets the same and the portal is recorded
    ``waf`` or ``dead``.
    """

    DISALLOW_ALL = b"User-agent: *\nDisallow: /\n"

    def __init__(self, crawler: Crawler):
        super().__init__(crawler)
        self.unreachable: dict[str, int] = {}  # netloc -> the status its robots.txt answered

    async def _parse_robots(self, response: Response, netloc: str, request: Request) -> None:
        if response.status >= 400:
            # a WAF challenge, or a proxy saying the host does not resolve, is not the server
            # failing: the home page meets the same and records the portal waf or dead
            cause = faults.cause_of_response(response.status, response.body)
            unreachable = response.status >= 500 and cause == f"http_{response.status}"
            if unreachable:
                self.unreachable[netloc] = response.status
                logger.warning("robots.txt of %s answered HTTP %d: nothing of that host is fetched (RFC 9309)",
                               netloc, response.status)
            response = response.replace(body=self.DISALLOW_ALL if unreachable else b"")
        await super()._parse_robots(response, netloc, request)

    def process_request_2(self, rp, request: Request) -> None:
        status = self.unreachable.get(urlparse_cached(request).netloc)
        if status is None:
            return super().process_request_2(rp, request)
        self._stats.inc_value("robotstxt/forbidden")
        raise IgnoreRequest(f"{cues.ROBOTS_REFUSAL_MESSAGE}: robots.txt answered HTTP {status},"
                            " so the whole host is disallowed (RFC 9309); the next crawl asks again")


class ServerSlotMiddleware:
    """Politeness per server, not only per hostname.

    A county server often carries dozens of township sub-domains; Scrapy's concurrency,
    delay and AutoThrottle apply per downloader slot, by default one per hostname, so each
    sub-domain would get the full rate. This puts each request in the slot of its server
    (Scrapy's ``download_slot`` meta): the address its hostname resolves to. Through a proxy
    (``http_proxy``; the replica) the crawl cannot know the address, so the slot is the
    hostname's registrable domain: ``xx.hongze.gov.cn`` and ``www.hongze.gov.cn`` share one.
    Limits per server are limits per hostname too: a hostname is on one server.

    After HttpProxyMiddleware (750), which says whether the request goes through a proxy.
    """

    SLOT_META = "download_slot"

    def __init__(self) -> None:
        self.addresses: dict[str, str] = {}

    async def process_request(self, request: Request, spider: Spider | None = None) -> None:
        host = urlsplit(request.url).hostname or ""
        # computed again for each request: a redirect to another host keeps its parent's meta
        request.meta[self.SLOT_META] = (registrable_domain(host) if request.meta.get("proxy")
                                        else await self.address(host))

    async def address(self, host: str) -> str:
        """The first address ``host`` resolves to (itself if it does not: the download fails then)."""
        if host not in self.addresses:
            try:
                answers = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
                self.addresses[host] = answers[0][4][0]
            except (OSError, IndexError):
                self.addresses[host] = host
        return self.addresses[host]


class ContactUserAgentMiddleware:
    """Send ``USER_AGENT`` with ``{contact}`` filled from ``OGI_CONTACT_URL``."""

    def __init__(self, user_agent: str):
        self.user_agent = user_agent

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ContactUserAgentMiddleware:
        settings = crawler.settings
        return cls(settings.get("USER_AGENT").replace("{contact}", settings.get("OGI_CONTACT_URL") or ""))

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        request.headers.setdefault(b"User-Agent", self.user_agent)


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's retries (5xx, timeouts, resets), each waiting longer than the last.

    Retry n waits ``RETRY_BACKOFF_BASE * 2 ** (n - 1)`` seconds (at most ``RETRY_BACKOFF_MAX``)
    before it is sent, so a struggling server gets room to recover.
    """

    def __init__(self, settings):
        super().__init__(settings)
        self.backoff_base = settings.getfloat("RETRY_BACKOFF_BASE")
        self.backoff_max = settings.getfloat("RETRY_BACKOFF_MAX")

    def _retry(self, request: Request, reason) -> Request | None:
        retry = super()._retry(request, reason)
        if retry is not None:
            attempt = retry.meta.get("retry_times", 1)
            retry.meta[RETRY_DELAY_META] = min(self.backoff_max, self.backoff_base * 2 ** (attempt - 1))
        return retry

    async def process_request(self, request: Request, spider: Spider | None = None) -> None:
        delay = request.meta.pop(RETRY_DELAY_META, None)
        if delay:
            await asyncio.sleep(delay)
        return None


class AttemptAuditMiddleware:
    """Report every failed attempt as it happens, and stop redirect loops.

    It sits next to the downloader (below retry and redirect), so it sees each attempt: a
    503 that succeeds on the second try is still reported once, as the portal served it.
    """

    def __init__(self, crawler: Crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> AttemptAuditMiddleware:
        return cls(crawler)

    def _report(self, request: Request, cause: str, detail: str, response: Response | None,
                url: str | None = None) -> None:
        started = request.meta.get(STARTED_META)
        self.crawler.signals.send_catch_log(
            signal=attempt_failed, request=request, url=url or request.url, cause=cause, detail=detail,
            status=response.status if response is not None else None, response=response,
            duration=time.monotonic() - started if started else None,
        )

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        request.meta[STARTED_META] = time.monotonic()
        return None

    def process_response(self, request: Request, response: Response, spider: Spider | None = None) -> Response:
        if 300 <= response.status < 400 and b"Location" in response.headers:
            target = urljoin(request.url, response.headers[b"Location"].decode("latin-1"))
            chain = [*request.meta.get("redirect_urls", []), request.url]
            if target in chain:
                detail = f"{request.url} redirects back to {target} after {len(chain)} hop(s)"
                self._report(request, "redirect_loop", detail, response, url=chain[0])
                raise RedirectLoop(faults.describe("redirect_loop", detail))
            if len(chain) == cues.REDIRECT_CHAIN_HOPS:
                # Recorded at the hop: the chain's end may be a page already crawled, which
                # the duplicate filter drops without a word.
                detail = f"{chain[0]} redirects {len(chain)} times, on to {target}"
                self._report(request, "redirect_chain", detail, response, url=chain[0])
        if response.status >= 400 and request.meta.get(PORTAL_META) is not None:
            cause = faults.cause_of_response(response.status, response.body)
            self._report(request, cause, f"HTTP {response.status}", response)
        return response

    def process_exception(self, request: Request, exception: Exception, spider: Spider | None = None) -> None:
        # Refusals (robots.txt, scope) fetched nothing: the spider's errback records them.
        if request.meta.get(PORTAL_META) is not None and not isinstance(exception, IgnoreRequest):
            cause = faults.cause_of_exception(exception)
            self._report(request, cause, f"{type(exception).__name__}: {exception}"[:300], None)
        return None

