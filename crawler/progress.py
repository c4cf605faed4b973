"""Which portals a crawl finished: each portal's outstanding work, counted.

Every request of a portal is counted when scheduled and counted off when its callback (or
errback) is done, its child requests being counted before. A document the callback yields
is counted too, until the archive pipeline has parsed and committed it (parsing runs behind
the crawl): a crawl killed before then must not leave its portal finished. A portal whose
count falls to zero is *finished*: ``crawler.signals.portal_finished`` is sent and the
archive records it (``Archive.finish_portal``).

``PortalProgress`` (an extension) keeps the counts in this process; with ``REDIS_URL``
crawler.distributed replaces it by a subclass that keeps them in Redis for all workers.
Other components find it with ``portal_progress(crawler)``.
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from scrapy import Request, Spider
from scrapy import signals as scrapy_signals
from scrapy.crawler import Crawler
from scrapy.http import Response

from crawler import signals
from crawler.items import DocumentItem
from crawler.middlewares import PORTAL_META
from crawler.registry import Portal

logger = logging.getLogger(__name__)

GENERATION_META = "ogi_generation"  # which crawl of its portal a request belongs to (1: the first)
TOKEN_META = "ogi_counted"          # set once a request is counted in its portal's outstanding requests


@dataclass
class PortalState:
    """What the crawl knows about one portal so far."""

    portal: Portal
    requests: int = 0
    pages: int = 0
    status: str = "ok"
    reason: str | None = None
    failures: Counter = field(default_factory=Counter)
    reports_by_year: Counter = field(default_factory=Counter)
    budget_refused: int = 0
    query_variants: Counter = field(default_factory=Counter)


def portal_progress(crawler: Crawler) -> PortalProgress:
    """The crawl's portal bookkeeping (local or distributed)."""
    progress = crawler.get_extension(PortalProgress)
    if progress is None:
        raise RuntimeError("crawler.progress.PortalProgress is not among the EXTENSIONS")
    return progress


class LocalLedger:
    """Outstanding work per (portal, generation), as tokens, in this process."""

    def __init__(self) -> None:
        self.outstanding: dict[tuple[str, int], set[str]] = {}
        self.finished: set[str] = set()

    def add(self, code: str, generation: int, token: str) -> None:
        self.outstanding.setdefault((code, generation), set()).add(token)

    def done(self, code: str, generation: int, token: str) -> bool:
        """Count ``token`` off; True when this made the portal finished."""
        key = (code, generation)
        tokens = self.outstanding.get(key)
        if tokens is None or token not in tokens:
            return False
        tokens.discard(token)
        if tokens:
            return False
        del self.outstanding[key]
        if code in self.finished:
            return False
        self.finished.add(code)
        return True


class PortalProgress:
    """Counts each portal's outstanding work and finishes portals.

    A request is counted when scheduled (children: when their parent's callback yields
    them, so a parent is never counted off before its children are counted in), and counted
    off when dropped as a duplicate, when its callback's output is exhausted
    (``PortalProgressMiddleware``) or, for the few paths no middleware sees (a download error
    handed to the errback), when the crawl goes idle: an idle engine holds no request.
    """

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.ledger = self.make_ledger()
        # What the crawl knows about each portal: the spider fills it, the pipeline reports it.
        self.states: dict[str, PortalState] = {}
        # Requests this process holds: token -> (portal, generation).
        self.held: dict[str, tuple[str, int]] = {}
        # Documents yielded and not archived yet: token -> (portal, generation).
        self.storing: dict[str, tuple[str, int]] = {}
        crawler.signals.connect(self.request_scheduled, signal=scrapy_signals.request_scheduled)
        crawler.signals.connect(self.request_dropped, signal=scrapy_signals.request_dropped)
        crawler.signals.connect(self.spider_idle, signal=scrapy_signals.spider_idle)
        crawler.signals.connect(self.document_stored, signal=signals.document_stored)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PortalProgress:
        return cls(crawler)

    def track(self, states: dict[str, PortalState]) -> None:
        """Report on these portals (the spider's states, by portal code, which it updates)."""
        self.states = states

    def make_ledger(self):
        return LocalLedger()

    @property
    def worker(self) -> str | None:
        return None

    # -- counting ----------------------------------------------------------------------------

    def count(self, request: Request) -> None:
        """Count a request of a portal in, once (a retry or redirect carries its parent's count)."""
        code = request.meta.get(PORTAL_META)
        if code is None or TOKEN_META in request.meta:
            return
        token = uuid.uuid4().hex
        request.meta[TOKEN_META] = token
        generation = request.meta.setdefault(GENERATION_META, 1)
        self.ledger.add(code, generation, token)
        self.hold(token, code, generation)

    def hold(self, token: str, code: str, generation: int) -> None:
        """A counted request is in this process's hands."""
        self.held[token] = (code, generation)

    def hold_document(self, item: DocumentItem, parent: Request) -> None:
        """Count a document item in until the archive holds it (``document_stored``)."""
        code = parent.meta.get(PORTAL_META)
        if code is None:
            return
        generation = parent.meta.get(GENERATION_META, 1)
        token = uuid.uuid4().hex
        self.ledger.add(code, generation, token)
        self.storing[token] = (code, generation)
        item.progress_token = token

    def document_stored(self, token: str | None) -> None:
        stored = self.storing.pop(token, None)
        if stored is not None:
            self._count_off(token, *stored)

    def done(self, request: Request) -> None:
        """The request's callback or errback is done (its children are counted already)."""
        token = request.meta.get(TOKEN_META)
        held = self.held.pop(token, None)
        if held is not None:
            self._count_off(token, *held)

    def _count_off(self, token: str, code: str, generation: int) -> None:
        if self.ledger.done(code, generation, token):
            self.finished(code)

    def finished(self, code: str, status: str | None = None, reason: str | None = None) -> None:
        """Tell the crawl that portal ``code`` is finished; its status is the spider's unless given."""
        state = self.states.get(code)
        if status is None:
            status, reason = (state.status, state.reason) if state is not None else ("ok", None)
        self.crawler.stats.inc_value("ogi/portals_finished")
        logger.info("portal %s finished (%s)%s", code, status, f" by worker {self.worker}" if self.worker else "")
        self.crawler.signals.send_catch_log(
            signal=signals.portal_finished, code=code, status=status, reason=reason,
            pages=state.pages if state is not None else None,
        )

    # -- signals -----------------------------------------------------------------------------

    def request_scheduled(self, request: Request, spider: Spider | None = None) -> None:
        self.count(request)

    def request_dropped(self, request: Request, spider: Spider | None = None) -> None:
        """A duplicate: counted in when scheduled, never to be done."""
        code = request.meta.get(PORTAL_META)
        token = request.meta.get(TOKEN_META)
        if code is None or token is None:
            return
        self.held.pop(token, None)
        self._count_off(token, code, request.meta.get(GENERATION_META, 1))

    def spider_idle(self, spider: Spider) -> None:
        # An idle engine holds no request: whatever is still held went a way no hook sees.
        # (Documents still being parsed are not requests: they stay counted.)
        for token in list(self.held):
            self._count_off(token, *self.held.pop(token))


class PortalProgressMiddleware:
    """Spider middleware: counts children in as they are yielded, the parent off at the end."""

    def __init__(self, progress: PortalProgress):
        self.progress = progress

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PortalProgressMiddleware:
        return cls(portal_progress(crawler))

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
                elif isinstance(output, DocumentItem) and parent is not None:
                    self.progress.hold_document(output, parent)
                yield output
        finally:
            if parent is not None:
                self.progress.done(parent)
