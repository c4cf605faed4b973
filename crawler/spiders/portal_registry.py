"""``scrapy crawl portal_registry``: build a portal registry by walking site directories.

From each provincial portal the walk follows the site directories (政府网站导航, 市县政府,
乡镇街道, 行政区划) down to city, county and township sites. A linked site is named by
its link text and matched to a division code inside the division that lists it (names
repeat across provinces); a township takes the code printed beside its link on the
county's page. County and township portals are written as registry CSV rows, each saying
where it was found, and beside them (``out`` with ``.diff.csv``) what changed against the
bundled registry: new portals, changed URLs, and portals of the walked provinces not found.

    scrapy crawl portal_registry -a out=portals.csv
    scrapy crawl portal_registry -a provinces=http://www.fujian.gov.cn/ -a out=fujian.csv
"""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import scrapy
from scrapy.http import Response, TextResponse

from crawler import divisions, registry_walk
from crawler.registry import DIFF_COLUMNS, load_registry, registry_diff, write_registry

PROVINCES_CSV = Path(__file__).resolve().parent.parent / "data" / "provinces.csv"
REGISTRY_LEVELS = ("county", "township")
MAX_DIRECTORY_DEPTH = 2  # directory pages followed inside one site before giving up on it


class PortalRegistrySpider(scrapy.Spider):
    name = "portal_registry"
    custom_settings = {"ITEM_PIPELINES": {}}

    def __init__(self, provinces: str | None = None, out: str = "portals.csv", *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.start_urls = _province_urls(provinces)
        self.out = Path(out)
        self.rows: dict[str, dict[str, str]] = {}  # host -> registry row
        self.problems: list[str] = []

    async def start(self):
        for url in self.start_urls:
            yield scrapy.Request(url, callback=self.parse_page, errback=self.on_error,
                                 meta={"site": None, "site_depth": 0})

    def parse_page(self, response: Response):
        if not isinstance(response, TextResponse):
            return
        site: dict | None = response.meta["site"]
        depth = response.meta["site_depth"]
        if site is None:  # a provincial portal names itself
            province = divisions.match(registry_walk.site_name(response.text) or "")
            site = {"division": province.code if province else None, "level": "province", "code": None}
        if depth == 0 and site["level"] in REGISTRY_LEVELS:
            self._name_from_home(response)
        if site["level"] == "township":
            return
        for link in registry_walk.site_links(response.url, response.text):
            child = self._child(link, site, response.url)
            if child is not None and child["level"] in REGISTRY_LEVELS:
                self._record(link, child, response.url)
            if child is not None:
                yield scrapy.Request(link.url, callback=self.parse_page, errback=self.on_error,
                                     meta={"site": child, "site_depth": 0, "link_text": link.text,
                                           "found_on": response.url})
        if depth < MAX_DIRECTORY_DEPTH:
            for url in registry_walk.directory_links(response.url, response.text):
                yield scrapy.Request(url, callback=self.parse_page, errback=self.on_error,
                                     meta={"site": site, "site_depth": depth + 1,
                                           "link_text": response.meta.get("link_text"),
                                           "found_on": response.meta.get("found_on")})

    def _child(self, link: registry_walk.SiteLink, site: dict, page_url: str) -> dict | None:
        if site["level"] == "county":
            code = registry_walk.township_code(link, site["division"])
            if code is None:
                return None
            return {"division": site["division"], "level": "township", "code": code}
        parent = divisions.all_divisions().get(site["division"] or "")
        division = registry_walk.classify(link, parent)
        if division is None or division.level == "province":
            return None
        return {"division": division.code, "level": division.level, "code": division.code}

    def _record(self, link: registry_walk.SiteLink, site: dict, found_on: str) -> None:
        """A registry row from the directory's link (a dead portal is still a portal)."""
        host = urlsplit(link.url).hostname or ""
        if host in self.rows:
            return
        division = divisions.all_divisions()[site["division"]]
        self.rows[host] = {
            "code": site["code"], "name": link.text, "level": site["level"],
            "province": divisions.name_of(division.province_code),
            "city": divisions.name_of(division.city_code),
            "url": link.url,
            "source": f"portal_registry walk {datetime.now(UTC).date().isoformat()}: linked from {found_on}",
        }

    def _name_from_home(self, response: Response) -> None:
        """The site's own name (its SiteName meta tag or title) is better than a link text."""
        row = self.rows.get(urlsplit(response.url).hostname or "")
        name = registry_walk.site_name(response.text)
        if row is not None and name:
            row["name"] = name

    def on_error(self, failure):
        request = failure.request
        self.problems.append(f"{request.url}: {failure.getErrorMessage()}")
        self.logger.warning("registry walk: %s failed: %s", request.url, failure.getErrorMessage())

    def closed(self, reason: str) -> None:
        rows = sorted(self.rows.values(), key=lambda row: row["code"])
        self.out.parent.mkdir(parents=True, exist_ok=True)
        with self.out.open("w", encoding="utf-8", newline="") as handle:
            count = write_registry(rows, handle)
        changes = registry_diff(rows, load_registry().portals)
        diff_path = self.out.with_suffix(".diff.csv")
        with diff_path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=DIFF_COLUMNS, lineterminator="\n")
            writer.writeheader()
            writer.writerows(changes)
        kinds = {kind: sum(change["change"] == kind for change in changes) for kind in ("new", "changed_url", "gone")}
        self.logger.info("portal_registry: %d portals written to %s (%s); %d pages failed; against the bundled"
                         " registry %d new, %d changed URL, %d gone (%s)", count, self.out, reason,
                         len(self.problems), kinds["new"], kinds["changed_url"], kinds["gone"], diff_path)


def _province_urls(provinces: str | None) -> list[str]:
    """Start pages: comma-separated URLs, a CSV with a ``url`` column, or the bundled 31."""
    if provinces and not Path(provinces).exists():
        return [url.strip() for url in provinces.split(",") if url.strip()]
    path = Path(provinces) if provinces else PROVINCES_CSV
    with path.open(encoding="utf-8") as handle:
        return [row["url"] for row in csv.DictReader(handle) if row.get("url")]
