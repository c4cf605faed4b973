"""The address guard: no request reaches the crawling machine's own network, however it is asked for.

Registry rows and links are refused earlier (`crawler.registry`, `crawler.scope`); this
downloader middleware covers what only the network layer sees:

- a redirect whose ``Location`` is an internal IP address or localhost is refused and
  recorded as a failed fetch with the 3xx the portal served (cause ``refused_address``);
- without a proxy, every host name is resolved before the request goes out (through
  Scrapy's caching resolver, which the download then uses too) and a private, loopback,
  link-local or reserved answer is refused. Behind a forward proxy (``http_proxy``; the
  replica network always is one) the proxy resolves names, so nothing is resolved here.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from urllib.parse import urljoin, urlsplit
from urllib.request import getproxies

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import error as tx_error

from crawler import faults
from crawler.addresses import address_refusal, host_refusal, ip_literal
from crawler.middlewares import STARTED_META
from crawler.signals import attempt_failed

logger = logging.getLogger(__name__)


Resolve = Callable[[str], Awaitable[str]]  # host name -> the address a download would connect to


async def resolve_like_the_downloader(host: str) -> str:
    """The address Scrapy's resolver (DNS_RESOLVER, cached) gives ``host``: the one connected to."""
    from twisted.internet import reactor

    return await maybe_deferred_to_future(reactor.resolve(host))


class AddressGuardMiddleware:
    def __init__(self, crawler: Crawler, resolve: Resolve | None):
        self.crawler = crawler
        self.resolve = resolve   # None: behind a proxy, which resolves names itself

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> AddressGuardMiddleware:
        proxied = crawler.settings.getbool("HTTPPROXY_ENABLED") and bool(getproxies())
        return cls(crawler, resolve=None if proxied else resolve_like_the_downloader)

    async def process_request(self, request: Request, spider: Spider | None = None) -> None:
        host = urlsplit(request.url).hostname or ""
        if self.resolve is None or request.meta.get("proxy") or not host or ip_literal(host) is not None:
            return None
        try:
            address = await self.resolve(host)
        except tx_error.DNSLookupError:
            return None  # the download fails on it again, and records it as dns
        refused = address_refusal(host, address)
        if refused:
            self._refuse(request, refused, None)
        return None

    def process_response(self, request: Request, response: Response, spider: Spider | None = None) -> Response:
        location = response.headers.get(b"Location") if 300 <= response.status < 400 else None
        if location:
            target = urljoin(request.url, location.decode("latin-1"))
            refused = host_refusal(urlsplit(target).hostname or "")
            if refused:
                self._refuse(request, f"HTTP {response.status} to {target}: {refused}", response)
        return response

    def _refuse(self, request: Request, detail: str, response: Response | None) -> None:
        """Record the refusal as a failed fetch (with the response that asked for it) and drop the request."""
        self.crawler.stats.inc_value("ogi/refused_address")
        started = request.meta.get(STARTED_META)
        chain = request.meta.get("redirect_urls") or [request.url]
        self.crawler.signals.send_catch_log(
            signal=attempt_failed, request=request, url=chain[0], cause="refused_address", detail=detail,
            status=response.status if response is not None else None, response=response,
            duration=None if started is None else time.monotonic() - started,
        )
        logger.info("refused: %s (%s)", request.url, detail)
        raise faults.RefusedAddress(faults.describe("refused_address", detail))

