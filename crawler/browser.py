"""Rendering the few list pages a script fills, in a real headless browser.

`crawler.discovery.script_filled` picks the pages (a list template, a record count above
the entries printed, a script-driven app root); the spider asks for each again with
``meta[RENDER_META]``, and `RenderMiddleware` answers that request from Debian's chromium,
driven by Playwright (never ``playwright install``: ``OGI_BROWSER`` names the binary). The
response is the rendered DOM, with the page's own fetch/XHR answers (the list API's JSON,
the raw bytes a static crawl never saw) in ``meta[BROWSER_FETCHES_META]`` for the spider to
archive. Every other request never meets a browser, which starts only when first needed.

The browser sends nothing we did not decide to send. Its own flags do not silence it: at
each start, with Playwright's whole default set (``--disable-component-update``,
``--disable-background-networking``, ``--disable-features=OptimizationHints,…``), also
without Debian's wrapper and with more ``--disable-features`` (OptimizationGuide*,
OnDeviceModelService…), chromium 156 asks update.googleapis.com for the Optimization Guide
model manifest component, sometimes clients2.google.com. Requests of the browser process
never pass Playwright's routes, so its only way out is `BrowserGate`, its proxy: a forward
proxy of ours on loopback, for the browser alone (it asks a secret made at start), that
passes a request only when its host belongs to a portal being rendered (its registrable
domain) and answers the rest 403, unsent. What passes goes on through the crawl's proxy
(``http_proxy``/``https_proxy``) or, without one, to the host's address after the address
guard's check (`crawler.addresses`). The page's own requests to another site are aborted
before that, by the context's route; both are counted in ``ogi/render_blocked``.

Politeness: at most ``OGI_RENDER_CONCURRENCY`` pages render at once; images, styles and
fonts are not fetched; every request the page sends (the page itself, its script, the list
API's pages) first waits out the download delay of the host's Scrapy slot (the
``download_slot`` `ServerSlotMiddleware` gave the page, AutoThrottle's delay included) and
marks the slot as just used, so the browser and the static crawl space their requests to
one server together; they are counted in ``ogi/render_requests``. A render takes none of
the slot's concurrent places (the middleware answers before the downloader queues the
request). Certificates are verified only when ``DOWNLOAD_VERIFY_CERTIFICATES`` is set, as
for static downloads.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import secrets
import socket
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit
from urllib.request import getproxies

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse

from crawler.addresses import address_refusal, host_refusal
from crawler.scope import registrable_domain

logger = logging.getLogger(__name__)

RENDER_META = "ogi_render"                  # set by the spider on a request to render
BROWSER_FETCHES_META = "ogi_browser_fetches"  # list[BrowserFetch] on the rendered response
# Playwright adds its own quieting defaults (--disable-background-networking,
# --disable-component-update, --disable-features=OptimizationHints,…); WebRTC must not send
# UDP around the proxy (`BrowserGate`).
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-sync",
                  "--force-webrtc-ip-handling-policy=disable_non_proxied_udp")
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


FORBIDDEN = b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
ASK_CREDENTIALS = (b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"ogi\"\r\n"
                   b"Content-Length: 0\r\nConnection: close\r\n\r\n")
HOP_BY_HOP = frozenset({"connection", "proxy-connection", "keep-alive", "proxy-authorization", "te", "trailer",
                        "upgrade"})


class BrowserGate:
    """The browser's proxy: a loopback forward proxy that lets out only what a render asked for.

    ``allow(host)`` opens the portal's registrable domain for the length of a render; a
    request (``GET http://…`` or ``CONNECT host:443``) to any other host is answered 403
    here, never sent, and reported to ``on_refused``. One request per connection (it is sent
    on with ``Connection: close``), so every request is checked on its own. It listens on
    loopback and serves only a client that has ``credentials`` (a secret made at start, which
    Playwright answers the gate's 407 with), so no other process can use it as a proxy.
    """

    def __init__(self, proxies: dict[str, str], on_refused: Callable[[str], None], timeout: float):
        self.proxies = {scheme: urlsplit(url) for scheme, url in proxies.items() if scheme in ("http", "https")}
        self.on_refused = on_refused
        self.timeout = timeout
        self.allowed: Counter[str] = Counter()  # registrable domains of the pages being rendered
        self.server: asyncio.Server | None = None
        self.tasks: set[asyncio.Task] = set()
        self.credentials = {"username": "ogi", "password": secrets.token_urlsafe(16)}
        self._authorization = "Basic " + base64.b64encode(
            f"{self.credentials['username']}:{self.credentials['password']}".encode()).decode()

    async def start(self) -> str:
        self.server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"

    def allow(self, host: str) -> None:
        self.allowed[registrable_domain(host)] += 1

    def release(self, host: str) -> None:
        self.allowed[registrable_domain(host)] -= 1
        self.allowed += Counter()  # drops domains no render needs any more

    def allows(self, host: str) -> bool:
        return host_refusal(host) is None and registrable_domain(host) in self.allowed

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)

    def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.ensure_future(self._serve(reader, writer))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_writer = None
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), self.timeout)
            request_line, *lines = head.decode("latin-1").split("\r\n")[:-2]
            method, target, _ = request_line.split(" ", 2)
            headers = [tuple(part.strip() for part in line.split(":", 1)) for line in lines if ":" in line]
            url = urlsplit(f"https://{target}" if method == "CONNECT" else target)
            host = (url.hostname or "").lower()
            if not self.allows(host):
                self.on_refused(host or target)
                writer.write(FORBIDDEN)
                return
            if not any(name.lower() == "proxy-authorization" and secrets.compare_digest(value, self._authorization)
                       for name, value in headers):
                writer.write(ASK_CREDENTIALS)
                return
            if any(name.lower() == "transfer-encoding" for name, _ in headers):
                writer.write(b"HTTP/1.1 411 Length Required\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                return
            scheme = "https" if method == "CONNECT" else url.scheme
            proxy = self.proxies.get(scheme) or self.proxies.get("https" if scheme == "http" else "http")
            port = url.port or (443 if scheme == "https" else 80)
            connection = await self._connect(proxy, host, port)
            if connection is None:
                writer.write(FORBIDDEN)
                return
            upstream_reader, upstream_writer = connection
            credentials = self._proxy_credentials(proxy)
            if method == "CONNECT":
                if proxy is not None:
                    upstream_writer.write(f"CONNECT {host}:{port} HTTP/1.1\r\nHost: {host}:{port}\r\n"
                                          f"{credentials}\r\n".encode("latin-1"))
                    answer = await asyncio.wait_for(upstream_reader.readuntil(b"\r\n\r\n"), self.timeout)
                    writer.write(answer)
                    if answer.split(b" ", 2)[1:2] != [b"200"]:
                        return
                else:
                    writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
                await asyncio.gather(_pipe(reader, upstream_writer), _pipe(upstream_reader, writer))
                return
            length = next((int(value) for name, value in headers if name.lower() == "content-length"), 0)
            body = await asyncio.wait_for(reader.readexactly(length), self.timeout) if length else b""
            sent_target = target if proxy is not None else (url.path or "/") + (f"?{url.query}" if url.query else "")
            kept = "".join(f"{name}: {value}\r\n" for name, value in headers if name.lower() not in HOP_BY_HOP)
            upstream_writer.write(f"{method} {sent_target} HTTP/1.1\r\n{kept}{credentials}Connection: close\r\n\r\n"
                                  .encode("latin-1") + body)
            answer = await asyncio.wait_for(upstream_reader.readuntil(b"\r\n\r\n"), self.timeout)
            status_line, *answer_lines = answer.decode("latin-1").split("\r\n")[:-2]
            kept = "".join(f"{line}\r\n" for line in answer_lines
                           if line.split(":", 1)[0].strip().lower() not in HOP_BY_HOP)
            writer.write(f"{status_line}\r\n{kept}Connection: close\r\n\r\n".encode("latin-1"))
            await _pipe(upstream_reader, writer)
        except (OSError, ValueError, EOFError, asyncio.IncompleteReadError, asyncio.LimitOverrunError,
                asyncio.TimeoutError) as error:
            logger.debug("browser proxy: %s", error)
        finally:
            for stream in (writer, upstream_writer):
                if stream is not None:
                    stream.close()

    async def _connect(self, proxy, host: str, port: int):
        """A connection to the crawl's proxy, or without one to ``host``'s own address (None if internal)."""
        if proxy is not None:
            return await asyncio.wait_for(asyncio.open_connection(proxy.hostname, proxy.port or 80), self.timeout)
        answers = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        address = answers[0][4][0]
        refusal = address_refusal(host, address)
        if refusal is not None:
            self.on_refused(host)
            logger.warning("browser request refused: %s", refusal)
            return None
        return await asyncio.wait_for(asyncio.open_connection(address, port), self.timeout)

    @staticmethod
    def _proxy_credentials(proxy) -> str:
        if proxy is None or proxy.username is None:
            return ""
        token = base64.b64encode(f"{unquote(proxy.username)}:{unquote(proxy.password or '')}".encode()).decode()
        return f"Proxy-Authorization: Basic {token}\r\n"


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while chunk := await reader.read(1 << 16):
        writer.write(chunk)
        await writer.drain()
    if writer.can_write_eof():
        writer.write_eof()


class RenderMiddleware:
    def __init__(self, crawler: Crawler):
        settings = crawler.settings
        self.crawler = crawler
        self.executable = settings.get("OGI_BROWSER")
        self.timeout_ms = settings.getfloat("OGI_RENDER_TIMEOUT") * 1000
        self.verify = settings.getbool("DOWNLOAD_VERIFY_CERTIFICATES")
        self.slots = asyncio.Semaphore(settings.getint("OGI_RENDER_CONCURRENCY"))
        self.gate = BrowserGate(getproxies(), self._refused, settings.getfloat("OGI_RENDER_TIMEOUT"))
        self._pacing: dict[str, asyncio.Lock] = {}
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

                gate = await self.gate.start()
                self._playwright = await async_playwright().start()
                self._browser = await self._playwright.chromium.launch(
                    executable_path=self.executable, args=list(CHROMIUM_FLAGS), headless=True,
                    proxy={"server": gate, **self.gate.credentials})
        return self._browser

    def _refused(self, host: str) -> None:
        logger.debug("browser request to %s refused: not the rendered portal's", host)
        self.crawler.stats.inc_value("ogi/render_blocked")

    async def _pace(self, slot_key: str) -> None:
        """Wait out the download delay of Scrapy's slot ``slot_key``, then mark it as just used."""
        slot = self.crawler.engine.downloader.slots.get(slot_key)
        if slot is None:  # collected since the page's static fetch: nothing to wait for
            return
        async with self._pacing.setdefault(slot_key, asyncio.Lock()):
            wait = slot.lastseen + slot.download_delay() - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            slot.lastseen = time.monotonic()

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
            elif registrable_domain(urlsplit(route.request.url).hostname or "") != portal:
                self._refused(urlsplit(route.request.url).hostname or route.request.url)
                await route.abort("blockedbyclient")
            else:
                await self._pace(slot_key)
                self.crawler.stats.inc_value("ogi/render_requests")
                sent[route.request] = time.monotonic()
                await route.continue_()

        def on_response(response) -> None:
            if response.request.resource_type in RECORDED_RESOURCES:
                pending.append(asyncio.ensure_future(record(response)))

        host = urlsplit(request.url).hostname or ""
        portal = registrable_domain(host)
        slot_key = request.meta.get("download_slot") or host
        self.gate.allow(host)
        try:
            await context.route("**/*", route)
            page = await context.new_page()
            page.on("response", on_response)
            await page.goto(request.url, wait_until="networkidle", timeout=self.timeout_ms)
            html = await page.content()
            await asyncio.gather(*pending)
        finally:
            await context.close()
            self.gate.release(host)
        return html, fetched

    async def close(self, spider=None) -> None:
        if self._browser is not None:
            await self._browser.close()
        if self._playwright is not None:
            await self._playwright.stop()
        await self.gate.close()
        self._browser = self._playwright = None
