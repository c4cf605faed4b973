"""Rendering the few list pages a script fills, in a real headless browser.

`crawler.discovery.script_filled` picks the pages (a list template, a record count above
the entries printed, a script-driven app root); the spider asks for each again with
``meta[RENDER_META]``, and `RenderMiddleware` answers that request from Debian's chromium,
driven by Playwright (never ``playwright install``: ``OGI_BROWSER`` names the binary). The
response is the rendered DOM, with the page's own fetch/XHR answers (the list API's JSON,
the raw bytes a static crawl never saw) in ``meta[BROWSER_FETCHES_META]`` for the spider to
archive. Every other request never meets a browser, which starts only when first needed.

Politeness: a render occupies its host's download slot like any request (same per-host
concurrency and delay), at most ``OGI_RENDER_CONCURRENCY`` pages render at once, images,
styles and fonts are not fetched, and the browser goes through the crawl's proxy
(``http_proxy``/``https_proxy``). Certificates are verified only when
``DOWNLOAD_VERIFY_CERTIFICATES`` is set, as for static downloads.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from urllib.request import getproxies

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse

logger = logging.getLogger(__name__)

RENDER_META = "ogi_render"                  # set by the spider on a request to render
BROWSER_FETCHES_META = "ogi_browser_fetches"  # list[BrowserFetch] on the rendered response
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run")
SKIPPED_RESOURCES = frozenset({"image", "stylesheet", "font", "media"})
RECORDED_RESOURCES = frozenset({"fetch", "xhr"})


@dataclass
class BrowserFetch:
    """One answer the page's script fetched, as the server sent it."""
    url: str
    status: int
    request_headers: dict[str, str]
    response_headers: dict[str, str]
    body: bytes
    duration: float | None


class RenderFailed(IgnoreRequest):
    """The browser could not render the page (the static copy of it is already archived)."""


class RenderMiddleware:
    def __init__(self, crawler: Crawler):
        settings = crawler.settings
        self.crawler = crawler
        self.executable = settings.get("OGI_BROWSER")
        self.timeout_ms = settings.getfloat("OGI_RENDER_TIMEOUT") * 1000
        self.verify = settings.getbool("DOWNLOAD_VERIFY_CERTIFICATES")
        self.slots = asyncio.Semaphore(settings.getint("OGI_RENDER_CONCURRENCY"))
        self._browser = None
        self._playwright = None
        self._starting: asyncio.Lock | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RenderMiddleware:
        middleware = cls(crawler)
        from scrapy import signals

        crawler.signals.connect(middleware.close, signal=signals.spider_closed)
        return middleware

    async def process_request(self, request: Request, spider: Spider | None = None):
        if not request.meta.get(RENDER_META):
            return None
        async with self.slots:
            started = time.monotonic()
            try:
                html, fetched = await self._render(request)
            except Exception as error:  # a browser that fails costs this render only
                logger.warning("render of %s failed: %s", request.url, error)
                self.crawler.stats.inc_value("ogi/render_failed")
                raise RenderFailed(f"render failed: {type(error).__name__}: {str(error)[:200]}") from None
            elapsed = time.monotonic() - started
        self.crawler.stats.inc_value("ogi/rendered")
        self.crawler.stats.inc_value("ogi/render_seconds", elapsed)
        self.crawler.stats.inc_value("ogi/rendered_fetches", len(fetched))
        request.meta[BROWSER_FETCHES_META] = fetched
        return HtmlResponse(request.url, status=200, body=html.encode("utf-8"), encoding="utf-8", request=request)

    async def _browser_instance(self):
        if self._starting is None:
            self._starting = asyncio.Lock()
        async with self._starting:
            if self._browser is None:
                from playwright.async_api import async_playwright

                self._playwright = await async_playwright().start()
                proxies = getproxies()
                proxy = proxies.get("https") or proxies.get("http")
                self._browser = await self._playwright.chromium.launch(
                    executable_path=self.executable, args=list(CHROMIUM_FLAGS), headless=True,
                    proxy={"server": proxy} if proxy else None)
        return self._browser

    async def _render(self, request: Request) -> tuple[str, list[BrowserFetch]]:
        browser = await self._browser_instance()
        user_agent = (request.headers.get(b"User-Agent") or b"").decode("latin-1") or None
        context = await browser.new_context(ignore_https_errors=not self.verify, user_agent=user_agent,
                                            service_workers="block")
        fetched: list[BrowserFetch] = []
        pending: list[asyncio.Task] = []
        sent: dict[object, float] = {}

        async def record(response) -> None:
            try:
                body = await response.body()
            except Exception:  # noqa: BLE001 - a body the browser dropped is not on record
                return
            started = sent.get(response.request)
            fetched.append(BrowserFetch(
                url=response.url, status=response.status, request_headers=await response.request.all_headers(),
                response_headers=await response.all_headers(), body=body,
                duration=None if started is None else round(time.monotonic() - started, 4)))

        async def route(route) -> None:
            if route.request.resource_type in SKIPPED_RESOURCES:
                await route.abort()
            else:
                sent[route.request] = time.monotonic()
                await route.continue_()

        def on_response(response) -> None:
            if response.request.resource_type in RECORDED_RESOURCES:
                pending.append(asyncio.ensure_future(record(response)))

        try:
            page = await context.new_page()
            await page.route("**/*", route)
            page.on("response", on_response)
            await page.goto(request.url, wait_until="networkidle", timeout=self.timeout_ms)
            html = await page.content()
            await asyncio.gather(*pending)
        finally:
            await context.close()
        return html, fetched

    async def close(self, spider=None) -> None:
        if self._browser is not None:
            await self._browser.close()
        if self._playwright is not None:
            await self._playwright.stop()
        self._browser = self._playwright = None
