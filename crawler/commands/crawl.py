"""``scrapy crawl``, exiting 1 when the crawl could not start (an unreadable registry, a
damaged archive): Scrapy's own command exits 1 only when the spider fails to bootstrap,
which would print a traceback instead of the spider's one error line."""

from __future__ import annotations

from scrapy.commands.crawl import Command as ScrapyCrawl
from scrapy.crawler import Crawler

from crawler.spiders.county_portals import FATAL_CLOSE_REASONS


class Command(ScrapyCrawl):
    crawler: Crawler | None = None

    def _create_crawler(self, spidercls) -> Crawler:
        self.crawler = super()._create_crawler(spidercls)
        return self.crawler

    def run(self, args, opts) -> None:
        super().run(args, opts)
        reason = str(self.crawler.stats.get_value("finish_reason") or "") if self.crawler else ""
        if reason.split(":", 1)[0] in FATAL_CLOSE_REASONS:
            self.exitcode = 1
