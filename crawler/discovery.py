"""Discovery: pure functions from (url, page text) to scored link candidates and paging URLs.

The spider calls these on every page it fetches. Nothing here does I/O or knows a site:
pages are read through the generic cues of ``crawler.cues``.

A page has a *context* (what the crawl believes it is): ``home`` (a portal or sub-site
root), ``disclosure`` (the information-disclosure area or a unit's part of it),
``report_column`` (the annual-report column, its year/unit sub-columns and their pages) or
``document`` (a candidate report page). The same link text means different things in
different contexts: "2023年" is a year sub-column inside the report column and a calendar
elsewhere.
"""

from __future__ import annotations

import json
import re
from html import escape
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from parsel import Selector

from crawler import cues
from parsers.html import image_pages

# Roles of links, with the score that orders requests (higher first).
SCORES = {
    "report_attachment": 100,  # an attachment whose link text is a report title
    "report": 90,              # a page whose link text is a report title
    "attachment": 85,          # an attachment of a candidate report page
    "year_column": 80,
    "unit_column": 75,         # a township/department sub-column of the report column
    "unit_area": 45,           # a township/department part of the disclosure area
    "report_column": 70,
    "page": 65,                # another page of a list being read
    "article": 50,             # an article listed in the report column without a report title
    "disclosure": 40,
    "subsite": 35,             # the home of a township or department site on a sub-domain
}
# Roles whose target is a document to hand to the parser (the others are navigation).
DOCUMENT_ROLES = frozenset({"report_attachment", "report", "attachment", "article"})
MAX_GENERATED_PAGES = 500


@dataclass(frozen=True)
class Link:
    url: str
    text: str
    role: str
    score: int
    year: int | None = None

    @property
    def is_document(self) -> bool:
        return self.role in DOCUMENT_ROLES


@dataclass(frozen=True)
class RawLink:
    url: str
    text: str
    in_pager: bool = False


@dataclass
class Discovery:
    links: list[Link]
    pages: list[str]          # other pages of the list this page belongs to
    context: str              # the context after reading the page itself
    title: str = ""           # the page's article title (what its attachments are about)
    linked: tuple[str, ...] = ()  # every URL the page links, followed or not (re-crawls: what is still listed)


def clean_url(base: str, href: str) -> str | None:
    """Absolute http(s) URL of ``href`` without its fragment, or ``None``."""
    href = (href or "").strip()
    if not href or cues.NON_HTTP_HREF.match(href):
        return None
    absolute = urljoin(base, href)
    parts = urlsplit(absolute)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", parts.query, ""))


def _text(node) -> str:
    text = node.xpath(cues.LINK_TEXT_XPATH).get() or ""
    if not text:
        for attribute in cues.LINK_TITLE_ATTRIBUTES:
            text = node.attrib.get(attribute) or ""
            if text:
                break
    return _clean_text(text)


def _clean_text(text: str) -> str:
    """One line, without the "附件1：" label list entries put before a file's title."""
    return cues.ATTACHMENT_LABEL.sub("", re.sub(r"\s+", " ", text).strip())


def _anchors(selector: Selector, base: str, in_pager: frozenset[str] = frozenset()) -> list[RawLink]:
    links = []
    for node in selector.xpath(cues.LINK_XPATH):
        url = clean_url(base, node.attrib.get("href", ""))
        if url is None:
            continue
        text = _text(node)
        title = (node.attrib.get("title") or "").strip()
        if title and len(title) > len(text):
            text = _clean_text(title)  # list entries truncate long titles and keep the full one in @title
        links.append(RawLink(url, text, url in in_pager))
    return links


def cdata_records(text: str) -> list[str]:
    """The HTML fragments of Hanweb jpage ``<record><![CDATA[…]]></record>`` blocks."""
    return cues.CDATA_RECORD.findall(text)


def extract_links(url: str, text: str) -> list[RawLink]:
    """Every link of a page: its anchors and those inside CDATA data records."""
    selector = Selector(text=text or "<html></html>")
    pager_urls = frozenset(
        u for node in selector.xpath(cues.PAGER_CONTAINER_XPATH + "//a[@href]")
        if (u := clean_url(url, node.attrib.get("href", ""))) is not None
    )
    links = _anchors(selector, url, pager_urls)
    for fragment in cdata_records(text):
        links += _anchors(Selector(text=fragment), url)
    return links


def _path_and_query(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")


def is_trap(url: str, text: str = "") -> bool:
    """Calendars, searches, print views, logins, shares, assets: never worth a request."""
    where = _path_and_query(url)
    return bool(
        cues.TRAP_URL.search(where)
        or cues.ASSET_URL.search(where)
        or (text and cues.TRAP_TEXT.match(text))
    )


def is_attachment(url: str) -> bool:
    where = _path_and_query(url)
    return bool(cues.ATTACHMENT_URL.search(urlsplit(url).path) or cues.ATTACHMENT_QUERY.search(where))


def report_year(text: str) -> int | None:
    match = cues.TITLE_YEAR.search(text or "")
    return int(match.group(1)) if match else None


def _is_column_url(url: str) -> bool:
    path = urlsplit(url).path
    return path.endswith("/") or bool(re.search(r"/(?:index|list|default)(?:_\d+)?\.\w+$", path, re.I))


def classify_link(link: RawLink, context: str, page_host: str) -> Link | None:
    """What a link is worth following as, in the context of the page it is on; ``None``: not."""
    url, text = link.url, link.text
    if is_trap(url, text):
        return None
    path = urlsplit(url).path
    host = (urlsplit(url).hostname or "").lower()
    year = report_year(text)
    report_titled = bool(cues.REPORT_TITLE.search(text)) and not cues.REPORT_COLUMN_TEXT.match(text)
    in_column = context == "report_column"

    if is_attachment(url):
        if report_titled:
            return Link(url, text, "report_attachment", SCORES["report_attachment"], year)
        if context in ("document", "report_column"):
            return Link(url, text, "attachment", SCORES["attachment"], year)
        return None
    if cues.REPORT_COLUMN_TEXT.match(text):
        return Link(url, text, "report_column", SCORES["report_column"], None)
    if report_titled and not (_is_column_url(url) and year is None):
        return Link(url, text, "report", SCORES["report"], year)
    if report_titled:
        return Link(url, text, "report_column", SCORES["report_column"], None)
    if in_column and cues.YEAR_COLUMN_TEXT.match(text):
        return Link(url, text, "year_column", SCORES["year_column"], int(cues.YEAR_COLUMN_TEXT.match(text).group(1)))
    unit_role = "unit_column" if in_column else "unit_area"
    if context != "document" and cues.SUBUNIT_COLUMN_TEXT.match(text):
        return Link(url, text, unit_role, SCORES[unit_role], None)
    if context in ("report_column", "disclosure") and cues.ORGAN_NAME_TEXT.match(text) and not cues.ARTICLE_URL.search(url):
        if host != page_host and _is_site_root(url):
            return Link(url, text, "subsite", SCORES["subsite"], None)
        return Link(url, text, unit_role, SCORES[unit_role], None)
    if in_column and cues.ARTICLE_URL.search(url):
        return Link(url, text, "article", SCORES["article"], year)
    if cues.REPORT_COLUMN_URL.search(path) and context != "document":
        return Link(url, text, "report_column", SCORES["report_column"] - 5, None)
    if context in ("home", "disclosure") and (cues.DISCLOSURE_TEXT.search(text) or cues.DISCLOSURE_URL.search(path)):
        if not cues.ARTICLE_URL.search(url):
            return Link(url, text, "disclosure", SCORES["disclosure"], None)
    if context in ("home", "disclosure") and host != page_host and _is_site_root(url) and (
        cues.TOWNSHIP_NAME.search(text) or cues.ORGAN_NAME_TEXT.match(text)
    ):
        return Link(url, text, "subsite", SCORES["subsite"], None)
    return None


def _is_site_root(url: str) -> bool:
    path = urlsplit(url).path
    return path in ("", "/") or bool(re.fullmatch(r"/(?:[\w-]+/)?(?:index|default)\.\w+", path, re.I))


def next_context(link: Link, from_context: str) -> str:
    """The context a page reached through ``link`` is expected to have."""
    if link.is_document:
        return "document"
    if link.role in ("report_column", "year_column"):
        return "report_column"
    if link.role == "unit_column":
        return "report_column"
    if link.role == "page":
        return from_context
    if link.role == "subsite":
        return "home"
    return "disclosure"


def page_context(text: str, expected: str) -> str:
    """The context of a fetched page: the expected one, corrected by what the page says.

    A disclosure page whose column name (meta ColumnName, or the title's first part) names
    the annual reports is the report column itself.
    """
    if expected in ("report_column", "document"):
        return expected
    selector = Selector(text=text or "<html></html>")
    names = selector.xpath(cues.COLUMN_NAME_XPATH).getall()
    title = selector.xpath("normalize-space(//title)").get() or ""
    names.append(re.split(cues.TITLE_SEPARATOR, title)[0])
    if any(cues.REPORT_COLUMN_TEXT.match(name.strip()) for name in names if name.strip()):
        return "report_column"
    return expected


def discover(url: str, text: str, expected_context: str) -> Discovery:
    """Scored links and paging URLs of one page, best first, each URL once."""
    context = page_context(text, expected_context)
    page_host = (urlsplit(url).hostname or "").lower()
    best: dict[str, Link] = {}
    raw_links = extract_links(url, text)
    if context == "document":  # a 图片版 report page: its page images are its attachments
        title = page_title(text)
        raw_links += [RawLink(image["url"], image["text"] if cues.REPORT_TITLE.search(image["text"]) else title)
                      for image in image_pages(text, url)]
    for raw in raw_links:
        if raw.url == url:
            continue
        link = classify_link(raw, context, page_host)
        if link and (raw.url not in best or best[raw.url].score < link.score):
            best[raw.url] = link
    pages = [] if context == "document" else paging_urls(url, text, raw_links)
    pages = [p for p in pages if p != url and p not in best]
    return Discovery(sorted(best.values(), key=lambda link: -link.score), pages, context, page_title(text),
                     tuple(dict.fromkeys(raw.url for raw in raw_links)))


def page_title(text: str) -> str:
    """The article title a page declares (meta ArticleTitle, else the title's first part)."""
    selector = Selector(text=text or "<html></html>")
    for xpath in cues.PAGE_TITLE_XPATHS:
        title = (selector.xpath(xpath).get() or "").strip()
        if title:
            return re.split(cues.TITLE_SEPARATOR, title)[0].strip()
    return ""


# -- paging ------------------------------------------------------------------------------


def _js_number(token: str, text: str, pattern: re.Pattern[str]) -> int | None:
    if token.isdigit():
        return int(token)
    found = re.search(rf"\b{re.escape(token)}\b\s*=\s*[\"']?(\d{{1,4}})", text)
    if found:
        return int(found.group(1))
    found = pattern.search(text)
    return int(found.group(1)) if found else None


def static_pages(url: str, count: int, prefix: str | None = None, ext: str | None = None) -> list[str]:
    """``index.html``, ``index_1.html`` … ``index_{count-1}.html`` beside ``url``."""
    parts = urlsplit(url)
    directory = parts.path if parts.path.endswith("/") else parts.path.rsplit("/", 1)[0] + "/"
    if prefix is None or ext is None:
        match = cues.STATIC_PAGE_URL.match(parts.path)
        if not match:
            return []
        prefix, ext = match.group("prefix"), match.group("ext")
    count = min(count, MAX_GENERATED_PAGES)
    names = [f"{prefix}.{ext}"] + [f"{prefix}_{n}.{ext}" for n in range(1, count)]
    return [urlunsplit((parts.scheme, parts.netloc, directory + name, "", "")) for name in names]


def trs_pages(url: str, text: str) -> list[str]:
    """Pages of a TRS list whose page count lives only in ``createPageHTML(…)``."""
    match = cues.TRS_PAGER.search(text)
    if match:
        count = _js_number(match.group(1), text, cues.JS_PAGE_COUNT)
        if count:
            return static_pages(url, count, match.group(3), match.group(4))
    counter = cues.JS_PAGE_COUNT.search(text)
    if counter and cues.STATIC_PAGE_URL.match(urlsplit(url).path or "/index.html"):
        return static_pages(url, int(counter.group(1)))
    return []


def _with_query(url: str, updates: dict[str, str]) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in updates]
    query += list(updates.items())
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))


def jpage_pages(url: str, text: str) -> list[str]:
    """Paging-endpoint URLs of a Hanweb jpage list (``dataproxy.jsp?startrecord=…``).

    The page itself prints the first group of records; the rest come from the endpoint in
    groups of the same size. Without a printed total, only the next group is asked for.
    """
    records = cdata_records(text)
    if not records:
        return []
    endpoint = None
    nextgroup = cues.CDATA_NEXTGROUP.search(text)
    if nextgroup:
        href = Selector(text=nextgroup.group(1)).xpath("//a/@href").get()
        endpoint = clean_url(url, href or "")
    if endpoint is None:
        found = cues.JPAGE_PROXY_URL.search(text) or cues.JPAGE_ENDPOINT.search(text)
        endpoint = clean_url(url, found.group(1) if found else cues.JPAGE_DEFAULT_ENDPOINT)
    if endpoint is None:
        return []
    query = dict(parse_qsl(urlsplit(url).query))
    start = int(query.get("startrecord") or 1)
    group = len(records)
    per_page = cues.JPAGE_PER_PAGE.search(text)
    per = per_page.group(1) if per_page else str(query.get("perpage") or group)
    total_match = cues.JPAGE_TOTAL.search(text)
    if "startrecord" in query:
        # A group answered by the endpoint: the page generated every group already.
        end = int(query.get("endrecord") or start + group - 1)
        if total_match or group < end - start + 1:
            return []
        return [_with_query(url, {"startrecord": str(end + 1), "endrecord": str(end + group), "perpage": per})]
    first = start + group
    if total_match:
        total = int(total_match.group(1))
        starts = range(first, total + 1, group)
        return [
            _with_query(endpoint, {"startrecord": str(s), "endrecord": str(min(s + group - 1, total)), "perpage": per})
            for s in list(starts)[:MAX_GENERATED_PAGES]
        ]
    return [_with_query(endpoint, {"startrecord": str(first), "endrecord": str(first + group - 1), "perpage": per})]


def query_pages(url: str, text: str, links: list[RawLink]) -> list[str]:
    """Query-string pages (``?page=2``) and 下一页/尾页 links of an ordinary list.

    When a last-page link or a "共N页" text gives the page count, every page is listed at
    once (a dozen parallel requests instead of a chain of "next" hops).
    """
    pages: list[str] = []
    template: tuple[str, str] | None = None   # (url with a page parameter, parameter name)
    highest = 0
    for link in links:
        text_is_paging = bool(
            cues.NEXT_PAGE_TEXT.match(link.text) or cues.LAST_PAGE_TEXT.match(link.text)
            or (link.in_pager and cues.PAGE_NUMBER_TEXT.match(link.text))
        )
        param = cues.PAGE_PARAM.search(urlsplit(link.url).query)
        if param and (text_is_paging or _same_list(url, link.url)):
            template = (link.url, param.group(1))
            highest = max(highest, int(param.group(2)))
            pages.append(link.url)
        elif text_is_paging and not is_trap(link.url):
            pages.append(link.url)
    total_match = cues.PAGE_TOTAL_TEXT.search(Selector(text=text or "<html></html>").xpath("string(//body)").get() or "")
    if total_match:
        highest = max(highest, int(next(g for g in total_match.groups() if g)))
    if template and highest:
        base, name = template
        first = 0 if re.search(rf"[?&]{re.escape(name)}=0(?:&|$)", url + "&" + "&".join(pages)) else 1
        pages += [_with_query(base, {name: str(n)}) for n in range(first, min(highest, MAX_GENERATED_PAGES) + 1)]
    return list(dict.fromkeys(pages))


def _same_list(url: str, other: str) -> bool:
    a, b = urlsplit(url), urlsplit(other)
    return a.netloc == b.netloc and a.path == b.path


def paging_urls(url: str, text: str, links: list[RawLink] | None = None) -> list[str]:
    """Every other page of the list ``url`` shows, whatever its paging convention."""
    if links is None:
        links = extract_links(url, text)
    found = trs_pages(url, text) + jpage_pages(url, text) + query_pages(url, text, links)
    return [p for p in dict.fromkeys(found) if p != url]


# -- script-filled lists -----------------------------------------------------------------


def script_filled(text: str, found: Discovery) -> str | None:
    """Why this list page needs a browser (its script lists entries the HTML does not), or None.

    Signs: a list template (avalon ``ms-repeat``, Vue ``v-for``, ``{{el.title}}``), a record
    count in the script above the entries the page prints (and no static pager to follow),
    or a script-driven app root whose script calls a list API.
    """
    if found.context == "document":
        return None
    template = cues.LIST_TEMPLATE.search(text)
    if template:
        return f"list template {template.group(0).strip()!r}"
    printed = sum(link.is_document for link in found.links)
    count = cues.SCRIPT_RECORD_COUNT.search(text)
    if count and int(count.group(1)) > printed and not found.pages:
        return f"record count {count.group(1)} above the {printed} entries printed"
    if cues.SCRIPT_APP_ROOT.search(text):
        scripts = " ".join(Selector(text=text).xpath("//script[not(@src)]/text()").getall())
        api = cues.SCRIPT_LIST_API.search(scripts)
        if api:
            return f"app root filled by a script ({api.group(0).strip()})"
    return None


def json_links(url: str, body: bytes) -> list[str]:
    """Anchors (``<a href>title</a>``) for the entries of a list API's JSON answer: every
    object holding a title and a URL-like value, resolved against the API's URL."""
    try:
        data = json.loads(body)
    except ValueError:
        return []
    anchors: list[str] = []
    stack = [data]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            title = next((v for k, v in node.items() if isinstance(v, str) and "title" in k.lower()), "")
            href = next((v for k, v in node.items() if isinstance(v, str) and cues.JSON_URL_KEY.search(k)), None)
            target = clean_url(url, href) if href else None
            if target and title:
                anchors.append(f'<a href="{escape(target)}">{escape(title)}</a>')
            stack.extend(v for v in node.values() if isinstance(v, (list, dict)))
    return anchors[::-1]
