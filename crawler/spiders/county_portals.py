"""``scrapy crawl county_portals``: every annual report on county and township portals.

Per portal: home page → information-disclosure area → annual-report column → its pages
(every paging convention) → year, township and department sub-columns and sub-sites →
report pages and their attachments. Likely links go first (request priority = link score);
each portal has a depth and a request budget. A WAF challenge, a dead portal or a robots.txt
refusal of the home page becomes the portal's status, with a reason.

    scrapy crawl county_portals [-a portals=PATH] [-a codes=152223,653024] [-a province=内蒙古]
                                [-a city=连云港] [-a sample=50]
                                [-a recrawl=new|changed|all] [-s JOBDIR=crawls/run-1]

Without ``portals`` the crawl takes the bundled national registry (`crawler.registry`);
``sample=N`` is a reproducible random N of the selected portals, for a pilot crawl. Rows
the registry refuses (malformed, internal hosts, localhost) are logged and never requested.

Against an archive that knows documents the crawl is incremental (crawler.recrawl): known
documents are revalidated with conditional requests, and those no page links any more are
reported as vanished.
"""

from __future__ import annotations

import time
from datetime import timedelta
from urllib.parse import urlsplit

import scrapy
from scrapy.exceptions import CloseSpider, IgnoreRequest
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from archive import GONE_STATUSES, NOT_MODIFIED, ArchiveError, utc_now
from crawler import cues, discovery, faults, recrawl
from crawler.browser import BROWSER_FETCHES_META, RENDER_META
from crawler.items import DocumentItem, FailureItem, PageItem
from crawler.middlewares import PORTAL_META, STARTED_META
from crawler.progress import PortalState, portal_progress
from crawler.recrawl import DEFAULT_POLICY, POLICIES
from crawler.registry import CRAWLED_LEVELS, Registry, RegistryError, load_registry, select
from crawler.scope import Scope

REGISTRY_ERROR = "registry_error"  # the registry file is unreadable as a whole
ARCHIVE_ERROR = "archive_error"    # OGI_ARCHIVE is not an archive (damaged, empty, a directory)
ARGUMENT_ERROR = "argument_error"  # a bad -a argument (recrawl=, sample=)
# Close reasons of a crawl that could not start: ``scrapy crawl`` exits 1 (crawler.commands.crawl).
FATAL_CLOSE_REASONS = (REGISTRY_ERROR, ARCHIVE_ERROR, ARGUMENT_ERROR)


class CountyPortalsSpider(scrapy.Spider):
    name = "county_portals"

    def __init__(self, portals: str | None = None, codes: str | None = None,
                 province: str | None = None, recrawl: str = DEFAULT_POLICY,
                 city: str | None = None, sample: str | None = None, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Why this crawl cannot run at all (a close reason of FATAL_CLOSE_REASONS), or None.
        self.fatal_error: str | None = None
        if recrawl not in POLICIES:
            self.fatal_error = f"{ARGUMENT_ERROR}: recrawl must be one of {', '.join(POLICIES)}, not {recrawl!r}"
            recrawl = DEFAULT_POLICY
        self.recrawl_policy = recrawl
        try:
            registry = load_registry(portals)
        except RegistryError as error:  # the whole file is unreadable: said in one line, nothing crawled
            self.fatal_error = self.fatal_error or f"{REGISTRY_ERROR}: {error}"
            registry = Registry([], [])
        self.registry_problems = registry.problems
        crawled = [p for p in registry.portals if p.level in CRAWLED_LEVELS]
        try:
            chosen = select(crawled, codes=codes, province=province, city=city, sample=sample)
        except ValueError as error:  # sample=abc
            self.fatal_error = self.fatal_error or f"{ARGUMENT_ERROR}: {error}"
            chosen = []
        self.portals = chosen
        self.scope = Scope(chosen)
        self.states = {portal.code: PortalState(portal) for portal in chosen}
        self.portal_by_host = {portal.host: portal.code for portal in chosen}
        # The scheme each host answered on: http and https of one host are one site, and a
        # link by the other scheme (an absolute https link, an old http one) is not fetched twice.
        self.schemes: dict[str, str] = {}

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.max_depth = crawler.settings.getint("OGI_PORTAL_MAX_DEPTH")
        spider.max_requests = crawler.settings.getint("OGI_PORTAL_MAX_REQUESTS")
        max_age_days = crawler.settings.getint("OGI_RECRAWL_MAX_AGE_DAYS")
        try:
            spider.plan = recrawl.RecrawlPlan.from_archive(
                crawler.settings.get("OGI_ARCHIVE"), spider.recrawl_policy, max_age_days, set(spider.states))
        except ArchiveError as error:  # damaged, empty, not a file: the pipeline will not touch it either
            spider.fatal_error = spider.fatal_error or f"{ARCHIVE_ERROR}: {error}"
            spider.plan = recrawl.RecrawlPlan(spider.recrawl_policy, timedelta(days=max_age_days))
        spider.jobdir = crawler.settings.get("JOBDIR")
        recrawl.prepare_jobdir(spider.jobdir)
        spider.plan.sees_every_link = not recrawl.resumes(spider.jobdir)
        return spider

    async def start(self):
        if self.fatal_error:
            self.logger.error("%s: nothing crawled", self.fatal_error.split(": ", 1)[1])
            raise CloseSpider(self.fatal_error)
        # the extensions exist now (not yet in from_crawler): the bookkeeping reports these states
        portal_progress(self.crawler).track(self.states)
        for problem in self.registry_problems:
            self.logger.warning("registry %s: skipped", problem)
        for portal in self.portals:
            state = self.states[portal.code]
            state.requests += 1
            yield self._request(portal.url, portal.code, role="home", context="home", depth=0,
                                score=discovery.SCORES["report_column"])
            for known in self.plan.revalidations(portal.code):
                state.requests += 1
                yield self._request(known.url, portal.code, role="article", context="document", depth=1,
                                    score=discovery.SCORES["page"], attachment_of=known.attachment_of)

    def restart_portal(self, code: str) -> scrapy.Request:
        """The home page of a portal crawled again from the start (crawler.distributed: its
        requests were lost with a killed worker); its request budget starts over."""
        state = self.states[code]
        state.requests, state.budget_refused = 1, 0
        state.query_variants.clear()
        return self._request(state.portal.url, code, role="home", context="home", depth=0,
                             score=discovery.SCORES["report_column"])

    # -- requests -------------------------------------------------------------------------

    def _request(self, url: str, code: str, *, role: str, context: str, depth: int, score: int,
                 attachment_of: str | None = None, link_text: str = "", parent_title: str = "") -> scrapy.Request:
        meta = {PORTAL_META: code, "role": role, "context": context, "depth_in_portal": depth,
                "attachment_of": attachment_of, "link_text": link_text, "parent_title": parent_title}
        headers, callback = {}, self.parse_page
        known = self.plan.known.get(url)
        stored = self.plan.pages.get(url)
        if known is not None:  # a document archived before: unchanged, moved away, or a new version
            # whatever link led here this time, it stays a document
            meta["role"] = "attachment" if known.attachment_of else "article"
            headers = {} if self.plan.policy == "all" else recrawl.conditional_headers(known)
            callback = self.parse_revalidation
            meta["dont_redirect"] = True
            meta["handle_httpstatus_list"] = [NOT_MODIFIED, *recrawl.REDIRECT_STATUSES]
        elif stored is not None:  # a list page read before: ask whether it changed
            headers = recrawl.conditional_headers(stored)
            meta["handle_httpstatus_list"] = [NOT_MODIFIED]
        return scrapy.Request(url, callback=callback, errback=self.on_error, priority=score,
                              headers=headers, meta=meta)

    def _follow(self, response: Response, url: str, *, role: str, context: str, score: int,
                depth: int, attachment_of: str | None = None, link_text: str = "", parent_title: str = ""):
        code = response.meta[PORTAL_META]
        state = self.states[code]
        url = self._in_known_scheme(url)
        if self.scope.refusal(url, code) is not None:
            return None
        if self.plan.skip(url):
            return None
        is_document = role in discovery.DOCUMENT_ROLES
        if depth > self.max_depth and not is_document:
            return None
        parts = urlsplit(url)
        if parts.query and not is_document and "startrecord" not in parts.query:
            key = (parts.netloc, parts.path)
            state.query_variants[key] += 1
            if state.query_variants[key] > cues.MAX_QUERY_VARIANTS_PER_PATH:
                return None
        if state.requests >= self.max_requests:
            state.budget_refused += 1
            return None
        state.requests += 1
        return self._request(url, code, role=role, context=context, depth=depth, score=score,
                             attachment_of=attachment_of, link_text=link_text, parent_title=parent_title)

    def _in_known_scheme(self, url: str) -> str:
        parts = urlsplit(url)
        scheme = self.schemes.get(parts.hostname or "")
        return parts._replace(scheme=scheme).geturl() if scheme and scheme != parts.scheme else url

    # -- responses ------------------------------------------------------------------------

    def parse_page(self, response: Response):
        answered = urlsplit(response.url)
        self.schemes[answered.hostname or ""] = answered.scheme
        meta = response.meta
        code = meta[PORTAL_META]
        state = self.states[code]
        role = meta["role"]
        unchanged = response.status == NOT_MODIFIED
        if unchanged:  # a list page that did not change: its links are read from the archived copy
            yield self._fetch_item(response, kind="page")
            response = self.plan.stored_copy(response)
        waf = faults.waf_challenge(response.status, response.body)
        if waf:
            yield from self._failed(response.request, "waf_challenge", waf, response)
            return
        state.pages += 1
        self.crawler.stats.inc_value("ogi/pages")
        is_text = isinstance(response, TextResponse)
        if role in discovery.DOCUMENT_ROLES or not is_text:
            yield self._fetch_item(response, kind="document")
        elif not unchanged:
            yield self._fetch_item(response, kind="page")
        if is_text:
            yield from self._follow_links(response)

    def _follow_links(self, response: TextResponse, extra_html: str = ""):
        meta = response.meta
        found = discovery.discover(response.url, response.text + extra_html, meta["context"])
        depth = meta["depth_in_portal"]
        self.plan.note_read(response.url, found.linked)
        needs_browser = None if meta.get(RENDER_META) else discovery.script_filled(response.text, found)
        if needs_browser:  # its script lists what the HTML does not: ask a browser (crawler.browser)
            self.logger.info("rendering %s: %s", response.url, needs_browser)
            render_meta = {key: meta[key] for key in (PORTAL_META, "role", "context", "depth_in_portal")}
            yield scrapy.Request(response.url, callback=self.parse_rendered, errback=self.on_error,
                                 priority=discovery.SCORES["page"], dont_filter=True,
                                 meta={**render_meta, RENDER_META: needs_browser})
        for link in found.links:
            on_document = found.context == "document" and link.role in ("attachment", "report_attachment")
            request = self._follow(
                response, link.url, role=link.role, context=discovery.next_context(link, found.context),
                score=link.score, depth=depth + 1, link_text=link.text,
                attachment_of=response.url if on_document else None,
                parent_title=found.title if on_document else "",
            )
            if request is not None:
                yield request
        for page in found.pages:
            request = self._follow(response, page, role="page", context=found.context,
                                   score=discovery.SCORES["page"], depth=depth)
            if request is not None:
                yield request

    def parse_rendered(self, response: TextResponse):
        """A page rendered by the browser: archive what its script fetched, follow the links
        of the rendered DOM and of the JSON the script read."""
        anchors = []
        for fetch in response.meta.get(BROWSER_FETCHES_META, []):
            yield PageItem(
                portal=response.meta[PORTAL_META], url=fetch.url, final_url=fetch.url, status=fetch.status,
                request_headers=fetch.request_headers, response_headers=fetch.response_headers,
                body=fetch.body, fetched_at=utc_now(), duration=fetch.duration,
            )
            anchors += discovery.json_links(fetch.url, fetch.body)
        yield from self._follow_links(response, extra_html="".join(anchors))

    def parse_revalidation(self, response: Response):
        """A known document asked again: unchanged (304), moved away (3xx) or answered in full."""
        code = response.meta[PORTAL_META]
        if response.status == NOT_MODIFIED:
            self.states[code].pages += 1
            self.crawler.stats.inc_value("ogi/not_modified")
            yield self._fetch_item(response, kind="not_modified")
            stored = self.plan.stored_copy(response)  # its links did not change either: follow them again
            if isinstance(stored, TextResponse):
                yield from self._follow_links(stored)
            return
        if response.status in recrawl.REDIRECT_STATUSES:
            location = response.urljoin((response.headers.get(b"Location") or b"").decode("latin-1"))
            item = self._fetch_item(response, kind="redirect")
            item.final_url = location
            yield item
            request = self._follow(response, location, role=response.meta["role"], context="document",
                                   score=discovery.SCORES["page"], depth=response.meta["depth_in_portal"],
                                   attachment_of=response.meta.get("attachment_of"))
            if request is not None:
                yield request
            return
        yield from self.parse_page(response)

    def vanished(self) -> list[tuple[str, str]]:
        """Known documents no page linked, on portals crawled to the end: (URL, evidence)."""
        out = []
        for code, state in self.states.items():
            if state.status != "ok" or state.budget_refused:
                continue  # a portal not crawled to the end proves no absence
            for url in self.plan.vanished(code):
                out.append((url, f"no longer linked from any page of portal {code} ({state.portal.url})"))
        return out

    def closed(self, reason: str) -> None:
        self.plan.close()
        if reason in ("finished", "shutdown"):
            recrawl.release_jobdir(self.jobdir)

    def on_error(self, failure: Failure):
        request = failure.request
        response = failure.value.response if isinstance(failure.value, HttpError) else None
        if response is not None and response.status in GONE_STATUSES:
            self.plan.note_gone(response.url)
        if response is not None:
            waf = faults.waf_challenge(response.status, response.body)
            if waf:
                yield from self._failed(request, "waf_challenge", waf, response, attempt_recorded=True)
                return
            cause = faults.cause_of_response(response.status, response.body)
            yield from self._failed(request, cause, f"HTTP {response.status}", response, attempt_recorded=True)
            return
        exception = failure.value
        cause = faults.cause_of_exception(exception)
        # Download failures were recorded attempt by attempt by AttemptAuditMiddleware;
        # refusals and size caps never reached it.
        recorded = not isinstance(exception, IgnoreRequest) or cause in ("redirect_loop", "refused_address")
        yield from self._failed(request, cause, str(exception)[:300], None, attempt_recorded=recorded)

    def _failed(self, request: scrapy.Request, cause: str, detail: str, response: Response | None,
                attempt_recorded: bool = False):
        code = request.meta.get(PORTAL_META)
        if code not in self.states:
            return
        state = self.states[code]
        if not attempt_recorded:  # recorded attempts were counted as they happened
            state.failures[cause] += 1
            self.crawler.stats.inc_value(f"ogi/failures/{cause}")
        if request.meta.get("role") == "home" and state.pages == 0 and state.status == "ok":
            state.status, state.reason = _portal_status(cause, detail, request.url)
        if cause in ("robots", "out_of_scope") or attempt_recorded:
            return  # nothing was fetched, or the attempt is on record already
        yield FailureItem(
            portal=code, url=request.url, final_url=request.url,
            status=response.status if response is not None else None,
            request_headers=dict(request.headers), response_headers=dict(response.headers) if response else {},
            fetched_at=utc_now(), duration=_duration(request), error=faults.describe(cause, detail),
        )

    def publisher(self, response: Response) -> str:
        """The portal a page belongs to: the one whose site it is on (an attachment: its page's).

        A county often lists its townships' reports too; whichever crawl reaches one first
        fetches it, but it is the township's report.
        """
        host = urlsplit(response.meta.get("attachment_of") or response.url).hostname
        return self.portal_by_host.get(host, response.meta[PORTAL_META])

    def _fetch_item(self, response: Response, *, kind: str) -> PageItem | DocumentItem:
        """The item of a fetch: ``kind`` is ``document`` or a PageItem kind."""
        request = response.request
        fetch = {
            "portal": self.publisher(response),
            "url": (response.meta.get("redirect_urls") or [request.url])[0],
            "final_url": response.url,
            "status": response.status,
            "request_headers": dict(request.headers),
            "response_headers": dict(response.headers),
            "body": response.body if kind in ("document", "page") and response.status != NOT_MODIFIED else None,
            "fetched_at": utc_now(),
            "duration": _duration(request),
        }
        if kind != "document":
            return PageItem(kind=kind, **fetch)
        return DocumentItem(
            **fetch,
            content_type=(response.headers.get(b"Content-Type") or b"").decode("latin-1") or None,
            role=response.meta.get("role"),
            link_text=response.meta.get("link_text"),
            parent_title=response.meta.get("parent_title"),
            attachment_of=response.meta.get("attachment_of"),
        )


def _duration(request: scrapy.Request) -> float | None:
    started = request.meta.get(STARTED_META)
    return round(time.monotonic() - started, 4) if started else None


def _portal_status(cause: str, detail: str, url: str) -> tuple[str, str]:
    """The portal status a failed home page means, with its reason."""
    if cause == "waf_challenge":
        return "waf", f"home page {url} answers a WAF challenge ({detail})"
    if cause == "robots":  # the detail may say why (a robots.txt answering 5xx disallows all)
        why = detail.partition(": ")[2]
        return "robots_refused", f"robots.txt disallows the home page {url}" + (f": {why}" if why else "")
    if cause == "out_of_scope":
        return "dead", f"home page {url} redirects out of the portal's domain"
    if cause == "refused_address":
        return "dead", f"home page {url} leads to an internal address: {detail.removeprefix('refused_address: ')}"
    return "dead", f"home page {url} unreachable: {faults.describe(cause, detail)}"
