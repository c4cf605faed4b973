"""``scrapy crawl``, exiting 1 when the crawl could not start (an unreadable registry, a
damaged archive): Scrapy's own command exits 1 only when the spider fails to bootstrap,
which would print a traceback instead of the spider's one error line."""

from __future__ import annotations

from scrapy import signals
from scrapy.commands.crawl import Command as ScrapyCrawl
from scrapy.crawler import Crawler

from crawler.spiders.county_portals import FATAL_CLOSE_REASONS


class Command(ScrapyCrawl):
    close_reason = ""

    def _create_crawler(self, spidercls) -> Crawler:
        crawler = super()._create_crawler(spidercls)
        crawler.signals.connect(self._spider_closed, signal=signals.spider_closed)
        return crawler

    def _spider_closed(self, spider, reason: str) -> None:
        self.close_reason = reason

    def run(self, args, opts) -> None:
        super().run(args, opts)
        if self.close_reason.split(":", 1)[0] in FATAL_CLOSE_REASONS:
            self.exitcode = 1
