"""What a crawl tells a researcher, at its end: the coverage figure a transparency study starts from.

Portals by status, reports by year and level, and per county the number of distinct organs
(the government, its departments, its townships) with a report each year. Read from the
archive once everything is parsed (Scrapy's ``engine_stopped``, after the archive pipeline
has waited for its parses), over the portals of this crawl; logged, and printed by
``ogi demo``.
"""

from __future__ import annotations

import logging
import sqlite3
from collections import Counter, defaultdict
from pathlib import Path

from scrapy import signals
from scrapy.crawler import Crawler

from archive import default_archive_path
from crawler.progress import portal_progress

logger = logging.getLogger(__name__)

REPORT_KINDS = ("report", "image_only")


SECTIONS = ("portals", "reports", "coverage")


def summary_lines(archive_path: str | Path, portal_codes: set[str] | None = None,
                  sections: tuple[str, ...] = SECTIONS) -> list[str]:
    """The researcher's summary of the portals ``portal_codes`` (None: every portal archived):
    the ``sections`` portals by status, reports by year and level, organs per county and year."""
    with sqlite3.connect(f"file:{Path(archive_path)}?mode=ro", uri=True) as db:
        portals = {code: (name, status) for code, name, status in db.execute("SELECT code, name, status FROM portals")}
        rows = list(db.execute(
            "SELECT portal_code, organ, organ_level, report_year FROM documents"
            f" WHERE status = 'live' AND kind IN ({', '.join('?' * len(REPORT_KINDS))})", REPORT_KINDS))
    chosen = set(portals) if portal_codes is None else portal_codes & set(portals)
    by_status = Counter(portals[code][1] or "not crawled" for code in chosen)
    by_year_level: Counter = Counter()
    organs: dict[str, dict[int, set[str]]] = defaultdict(lambda: defaultdict(set))
    for code, organ, level, year in rows:
        if code not in chosen:
            continue
        by_year_level[(year or 0, level or "?")] += 1
        if organ and year:
            organs[code[:6]][year].add(organ)  # a township portal's reports count for its county
    parts = {
        "portals": ["portals by status",
                    *([f"  {status:<16} {count:>6}" for status, count in sorted(by_status.items())] or ["  (none)"])],
        "reports": ["reports by year and level",
                    *([f"  {year or '?':<6} {level:<12} {count:>6}"
                       for (year, level), count in sorted(by_year_level.items())] or ["  (none)"])],
        "coverage": _coverage_lines(organs, {code: name for code, (name, _) in portals.items()}),
    }
    lines: list[str] = []
    for section in sections:
        lines += [*([""] if lines else []), *parts[section]]
    return lines


def _coverage_lines(organs: dict[str, dict[int, set[str]]], names: dict[str, str]) -> list[str]:
    years = sorted({year for per_year in organs.values() for year in per_year})
    lines = ["organs with a report, per county and year", "  " + f"{'county':<24}" + "".join(f"{y:>6}" for y in years)]
    for county in sorted(organs):
        name = names.get(county) or county
        lines.append(f"  {county} {name[:16]:<17}" + "".join(f"{len(organs[county].get(y, ())):>6}" for y in years))
    return lines if organs else [*lines, "  (none)"]


class CrawlSummary:
    """Logs `summary_lines` for the crawl's portals when the crawl has ended."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlSummary:
        extension = cls(crawler)
        crawler.signals.connect(extension.engine_stopped, signal=signals.engine_stopped)
        return extension

    def engine_stopped(self) -> None:
        archive = Path(self.crawler.settings.get("OGI_ARCHIVE") or default_archive_path())
        states = portal_progress(self.crawler).states
        if not states or not archive.exists():  # no portal crawled, or nothing archived
            return
        lines = summary_lines(archive, set(states))
        logger.info("crawl summary for researchers:\n%s", "\n".join(lines))
