"""The replica portal network and its responder.

`build_network(seed, epoch, portals, faults)` lays out a deterministic network (see
`builder`); `Network.respond(method, url, headers)` answers one request as the real server
would (the proxy in `server.py` only carries bytes). `Network.truth()` and
`Network.registry_csv()` say what a perfect crawler and parser would find (see `truth`).
The model lives in `model`, fault planting in `faults`; their public names are
re-exported here, so `from crawler.replica.network import …` is the one entry point.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import hashlib
import html
import threading
from functools import lru_cache
from urllib.parse import urlsplit

from crawler.replica import cms, truth
from crawler.replica.builder import DEFAULT_PORTALS, Builder, _spec
from crawler.replica.faults import faulty_reply, gzip_bomb
from crawler.replica.model import EPOCH_DATES, Organ, Reply, Resource, Site, encode, html_content_type

__all__ = ["DEFAULT_PORTALS", "EPOCH_DATES", "Network", "Organ", "Reply", "Resource", "Site", "_spec",
           "build_network"]


class Network:
    def __init__(self, seed: int, epoch: int, faults: bool, https: bool = False, scripted: bool = False):
        self.seed, self.epoch, self.faults, self.https, self.scripted = seed, epoch, faults, https, scripted
        self.sites: dict[str, Site] = {}
        self.reports: list[dict] = []
        self.lookalikes: list[dict] = []
        self.planted: list[dict] = []
        self.changes: dict[str, list] = {"added": [], "republished": [], "deleted": [], "moved": []}
        self.showcase_host: str | None = None
        self._hits: dict[str, int] = {}
        self._lock = threading.Lock()
        self._files: dict[tuple[str, str], bytes] = {}

    # -------------------------------------------------------------- answering

    def respond(self, method: str, url: str, headers: dict[str, str] | None = None, body: bytes = b"") -> Reply:
        headers = {k.lower(): v for k, v in (headers or {}).items()}
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        site = self.sites.get(host)
        if site is None or site.status == "dead":
            return Reply(502, [("Content-Type", "text/plain; charset=utf-8"), ("X-Replica-Error", "dns")],
                         f"502 Bad Gateway: could not resolve host {host!r} (NXDOMAIN)\n".encode())
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        if parts.scheme == "https" and site.scheme == "http":
            return Reply(0, [], b"", reset=True)  # no TLS on a plain http portal
        if parts.scheme == "http" and site.scheme != "http":
            return Reply(301, [("Location", f"https://{host}{path}"), ("Content-Length", "0")], b"")
        if method == "POST" and body and parts.path.endswith("dataproxy.jsp"):
            path += ("&" if parts.query else "?") + body.decode("latin-1")
        if site.status == "waf":
            return self._waf_challenge(headers)
        if parts.path == "/robots.txt":
            return self._plain(self._robots(site))
        resource = self._lookup(site, path)
        if resource is None:
            return self._not_found(site)
        with self._lock:
            self._hits[url] = hits = self._hits.get(url, 0) + 1
        if resource.fault:
            faulty = faulty_reply(resource, hits)
            if faulty:
                return faulty
        if resource.status in (301, 302):
            return Reply(resource.status, [("Location", resource.headers[0][1]), ("Content-Length", "0")], b"")
        if resource.status == 404:
            return self._not_found(site)
        payload = self._body(host, path)
        etag = '"' + hashlib.sha1(payload).hexdigest()[:20] + '"'
        modified = email.utils.format_datetime(
            dt.datetime.combine(resource.modified, dt.time(8, 0), tzinfo=dt.timezone.utc), usegmt=True)
        common = [("ETag", etag), ("Last-Modified", modified)]
        if self._not_modified(headers, etag, resource.modified):
            return Reply(304, common, b"")
        out = [("Content-Type", resource.content_type), *common, *resource.headers]
        if resource.encoding:
            out.append(("Content-Encoding", resource.encoding))
        return Reply(200, out, payload if method != "HEAD" else b"")

    def _lookup(self, site: Site, path: str) -> Resource | None:
        resource = site.resources.get(path)
        if resource is None and "dataproxy.jsp" in path:
            resource = site.resources.get(cms.dataproxy_key(path) or "")
        if resource is None and path.startswith("/calendar/"):
            return self._calendar(site, path)
        if resource is None and path.startswith("/search/"):
            return self._search(site, path)
        if resource is None and path.startswith("/images/"):
            return _ASSETS.get(path.rsplit(".", 1)[-1])
        return resource

    @staticmethod
    def _not_modified(headers: dict[str, str], etag: str, modified: dt.date) -> bool:
        if "if-none-match" in headers:
            return etag in [tag.strip() for tag in headers["if-none-match"].split(",")]
        since = headers.get("if-modified-since")
        if since:
            try:
                return email.utils.parsedate_to_datetime(since).date() >= modified
            except (TypeError, ValueError):
                return False
        return False

    def prerender_files(self) -> int:
        """Render every attachment file (PDF, DOC, DOCX, …) now; return how many.

        A real portal serves its attachments as static files. Rendered ahead, they cost the
        benchmarks no more than a page to serve, so a crawl that fetches many of them is not
        timed on this replica's PDF and DOCX writers.
        """
        for host, site in self.sites.items():
            for path, resource in site.resources.items():
                is_file = not resource.content_type.startswith(("text/", "application/xml"))
                if is_file and resource.fault is None and resource.status == 200:
                    self._files[(host, path)] = resource.make()
        return len(self._files)

    def _body(self, host: str, path: str) -> bytes:
        rendered = self._files.get((host, path))
        return rendered if rendered is not None else self._render(host, path)

    @lru_cache(maxsize=4096)  # noqa: B019 - the network lives as long as its cache
    def _render(self, host: str, path: str) -> bytes:
        resource = self._lookup(self.sites[host], path)
        assert resource is not None
        return resource.make()

    @staticmethod
    def _waf_challenge(headers: dict[str, str]) -> Reply:
        # A 瑞数-style 412: an obfuscated script must set a cookie before anything is served.
        body = ("<!DOCTYPE html><html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\">"
                "<meta id=\"9DhefwqGPrzGxEp9hPaoag\" content=\"" + "x" * 64 + "\" r='m'>"
                "<script type=\"text/javascript\" r='m'>$_ts=window['$_ts'];if(!$_ts)$_ts={};$_ts.nsd=34671;"
                "$_ts.cd=\"qnqmq3AlqqW3cGAlrEAlqrVqrPg\";</script>"
                "<script type=\"text/javascript\" charset=\"utf-8\" src=\"/ESbW4uAKcf3B/ai9wjr6yTdX1.b4c45da.js\" r='m'>"
                "</script></head><body></body></html>")
        return Reply(412, [("Content-Type", "text/html; charset=utf-8"),
                           ("Set-Cookie", "FSSBBIl1UgzbN7NO=5xwxs; Path=/; expires=Fri, 01 Jan 2027 00:00:00 GMT")],
                     body.encode())

    @staticmethod
    def _plain(text: str) -> Reply:
        return Reply(200, [("Content-Type", "text/plain")], text.encode())

    def _not_found(self, site: Site) -> Reply:
        body = (f"<html><head><title>404 页面不存在</title></head><body><div class='err'>"
                f"<h1>抱歉，您访问的页面不存在或已删除！</h1><a href='/'>返回{html.escape(site.name)}首页</a>"
                "</div></body></html>")
        return Reply(404, [("Content-Type", "text/html; charset=utf-8")], body.encode())

    def _robots(self, site: Site) -> str:
        if site.status == "robots_refused":
            return "User-agent: *\nDisallow: /\n"
        lines = ["User-agent: *", *[f"Disallow: {prefix}" for prefix in site.disallow], "",
                 "User-agent: Baiduspider", "Allow: /", ""]
        return "\n".join(lines)

    def _calendar(self, site: Site, path: str) -> Resource | None:
        """An endless 活动日历: every day links the day before and after it, forever."""
        query = dict(part.split("=", 1) for part in urlsplit(path).query.split("&") if "=" in part)
        try:
            day = dt.date.fromisoformat(query.get("date", "2024-03-08"))
        except ValueError:
            return None

        def make() -> bytes:
            links = " ".join(f'<a href="/calendar/index.html?date={d.isoformat()}">{label}</a>' for label, d in (
                ("上一月", day - dt.timedelta(days=30)), ("前一天", day - dt.timedelta(days=1)),
                ("后一天", day + dt.timedelta(days=1)), ("下一月", day + dt.timedelta(days=30))))
            content = f"<div class='calendar'><h2>{day.year}年{day.month}月{day.day}日 活动安排</h2><p>{links}</p><p>当日暂无活动。</p></div>"
            return encode(site, cms.page(site.chrome, title=f"活动日历 {day.isoformat()}", column_name="活动日历",
                                               breadcrumbs=[("首页", "/"), ("活动日历", "/calendar/index.html")],
                                               content=content))
        return Resource(html_content_type(site), make, EPOCH_DATES[self.epoch])

    def _search(self, site: Site, path: str) -> Resource:
        """Site search: any query, any page, always another page."""
        query = dict(part.split("=", 1) for part in urlsplit(path).query.split("&") if "=" in part)
        number = int(query.get("page", "1")) if query.get("page", "1").isdigit() else 1

        def make() -> bytes:
            q = query.get("q", "")
            content = (f"<div class='search-result'><p>搜索结果第{number}页</p>"
                       f'<a href="/search/index.html?q={q}&page={number + 1}">下一页</a></div>')
            return encode(site, cms.page(site.chrome, title="搜索结果", column_name="站内搜索",
                                               breadcrumbs=[("首页", "/")], content=content))
        return Resource(html_content_type(site), make, EPOCH_DATES[self.epoch])
    # -------------------------------------------------------------- truth

    def truth(self) -> dict:
        return truth.truth(self)

    def registry_csv(self) -> str:
        """The county and township portals as a registry CSV (code,name,level,province,city,url)."""
        return truth.registry_csv(self)


_ASSETS = {
    "css": Resource("text/css", lambda: b"body{font-family:SimSun,serif}.nav li{float:left}\n", dt.date(2020, 1, 1)),
    "js": Resource("application/javascript", lambda: b"/* jQuery v1.12.4 */\n", dt.date(2020, 1, 1)),
    "png": Resource("image/png", lambda: bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"), dt.date(2020, 1, 1)),
}


def build_network(seed: int = 1, epoch: int = 1, portals: int | None = None, faults: bool = False,
                  https: bool = False, scripted: bool = False) -> Network:
    """The replica network for `seed` as it stands at `epoch` (1 or 2).

    With `https`, a share of the county portals (and their townships) serve https only,
    answering http with a 301 to https; some are listed by their http URL, some link their
    own pages by absolute https URLs. The proxy in `server.py` serves them through CONNECT.
    With `scripted`, a share of the county portals print only the first page of each column
    and list the rest through a JSON API their script calls (see `scripted`).
    """
    if epoch not in EPOCH_DATES:
        raise ValueError(f"epoch must be one of {sorted(EPOCH_DATES)}, not {epoch!r}")
    net = Network(seed, epoch, faults, https, scripted)
    Builder(net, portals or DEFAULT_PORTALS).build()
    if faults:
        gzip_bomb()  # compressed once, now: its first request must not be slow for another reason
    return net
