"""The replica's model: sites, the resources each URL serves, organs, replies.

Plain data, shared by the builder (which fills it), the responder in `network` (which
answers from it) and `truth` (which reports what it holds).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

from crawler.replica import cms

# The first epoch is a crawl at the end of 2024; the second half a year later.
EPOCH_DATES = {1: dt.date(2024, 12, 1), 2: dt.date(2025, 6, 1)}


@dataclass
class Reply:
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    delay: float = 0.0            # seconds to wait before answering
    reset: bool = False           # drop the connection instead of answering


@dataclass
class Resource:
    """What one URL serves."""
    content_type: str
    make: Callable[[], bytes]
    modified: dt.date
    status: int = 200
    headers: list[tuple[str, str]] = field(default_factory=list)
    fault: str | None = None      # a planted fault: see `faults.faulty_reply`
    encoding: str | None = None   # content-encoding applied to the bytes as served


@dataclass
class Organ:
    name: str
    level: str                    # county | department | township
    code: str | None
    years: list[int]


@dataclass
class Site:
    host: str
    name: str
    level: str                    # province | city | county | township
    code: str
    province: str
    city: str
    family: cms.Family
    charset: str
    status: str = "ok"            # ok | dead | waf | robots_refused
    parent: str | None = None     # the host that links to this site
    resources: dict[str, Resource] = field(default_factory=dict)
    disallow: list[str] = field(default_factory=list)
    traps: list[str] = field(default_factory=list)
    chrome: cms.SiteChrome | None = None
    taken_ids: set[int] = field(default_factory=set)

    # "http"; "https" (http answers a 301 to https); "https_redirect": https, but listed by
    # its http URL, so a crawl meets the redirect first.
    scheme: str = "http"
    absolute_links: bool = False  # links its own pages by absolute URLs

    @property
    def origin(self) -> str:
        return f"{'http' if self.scheme == 'http' else 'https'}://{self.host}"

    @property
    def url(self) -> str:
        return f"{self.origin}/"

    @property
    def listed_url(self) -> str:
        """The URL registries and directories give: the http one of an https_redirect site."""
        return f"http://{self.host}/" if self.scheme == "https_redirect" else self.url

    @property
    def link_host(self) -> str:
        """The host `cms.Family.href` links relatively; "" when every link is absolute."""
        return "" if self.absolute_links else self.host

    def doc_id(self, key: str) -> int:
        """A stable article id for `key`: the same document keeps its URL in every epoch."""
        number = int(hashlib.sha1(f"{self.host}|{key}".encode()).hexdigest()[:12], 16) % 9_000_000 + 1_000_000
        while number in self.taken_ids:
            number += 1
        self.taken_ids.add(number)
        return number



def html_content_type(site: Site) -> str:
    return {"utf-8": "text/html; charset=utf-8", "gbk": "text/html; charset=GBK",
            "gb2312": "text/html; charset=gb2312", "none": "text/html"}[site.charset]


def encode(site: Site, text: str) -> bytes:
    codec = "utf-8" if site.charset == "utf-8" else "gbk"
    return text.encode(codec, errors="xmlcharrefreplace")
