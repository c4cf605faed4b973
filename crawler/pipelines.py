"""The archive pipeline: every fetch into ``archive.Archive``, every candidate through the parser.

Items are the ``county_portals`` spider's (crawler.items), and the pipeline reads that spider
through ``PortalSpider``, the interface it declares: a ``DocumentItem`` (a candidate:
parsed and stored with its bytes), a ``PageItem`` (a navigation page: its fetch is recorded)
or a ``FailureItem`` (a fetch that failed, with its cause). Failed attempts that were
retried arrive through the ``attempt_failed`` signal. At the end the portal statuses,
per-portal logs and the run's stats are written.
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import logging
from typing import Protocol

from scrapy import signals

from archive import Archive, Link
from crawler import faults
from crawler.items import DocumentItem, FetchItem
from crawler.middlewares import PORTAL_META
from crawler.parsing import ParserPool
from crawler.progress import portal_progress
from crawler.registry import Portal
from crawler.signals import attempt_failed, document_stored, portal_finished
from parsers import PARSER_VERSION

logger = logging.getLogger(__name__)

# Recorded with every run beside all OGI_* settings: what decides how hard portals are hit.
POLITENESS_SETTINGS = (
    "BOT_NAME", "USER_AGENT", "ROBOTSTXT_OBEY", "ROBOTSTXT_USER_AGENT", "CONCURRENT_REQUESTS",
    "CONCURRENT_REQUESTS_PER_DOMAIN", "CONCURRENT_REQUESTS_PER_IP", "DOWNLOAD_DELAY", "RANDOMIZE_DOWNLOAD_DELAY",
    "AUTOTHROTTLE_ENABLED", "AUTOTHROTTLE_START_DELAY", "AUTOTHROTTLE_MAX_DELAY", "AUTOTHROTTLE_TARGET_CONCURRENCY",
    "DOWNLOAD_TIMEOUT", "DOWNLOAD_MAXSIZE", "RETRY_ENABLED", "RETRY_TIMES", "RETRY_HTTP_CODES",
    "RETRY_BACKOFF_BASE", "RETRY_BACKOFF_MAX",
)


class PortalSpider(Protocol):
    """What the pipeline reads of the spider it archives (``county_portals``)."""

    name: str
    portals: list[Portal]  # the portals this crawl was given, recorded at its start
    fatal_error: str | None  # why the crawl cannot run (then the archive is not opened at all)

    def vanished(self) -> list[tuple[str, str]]:
        """Known documents no page links any more, at the end of the crawl: (URL, evidence)."""


def run_settings(settings) -> dict:
    """The settings a run records: every OGI_* setting and the politeness ones."""
    names = sorted(name for name in settings if name.startswith("OGI_")) + list(POLITENESS_SETTINGS)
    return {name: settings[name] for name in names}


def code_version() -> str:
    try:
        version = importlib.metadata.version("ogi-archive")
    except importlib.metadata.PackageNotFoundError:
        version = "unknown"
    return f"ogi-archive {version}; parser {PARSER_VERSION}"


class ArchivePipeline:
    def __init__(self, crawler):
        self.crawler = crawler
        self.progress = portal_progress(crawler)  # the portals' states, reported at the end
        self.archive: Archive | None = None
        self.run_id: int | None = None
        self.documents_by_kind: dict[str, int] = {}
        settings = crawler.settings
        self.parsers = ParserPool(settings.getint("OGI_PARSE_PROCESSES"),
                                  time_limit=settings.getfloat("OGI_PARSE_TIME_LIMIT"),
                                  memory_limit=settings.getint("OGI_PARSE_MEMORY_LIMIT"))
        # Documents being parsed: their sizes, and their parses by URL (an attachment waits
        # for its page's, then borrows what the archived page says).
        self.parsing: dict[asyncio.Future, tuple[str, int]] = {}
        self.page_parses: dict[str, asyncio.Future] = {}
        self.backlog_bytes = 0
        self.backlog_limit = settings.getint("OGI_PARSE_BACKLOG_BYTES")

    @classmethod
    def from_crawler(cls, crawler) -> ArchivePipeline:
        pipeline = cls(crawler)
        crawler.signals.connect(pipeline.attempt_failed, signal=attempt_failed)
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(pipeline.portal_finished, signal=portal_finished)
        return pipeline

    def open_spider(self, spider: PortalSpider | None = None) -> None:
        spider = spider or self.crawler.spider
        if spider.fatal_error:  # the spider says why in one line and closes at once
            return
        settings = self.crawler.settings
        self.archive = Archive(settings.get("OGI_ARCHIVE") or None, worker=settings.get("OGI_WORKER") or None)
        recorded = run_settings(settings)
        recorded["spider"] = spider.name
        recorded["portals"] = len(spider.portals)
        self.run_id = self.archive.start_run(recorded, code_version=code_version())
        self.run_started = self.archive.one("SELECT started_at FROM crawl_runs WHERE id = ?", (self.run_id,))["started_at"]
        if spider.portals:
            self.archive.upsert_portals(portal.as_row() for portal in spider.portals)

    # -- items ------------------------------------------------------------------------------

    def _record_fetch(self, item: FetchItem) -> int:
        return self.archive.record_fetch(
            run_id=self.run_id, url=item.url, final_url=item.final_url, status=item.status,
            request_headers=item.request_headers, response_headers=item.response_headers,
            body=item.body, fetched_at=item.fetched_at, duration=item.duration,
            error=item.error, portal_code=item.portal,
        )

    async def process_item(self, item: FetchItem, spider=None) -> FetchItem:
        fetch_id = self._record_fetch(item)  # the bytes are archived before anything reads them
        if not isinstance(item, DocumentItem):
            return item
        # Parsing runs beside the crawl, so fetching never waits for a slow PDF; only a
        # backlog past OGI_PARSE_BACKLOG_BYTES holds the crawl back until it shrinks.
        parse = asyncio.ensure_future(self._parse_and_record(item, fetch_id))
        size = len(item.body or b"")
        self.parsing[parse] = (item.final_url, size)
        self.backlog_bytes += size
        parse.add_done_callback(self._parsed)
        self.page_parses[item.final_url] = parse
        while self.backlog_bytes > self.backlog_limit and self.parsing:
            await asyncio.wait(list(self.parsing), return_when=asyncio.FIRST_COMPLETED)
        return item  # the parse holds it until stored: returning it costs no memory

    def _parsed(self, parse: asyncio.Future) -> None:
        url, size = self.parsing.pop(parse)
        self.backlog_bytes -= size
        if self.page_parses.get(url) is parse:
            del self.page_parses[url]
        if not parse.cancelled() and parse.exception() is not None:
            logger.error("parsing a document failed", exc_info=parse.exception())

    async def _parse_and_record(self, item: DocumentItem, fetch_id: int) -> None:
        try:
            await self._parse_and_store(item, fetch_id)
        finally:
            # No commit per document: the batch commits on its own, and if this document
            # finishes its portal, portal_finished commits it with the portal's record.
            self.crawler.signals.send_catch_log(signal=document_stored, token=item.progress_token)

    async def _parse_and_store(self, item: DocumentItem, fetch_id: int) -> None:
        record = await self.parsers.parse(item.body, item.final_url, item.content_type)
        # archived with the document, so that `ogi reparse` completes its record the same way
        link = self.archive.link_for(item.final_url, Link(
            page_url=item.attachment_of, link_text=item.link_text, page_title=item.parent_title))
        if link.page_url in self.page_parses:
            await asyncio.wait([self.page_parses[link.page_url]])  # the page is archived first
        record = self.archive.complete(record, link)
        self.archive.record_document(
            fetch_id=fetch_id, url=item.final_url, record=record, link=link, portal_code=item.portal,
        )
        kind = record.get("kind") or "unknown"
        self.documents_by_kind[kind] = self.documents_by_kind.get(kind, 0) + 1
        self.crawler.stats.inc_value(f"ogi/documents/{kind}")
        if kind == "report" and item.portal in self.progress.states:
            self.progress.states[item.portal].reports_by_year[record.get("report_year") or 0] += 1

    async def close_spider(self, spider=None) -> None:
        """Every document fetched is parsed and stored before the run's summary is written."""
        if self.parsing:
            logger.info("parsing the last %d documents", len(self.parsing))
            await asyncio.wait(list(self.parsing))

    def portal_finished(self, code: str, status: str, reason: str | None, pages: int | None) -> None:
        """A portal has no outstanding request or unarchived document left: this run finished it."""
        if self.archive is not None:
            self.archive.finish_portal(self.run_id, code, status, reason, pages=pages)
            self.archive.flush()  # durable at once: a killed worker must not forget what it finished

    def attempt_failed(self, request, url, cause, detail, status, response, duration) -> None:
        if self.archive is None:
            return
        code = request.meta.get(PORTAL_META)
        if code in self.progress.states:
            self.progress.states[code].failures[cause] += 1
        self.crawler.stats.inc_value(f"ogi/failures/{cause}")
        self.archive.record_fetch(
            run_id=self.run_id, url=url, final_url=request.url, status=status,
            request_headers=request.headers, response_headers=response.headers if response is not None else None,
            body=None, duration=duration, error=faults.describe(cause, detail), portal_code=code,
        )

    # -- the end of the run -----------------------------------------------------------------

    def spider_closed(self, spider: PortalSpider, reason: str) -> None:
        """Write portal statuses, per-portal logs and the run's stats, with why it ended."""
        if self.archive is None:
            return
        for url, evidence in spider.vanished():
            self.archive.mark_gone(url, evidence)
        per_portal = {}
        for code, state in self.progress.states.items():
            self.archive.set_portal_status(code, state.status, state.reason, self.run_id)
            summary = {
                "name": state.portal.name, "status": state.status, "reason": state.reason,
                "requests": state.requests, "pages": state.pages,
                "reports_by_year": {str(y or "?"): n for y, n in sorted(state.reports_by_year.items())},
                "failures_by_cause": dict(sorted(state.failures.items())),
                "budget_refused": state.budget_refused,
            }
            per_portal[code] = summary
            logger.info(
                "portal %s %s: %s; %d pages fetched; reports by year %s; failures by cause %s%s",
                code, state.portal.name, state.status if not state.reason else f"{state.status} ({state.reason})",
                state.pages, summary["reports_by_year"] or "{}", summary["failures_by_cause"] or "{}",
                f"; {state.budget_refused} links over budget" if state.budget_refused else "",
            )
            self.crawler.stats.set_value(f"ogi/portal/{code}", summary)
        if self.parsers.crashes:
            self.crawler.stats.set_value("ogi/parser_crashes", self.parsers.crashes)
        if self.parsers.over_limits:
            self.crawler.stats.set_value("ogi/parser_over_limits", self.parsers.over_limits)
        changes = {what: len(rows) for what, rows in self.archive.changes(self.run_started).items()}
        logger.info("reports in this run: %d new, %d changed, %d gone, %d moved",
                    changes["new"], changes["changed"], changes["gone"], changes["moved"])
        stats = {
            "finish_reason": reason,
            "report_changes": changes,
            "portals": per_portal,
            "documents_by_kind": self.documents_by_kind,
            "scrapy": {k: v for k, v in self.crawler.stats.get_stats().items()
                       if not k.startswith("ogi/portal/")},
        }
        self.archive.finish_run(self.run_id, stats)
        self.archive.close()
        self.archive = None
        self.parsers.close()
